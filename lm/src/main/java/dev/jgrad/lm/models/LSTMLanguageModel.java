package dev.jgrad.lm.models;

import dev.jgrad.autograd.NoGrad;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.Decoder;
import dev.jgrad.lm.LanguageModel;
import dev.jgrad.nn.Embedding;
import dev.jgrad.nn.LSTM;
import dev.jgrad.nn.Linear;
import dev.jgrad.nn.Module;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;

/**
 * embed → multi-layer LSTM → linear head. Training is teacher-forced over a window from a zero
 * state; generation carries the (h, c) state and feeds one token at a time instead of
 * re-reading the context.
 */
public final class LSTMLanguageModel extends Module implements LanguageModel {
    public record Config(int vocab, int embed, int hidden, int layers) {
        public Config {
            if (vocab <= 0 || embed <= 0 || hidden <= 0 || layers <= 0) {
                throw new IllegalArgumentException("LSTMLanguageModel.Config: sizes must be positive, got " + this);
            }
        }
    }

    private final Config cfg;
    private final Embedding embed;
    private final LSTM lstm;
    private final Linear head;

    public LSTMLanguageModel(Config cfg, Generator g) {
        this.cfg = cfg;
        embed = child("embed", new Embedding(cfg.vocab(), cfg.embed(), g, DType.F32));
        lstm = child("lstm", new LSTM(cfg.embed(), cfg.hidden(), cfg.layers(), g, DType.F32));
        head = child("head", new Linear(cfg.hidden(), cfg.vocab(), true, g, DType.F32));
    }

    @Override
    public String name() {
        return "lstm";
    }

    @Override
    public int vocabSize() {
        return cfg.vocab();
    }

    @Override
    public int contextLength() {
        return Integer.MAX_VALUE;
    }

    @Override
    public Tensor logits(Tensor idx) {
        return head.forward(lstm.forward(embed.forward(idx), null).output());
    }

    @Override
    public Decoder decoder(int[] prompt) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("lstm decoder: the prompt needs at least one token");
        }
        return new Decoder() {
            private LSTM.State state;
            private NdArray last;

            {
                feed(prompt);
            }

            private void feed(int[] tokens) {
                try (NoGrad ignored = NoGrad.enter()) {
                    LSTM.Result r = lstm.forward(embed.forward(Tensor.of(NdArray.of(tokens, 1, tokens.length))), state);
                    state = r.state();
                    Tensor out = head.forward(r.output().select(1, tokens.length - 1));
                    last = out.data().select(0, 0);
                }
            }

            @Override
            public NdArray logits() {
                return last;
            }

            @Override
            public void append(int token) {
                feed(new int[] {token});
            }
        };
    }
}
