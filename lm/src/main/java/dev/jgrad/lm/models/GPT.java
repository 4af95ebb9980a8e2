package dev.jgrad.lm.models;

import dev.jgrad.autograd.NoGrad;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.Decoder;
import dev.jgrad.lm.LanguageModel;
import dev.jgrad.nn.Attention;
import dev.jgrad.nn.Dropout;
import dev.jgrad.nn.Embedding;
import dev.jgrad.nn.Init;
import dev.jgrad.nn.LayerNorm;
import dev.jgrad.nn.Linear;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.ModuleList;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.util.Arrays;
import java.util.List;

/**
 * nanoGPT's architecture: token + position embeddings, pre-LayerNorm blocks of causal
 * self-attention and a GELU MLP, a final LayerNorm, and an output head tied to the token
 * embedding. Init follows GPT-2: N(0, 0.02) everywhere, residual projections scaled by
 * 1/sqrt(2 nLayer). Read bottom-up: attention, MLP, block, model. Shapes: B batch, T time,
 * C channels (nEmbd), nh heads, hs head size, V vocabulary.
 */
public final class GPT extends Module implements LanguageModel {
    /** @param bias whether Linear and LayerNorm layers carry biases (nanoGPT's shakespeare config: false) */
    public record Config(int vocab, int blockSize, int nLayer, int nHead, int nEmbd, double dropout, boolean bias) {
        public Config {
            if (vocab <= 0 || blockSize <= 0 || nLayer <= 0 || nHead <= 0 || nEmbd <= 0 || nEmbd % nHead != 0) {
                throw new IllegalArgumentException("GPT.Config: sizes must be positive and nEmbd divisible by nHead, got "
                        + this);
            }
            if (!(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("GPT.Config: dropout must be in [0, 1), got " + dropout);
            }
        }

        public Config(int vocab, int blockSize, int nLayer, int nHead, int nEmbd, double dropout) {
            this(vocab, blockSize, nLayer, nHead, nEmbd, dropout, true);
        }
    }

    /** Keys and values of earlier positions, one (1, nh, t, hs) pair per layer. */
    /**
     * Keys and values of the positions decoded so far, per layer: (B, nh, blockSize, hs) buffers
     * allocated on first use, of which the first {@code length} positions are filled. Attention
     * reads the filled prefix in place, so a new token copies only its own keys and values.
     */
    static final class KvCache {
        final NdArray[] k;
        final NdArray[] v;
        final int capacity;
        int length;

        KvCache(int layers, int capacity) {
            k = new NdArray[layers];
            v = new NdArray[layers];
            this.capacity = capacity;
        }

        /** Stores the new (B, nh, T, hs) keys and values at positions [length, length + T). */
        void append(int layer, NdArray keys, NdArray values) {
            if (k[layer] == null) {
                k[layer] = NdArray.zeros(DType.F32, keys.size(0), keys.size(1), capacity, keys.size(3));
                v[layer] = NdArray.zeros(DType.F32, keys.size(0), keys.size(1), capacity, keys.size(3));
            }
            int t = keys.size(2);
            k[layer].narrow(2, length, t).copyFrom(keys);
            v[layer].narrow(2, length, t).copyFrom(values);
        }

        NdArray keys(int layer, int t) {
            return k[layer].narrow(2, 0, length + t);
        }

        NdArray values(int layer, int t) {
            return v[layer].narrow(2, 0, length + t);
        }
    }

    /** GPT-2 starts every bias at zero. */
    static void zeroBiases(Linear... layers) {
        for (Linear l : layers) {
            if (l.bias() != null) {
                l.bias().assign(NdArray.zeros(DType.F32, l.bias().shape().dims()));
            }
        }
    }

    static final class CausalSelfAttention extends Module {
        private final int nHead;
        private final Linear qkv;
        private final Linear proj;
        private final Dropout residDrop;

        CausalSelfAttention(Config c, Generator g) {
            nHead = c.nHead();
            qkv = child("qkv", new Linear(c.nEmbd(), 3 * c.nEmbd(), c.bias(), g, DType.F32));
            proj = child("proj", new Linear(c.nEmbd(), c.nEmbd(), c.bias(), g, DType.F32));
            residDrop = child("drop", new Dropout(c.dropout(), g));
            qkv.weight().assign(Init.normal(g, DType.F32, 0.02, 3 * c.nEmbd(), c.nEmbd()));
            proj.weight().assign(Init.normal(g, DType.F32, 0.02 / Math.sqrt(2.0 * c.nLayer()), c.nEmbd(), c.nEmbd()));
            zeroBiases(qkv, proj);
        }

        Tensor forward(Tensor x, KvCache cache, int layer) {
            int b = x.size(0);
            int t = x.size(1);
            int c = x.size(2);
            int hs = c / nHead;
            Tensor[] parts = qkv.forward(x).split(c, 2);                          // 3 x (B, T, C)
            Tensor q = parts[0].reshape(b, t, nHead, hs).transpose(1, 2);         // (B, nh, T, hs)
            Tensor k = parts[1].reshape(b, t, nHead, hs).transpose(1, 2);
            Tensor v = parts[2].reshape(b, t, nHead, hs).transpose(1, 2);
            if (cache != null) {
                // Decoding runs without gradients: extend the cached keys and values.
                cache.append(layer, k.data(), v.data());
                k = Tensor.of(cache.keys(layer, t));
                v = Tensor.of(cache.values(layer, t));
            }
            Tensor y = Attention.causal(q, k, v);                                  // (B, nh, T, hs)
            y = y.transpose(1, 2).reshape(b, t, c);                                // (B, T, C)
            return residDrop.forward(proj.forward(y));
        }

        /** {@link #forward} for one position of a decoder, h (1, C) to s.t (1, C), extending the cache at pos. */
        void decode(NdArray h, KvCache cache, int layer, int pos, DecodeState s) {
            qkv.forwardInto(h, s.qkv);                                              // (1, 3C)
            cache.k[layer].narrow(2, pos, 1).copyFrom(s.k);
            cache.v[layer].narrow(2, pos, 1).copyFrom(s.v);
            Attention.causalInto(s.q, cache.k[layer].narrow(2, 0, pos + 1), cache.v[layer].narrow(2, 0, pos + 1),
                    s.heads, s.lse);                                                // into s.y (1, C)
            proj.forwardInto(s.y, s.t);
        }
    }

    static final class Mlp extends Module {
        private final Linear fc;
        private final Linear proj;
        private final Dropout drop;

        Mlp(Config c, Generator g) {
            fc = child("fc", new Linear(c.nEmbd(), 4 * c.nEmbd(), c.bias(), g, DType.F32));
            proj = child("proj", new Linear(4 * c.nEmbd(), c.nEmbd(), c.bias(), g, DType.F32));
            drop = child("drop", new Dropout(c.dropout(), g));
            fc.weight().assign(Init.normal(g, DType.F32, 0.02, 4 * c.nEmbd(), c.nEmbd()));
            proj.weight().assign(Init.normal(g, DType.F32, 0.02 / Math.sqrt(2.0 * c.nLayer()), c.nEmbd(), 4 * c.nEmbd()));
            zeroBiases(fc, proj);
        }

        Tensor forward(Tensor x) {
            return drop.forward(proj.forward(fc.forward(x).gelu()));
        }
    }

    static final class Block extends Module {
        private final LayerNorm ln1;
        private final CausalSelfAttention attn;
        private final LayerNorm ln2;
        private final Mlp mlp;

        Block(Config c, Generator g) {
            ln1 = child("ln1", new LayerNorm(c.nEmbd(), 1e-5, c.bias(), DType.F32));
            attn = child("attn", new CausalSelfAttention(c, g));
            ln2 = child("ln2", new LayerNorm(c.nEmbd(), 1e-5, c.bias(), DType.F32));
            mlp = child("mlp", new Mlp(c, g));
        }

        Tensor forward(Tensor x, KvCache cache, int layer) {
            Tensor h = x.add(attn.forward(ln1.forward(x), cache, layer));
            return h.add(mlp.forward(ln2.forward(h)));
        }

        /** {@link #forward} for one position of a decoder, x (1, C) updated in place. */
        void decode(NdArray x, KvCache cache, int layer, int pos, DecodeState s) {
            ln1.forwardInto(x, s.h, s.mean, s.rstd);
            attn.decode(s.h, cache, layer, pos, s);
            x.add(s.t, x);
            ln2.forwardInto(x, s.h, s.mean, s.rstd);
            mlp.fc.forwardInto(s.h, s.f);
            mlp.proj.forwardInto(s.f.gelu(s.g), s.t);
            x.add(s.t, x);
        }
    }

    /**
     * A decoder's buffers for one position, allocated once and reused at every token: the
     * residual stream x, LayerNorm's output and row statistics, the qkv projection with its
     * heads' views q, k, v (1, nh, 1, hs), the attention output (written head by head through
     * {@code heads}, a (1, nh, 1, hs) view of y) and the MLP's hidden layer before and after GELU.
     * One step allocates only the cache's views.
     */
    private static final class DecodeState {
        final NdArray x;
        final NdArray h;
        final NdArray t;
        final NdArray qkv;
        final NdArray q;
        final NdArray k;
        final NdArray v;
        final NdArray y;
        final NdArray heads;
        final NdArray lse;
        final NdArray mean = NdArray.zeros(DType.F32, 1);
        final NdArray rstd = NdArray.zeros(DType.F32, 1);
        final NdArray f;
        final NdArray g;

        DecodeState(Config c) {
            int e = c.nEmbd();
            x = NdArray.zeros(DType.F32, 1, e);
            h = NdArray.zeros(DType.F32, 1, e);
            t = NdArray.zeros(DType.F32, 1, e);
            qkv = NdArray.zeros(DType.F32, 1, 3 * e);
            int hs = e / c.nHead();
            q = qkv.narrow(1, 0, e).reshape(1, 1, c.nHead(), hs).transpose(1, 2);
            k = qkv.narrow(1, e, e).reshape(1, 1, c.nHead(), hs).transpose(1, 2);
            v = qkv.narrow(1, 2 * e, e).reshape(1, 1, c.nHead(), hs).transpose(1, 2);
            y = NdArray.zeros(DType.F32, 1, e);
            heads = y.reshape(1, 1, c.nHead(), hs).transpose(1, 2);
            lse = NdArray.zeros(DType.F32, 1, c.nHead(), 1);
            f = NdArray.zeros(DType.F32, 1, 4 * e);
            g = NdArray.zeros(DType.F32, 1, 4 * e);
        }
    }

    private final Config cfg;
    private final Embedding wte;
    private final Embedding wpe;
    private final Dropout drop;
    private final Block[] blocks;
    private final LayerNorm lnf;

    public GPT(Config cfg, Generator g) {
        this.cfg = cfg;
        wte = child("wte", new Embedding(cfg.vocab(), cfg.nEmbd(), g, DType.F32));
        wpe = child("wpe", new Embedding(cfg.blockSize(), cfg.nEmbd(), g, DType.F32));
        wte.weight().assign(Init.normal(g, DType.F32, 0.02, cfg.vocab(), cfg.nEmbd()));
        wpe.weight().assign(Init.normal(g, DType.F32, 0.02, cfg.blockSize(), cfg.nEmbd()));
        drop = child("drop", new Dropout(cfg.dropout(), g));
        blocks = new Block[cfg.nLayer()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new Block(cfg, g);
        }
        child("blocks", new ModuleList<>(List.of(blocks)));
        lnf = child("lnf", new LayerNorm(cfg.nEmbd(), 1e-5, cfg.bias(), DType.F32));
    }

    public Config config() {
        return cfg;
    }

    @Override
    public String name() {
        return "gpt";
    }

    @Override
    public int vocabSize() {
        return cfg.vocab();
    }

    @Override
    public int blockSize() {
        return cfg.blockSize();
    }

    @Override
    public int contextLength() {
        return cfg.blockSize();
    }

    @Override
    public Tensor logits(Tensor idx) {
        return forward(idx, null, 0);
    }

    private Tensor forward(Tensor idx, KvCache cache, int start) {
        if (idx.rank() != 2) {
            throw new IllegalArgumentException("gpt: expects token ids (B, T), got " + idx.shape());
        }
        int t = idx.size(1);
        if (start + t > cfg.blockSize()) {
            throw new IllegalArgumentException("gpt: sequence of " + (start + t) + " tokens is longer than the block"
                    + " size " + cfg.blockSize());
        }
        Tensor pos = Tensor.of(NdArray.arange(DType.I32, start, start + t, 1));
        Tensor x = drop.forward(wte.forward(idx).add(wpe.forward(pos)));       // (B, T, C)
        for (int i = 0; i < blocks.length; i++) {
            x = blocks[i].forward(x, cache, i);
        }
        x = lnf.forward(x);
        return x.matmul(wte.weight().tensor().t());                             // (B, T, V), tied head
    }

    /** Generation with a KV cache: each new token costs one position, not a re-read of the context. */
    @Override
    public Decoder decoder(int[] prompt) {
        return new CachedDecoder(prompt);
    }

    private final class CachedDecoder implements Decoder {
        private int[] tokens;
        private KvCache cache;
        private NdArray last;
        private DecodeState state;

        CachedDecoder(int[] prompt) {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("gpt decoder: the prompt needs at least one token");
            }
            tokens = prompt.clone();
            refill();
        }

        /** Rebuilds the cache from the last blockSize tokens (positions restart at 0, as uncached cropping does). */
        private void refill() {
            int n = Math.min(tokens.length, cfg.blockSize());
            int[] ctx = Arrays.copyOfRange(tokens, tokens.length - n, tokens.length);
            if (cache == null) {
                cache = new KvCache(blocks.length, cfg.blockSize());
            }
            cache.length = 0;                                  // the buffers are reused
            try (NoGrad ignored = NoGrad.enter()) {
                Tensor out = forward(Tensor.of(NdArray.of(ctx, 1, n)), cache, 0);
                last = out.data().select(0, 0).select(0, n - 1);
            }
            cache.length = n;
        }

        @Override
        public NdArray logits() {
            return last;
        }

        @Override
        public void append(int token) {
            if (token < 0 || token >= cfg.vocab()) {
                throw new IndexOutOfBoundsException("gpt decoder: token " + token + " is out of range for a vocabulary of "
                        + cfg.vocab());
            }
            tokens = Arrays.copyOf(tokens, tokens.length + 1);
            tokens[tokens.length - 1] = token;
            if (cache.length == cfg.blockSize()) {
                refill();
                return;
            }
            if (isTraining() && cfg.dropout() > 0) {
                // Dropout is live: only the modules' forward applies it.
                try (NoGrad ignored = NoGrad.enter()) {
                    Tensor out = forward(Tensor.of(NdArray.of(new int[] {token}, 1, 1)), cache, cache.length);
                    last = out.data().select(0, 0).select(0, 0);
                }
            } else {
                last = step(token, cache.length);
            }
            cache.length++;
        }

        /**
         * One position at NdArray level, the forward's math through each layer's forwardInto:
         * none of the autograd wrappers and no fresh array per op, which at one token cost more
         * than the arithmetic besides the weights' matrix-vector products. The logits are a fresh
         * array, since the caller may keep them.
         */
        private NdArray step(int token, int pos) {
            if (state == null) {
                state = new DecodeState(cfg);
            }
            NdArray x = state.x;
            x.copyFrom(wte.weight().data().narrow(0, token, 1));
            x.add(wpe.weight().data().narrow(0, pos, 1), x);
            for (int i = 0; i < blocks.length; i++) {
                blocks[i].decode(x, cache, i, pos, state);
            }
            lnf.forwardInto(x, state.h, state.mean, state.rstd);
            return state.h.matmul(wte.weight().data().t()).reshape(cfg.vocab());   // tied head
        }
    }
}
