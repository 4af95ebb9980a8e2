package dev.jgrad.lm.models;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.LanguageModel;
import dev.jgrad.nn.Embedding;
import dev.jgrad.nn.Linear;
import dev.jgrad.nn.Module;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;

/**
 * Bengio, Ducharme, Vincent and Jauvin (2003), "A Neural Probabilistic Language Model": the
 * embeddings of the previous n tokens are concatenated in order, passed through a tanh hidden
 * layer and mapped to logits. Positions with fewer than n tokens before them read a learned
 * BLANK embedding (id V) in the missing slots, as makemore does.
 */
public final class MLPLanguageModel extends Module implements LanguageModel {
    /**
     * @param initFixes false: every parameter N(0, 1), as in makemore part 2; true: the fixes of
     *                  makemore part 3 (output layer scaled by 0.01 with zero bias, hidden layer by
     *                  Kaiming's tanh gain 5/3 / sqrt(fan-in))
     */
    public record Config(int vocab, int context, int embed, int hidden, boolean initFixes) {
        public Config {
            if (vocab <= 0 || context <= 0 || embed <= 0 || hidden <= 0) {
                throw new IllegalArgumentException("MLPLanguageModel.Config: all sizes must be positive, got " + vocab
                        + ", " + context + ", " + embed + ", " + hidden);
            }
        }
    }

    private final Config cfg;
    private final Embedding embed;
    private final Linear hidden;
    private final Linear out;

    public MLPLanguageModel(Config cfg, Generator g) {
        this.cfg = cfg;
        this.embed = child("embed", new Embedding(cfg.vocab() + 1, cfg.embed(), g, DType.F32));
        this.hidden = child("hidden", new Linear(cfg.context() * cfg.embed(), cfg.hidden(), true, g, DType.F32));
        this.out = child("out", new Linear(cfg.hidden(), cfg.vocab(), true, g, DType.F32));
        int fanIn = cfg.context() * cfg.embed();
        boolean fix = cfg.initFixes();
        hidden.weight().assign(NdArray.randn(g, DType.F32, cfg.hidden(), fanIn).mul(fix ? 5.0 / 3 / Math.sqrt(fanIn) : 1));
        hidden.bias().assign(NdArray.randn(g, DType.F32, cfg.hidden()).mul(fix ? 0.01 : 1));
        out.weight().assign(NdArray.randn(g, DType.F32, cfg.vocab(), cfg.hidden()).mul(fix ? 0.01 : 1));
        out.bias().assign(fix ? NdArray.zeros(DType.F32, cfg.vocab()) : NdArray.randn(g, DType.F32, cfg.vocab()));
    }

    @Override
    public String name() {
        return "mlp";
    }

    @Override
    public int vocabSize() {
        return cfg.vocab();
    }

    @Override
    public int contextLength() {
        return cfg.context();
    }

    /** (B, T) → (B, T, n): for each position, the ids of the n tokens ending there, BLANK-padded. */
    private NdArray contexts(NdArray idx) {
        int b = idx.size(0);
        int t = idx.size(1);
        int n = cfg.context();
        int[] src = idx.toIntArray();
        int[] ctx = new int[b * t * n];
        for (int i = 0; i < b; i++) {
            for (int p = 0; p < t; p++) {
                for (int j = 0; j < n; j++) {
                    int q = p - (n - 1) + j;
                    ctx[(i * t + p) * n + j] = q >= 0 ? src[i * t + q] : cfg.vocab();
                }
            }
        }
        return NdArray.of(ctx, b, t, n);
    }

    @Override
    public Tensor logits(Tensor idx) {
        if (idx.rank() != 2) {
            throw new IllegalArgumentException("mlp: expects token ids (B, T), got " + idx.shape());
        }
        Tensor e = embed.forward(Tensor.of(contexts(idx.data())));         // (B, T, n, D)
        Tensor flat = e.reshape(idx.size(0), idx.size(1), -1);            // (B, T, n*D), positions in order
        return out.forward(hidden.forward(flat).tanh());                  // (B, T, V)
    }

    /**
     * makemore's formulation: (N, n) context windows (oldest token first, {@code vocab} for
     * padding before the start) → (N, V) logits for the token after each window.
     */
    public Tensor nextLogits(Tensor windows) {
        if (windows.rank() != 2 || windows.size(1) != cfg.context()) {
            throw new IllegalArgumentException("mlp.nextLogits: expects context windows (N, " + cfg.context()
                    + "), got " + windows.shape());
        }
        Tensor flat = embed.forward(windows).reshape(windows.size(0), -1);  // (N, n*D)
        return out.forward(hidden.forward(flat).tanh());                     // (N, V)
    }
}
