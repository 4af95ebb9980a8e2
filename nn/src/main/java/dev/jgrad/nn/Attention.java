package dev.jgrad.nn;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.GradMode;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.Backends;

/**
 * Causal scaled-dot-product attention as one op: y = softmax(mask(q kᵀ / sqrt(hs))) v over
 * (B, nh, Tq, hs) queries and (B, nh, Tk, hs) keys and values. Query i may attend to keys
 * j <= i + (Tk - Tq), so a single new query against a KV cache sees everything cached.
 * Its backward recomputes the attention matrix from q and k (rather than saving it) and is
 * written with Tensor ops, so it can be differentiated again.
 */
public final class Attention {
    private Attention() {
    }

    public static Tensor causal(Tensor q, Tensor k, Tensor v) {
        checkShapes(q.data(), k.data(), v.data());
        return new CausalSdpa().apply(q, k, v);
    }

    /**
     * Inference without autograd into arrays the caller owns (a decoding loop reuses them): the
     * F32 forward of {@link #causal}, the same kernel, so the same bits. {@code out} has q's
     * shape (B, nh, Tq, hs) in any layout whose last dim is contiguous (the transpose(1, 2) of a
     * (B, Tq, nh, hs) buffer merges the heads without a copy); {@code lse} (B, nh, Tq), contiguous,
     * receives each query row's log-sum-exp.
     */
    public static NdArray causalInto(NdArray q, NdArray k, NdArray v, NdArray out, NdArray lse) {
        checkShapes(q, k, v);
        if (q.dtype() != DType.F32 || k.dtype() != DType.F32 || v.dtype() != DType.F32 || out.dtype() != DType.F32
                || lse.dtype() != DType.F32 || !out.shape().equals(q.shape()) || lse.rank() != 3
                || lse.size(0) != q.size(0) || lse.size(1) != q.size(1) || lse.size(2) != q.size(2)
                || !lse.isContiguous()) {
            throw new IllegalArgumentException("attention (into): expects F32 q, k, v, an F32 out of q's shape " + q.shape()
                    + " and a contiguous F32 lse (B, nh, Tq), got out " + out.dtype() + " " + out.shape() + ", lse "
                    + lse.dtype() + " " + lse.shape());
        }
        for (NdArray in : new NdArray[] {q, k, v}) {
            if (out.sharesStorageWith(in) || lse.sharesStorageWith(in)) {
                throw new IllegalArgumentException("attention (into): out and lse may not share storage with q, k or v"
                        + " (out " + out.shape() + ", input " + in.shape() + ")");
            }
        }
        Backends.get().causalAttentionForward(q, k, v, 1 / Math.sqrt(q.size(3)), out, lse);
        return out;
    }

    private static void checkShapes(NdArray q, NdArray k, NdArray v) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4 || !k.shape().equals(v.shape())
                || q.size(0) != k.size(0) || q.size(1) != k.size(1) || q.size(3) != k.size(3) || q.size(2) > k.size(2)) {
            throw new IllegalArgumentException("attention: expects q (B, nh, Tq, hs) and k, v (B, nh, Tk, hs) with"
                    + " Tq <= Tk, got " + q.shape() + ", " + k.shape() + ", " + v.shape());
        }
    }

    /** (Tq, Tk) I32 mask of the positions a query must not see. */
    static NdArray futureMask(int tq, int tk) {
        return NdArray.ones(DType.I32, tq, tk).triu(tk - tq + 1);
    }

    /** softmax(mask(q kᵀ s)) with Tensor ops: used by backward, differentiable. */
    static Tensor weights(Tensor q, Tensor k) {
        double scale = 1 / Math.sqrt(q.size(3));
        Tensor scores = q.matmul(k.transpose(-2, -1)).mul(scale);
        return scores.maskedFill(futureMask(q.size(2), k.size(2)), Double.NEGATIVE_INFINITY).softmax(-1);
    }

    static final class CausalSdpa extends Function {
        @Override
        public String name() {
            return "CausalAttention";
        }

        /** The output and per-row log-sum-exp (B, nh, Tq) the fused F32 forward leaves for the first-order backward. */
        private NdArray fusedOut;
        private NdArray fusedLse;

        @Override
        protected NdArray forward(Tensor... in) {
            save(in[0], in[1], in[2]);
            NdArray q = in[0].data();
            NdArray k = in[1].data();
            double scale = 1 / Math.sqrt(q.size(3));
            if (q.dtype() == DType.F32) {
                // One kernel per (batch, head) slice, reading q, k, v where they lie: strided views
                // of the qkv projection, or a prefix of a preallocated KV cache.
                // The output is laid out (B, T, nh, hs): the caller's transpose(1, 2).reshape(B, T, C),
                // which merges the heads, is then a view instead of a copy.
                NdArray out = headsLayout(q.shape().dims());
                NdArray lse = NdArray.empty(DType.F32, q.size(0), q.size(1), q.size(2));
                Backends.get().causalAttentionForward(q, k, in[2].data(), scale, out, lse);
                fusedOut = out;
                fusedLse = lse;
                return out;
            }
            NdArray att = q.matmul(k.transpose(-2, -1)).mul(scale)
                    .maskedFill(futureMask(q.size(2), k.size(2)), Double.NEGATIVE_INFINITY).softmax(-1);
            return att.matmul(in[2].data());
        }

        /** A (B, nh, T, hs) F32 view of a new (B, T, nh, hs) array, for a kernel to overwrite. */
        private static NdArray headsLayout(int[] bnths) {
            return NdArray.empty(DType.F32, bnths[0], bnths[2], bnths[1], bnths[3]).transpose(1, 2);
        }

        /**
         * An array for the gradient of x, laid out as x is (PyTorch's rule for a parameter's
         * gradient): heads split from a projection, a (B, nh, T, hs) view of (B, T, nh, hs),
         * get that layout, so transposing and reshaping them back to (B, T, C) is a view, not a
         * copy each; a contiguous x (a leaf of its own, as in AttentionBench) gets a contiguous
         * gradient, which a leaf keeps as it is instead of copying it.
         */
        private static NdArray gradientLayout(NdArray x) {
            return x.isContiguous() ? NdArray.empty(DType.F32, x.shape().dims()) : headsLayout(x.shape().dims());
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor q = saved(0);
            Tensor k = saved(1);
            Tensor v = saved(2);
            double scale = 1 / Math.sqrt(q.size(3));
            if (fusedLse != null && !GradMode.isEnabled()) {
                NdArray dq = gradientLayout(q.data());
                NdArray dk = gradientLayout(k.data());
                NdArray dv = gradientLayout(v.data());
                Backends.get().causalAttentionBackward(q.data(), k.data(), v.data(), fusedOut, fusedLse, g.data(), scale,
                        dq, dk, dv);
                fusedOut = null;
                fusedLse = null;
                return new Tensor[] {needsGrad(0) ? Tensor.of(dq) : null, needsGrad(1) ? Tensor.of(dk) : null,
                    needsGrad(2) ? Tensor.of(dv) : null};
            }
            // create_graph (or F64): the same gradients from differentiable ops.
            Tensor att = weights(q, k);                                        // (B, nh, Tq, Tk)
            Tensor dv = att.transpose(-2, -1).matmul(g);                       // (B, nh, Tk, hs)
            Tensor datt = g.matmul(v.transpose(-2, -1));                       // (B, nh, Tq, Tk)
            Tensor ds = att.mul(datt.sub(datt.mul(att).sum(new int[] {-1}, true)));
            Tensor dq = ds.matmul(k).mul(scale);
            Tensor dk = ds.transpose(-2, -1).matmul(q).mul(scale);
            return new Tensor[] {needsGrad(0) ? dq : null, needsGrad(1) ? dk : null, needsGrad(2) ? dv : null};
        }
    }
}
