package dev.jgrad.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API side of the fused layer kernels behind the backend SPI: AdamW and the sum of
 * squares for clipping, LayerNorm forward and backward, causal attention forward and backward.
 * Each has its scalar twin in {@link ScalarKernels}, the oracle its tests compare against.
 */
final class FusedKernels {
    private static final VectorSpecies<Float> S = SimdKernels.S;
    private static final int L = SimdKernels.L;

    private FusedKernels() {
    }

    /** One AdamW update of a contiguous run in place, in the same operation order as the twin. */
    static void adamw(float[] w, int wo, float[] g, int go, float[] m, int mo, float[] v, int vo, int n,
                      dev.jgrad.tensor.backend.AdamStep st) {
        FloatVector b1 = FloatVector.broadcast(S, st.beta1());
        FloatVector c1 = FloatVector.broadcast(S, 1f - st.beta1());
        FloatVector b2 = FloatVector.broadcast(S, st.beta2());
        FloatVector c2 = FloatVector.broadcast(S, 1f - st.beta2());
        FloatVector bc1 = FloatVector.broadcast(S, st.bc1());
        FloatVector bc2 = FloatVector.broadcast(S, st.bc2());
        FloatVector eps = FloatVector.broadcast(S, st.eps());
        FloatVector lr = FloatVector.broadcast(S, st.lr());
        FloatVector decay = FloatVector.broadcast(S, st.decay());
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector gi = FloatVector.fromArray(S, g, go + i);
            FloatVector mi = FloatVector.fromArray(S, m, mo + i).mul(b1).add(gi.mul(c1));
            FloatVector vi = FloatVector.fromArray(S, v, vo + i).mul(b2).add(gi.mul(gi).mul(c2));
            mi.intoArray(m, mo + i);
            vi.intoArray(v, vo + i);
            FloatVector upd = mi.div(bc1).div(vi.div(bc2).sqrt().add(eps)).mul(lr);
            FloatVector.fromArray(S, w, wo + i).mul(decay).sub(upd).intoArray(w, wo + i);
        }
        ScalarKernels.adamw(w, wo + i, g, go + i, m, mo + i, v, vo + i, n - i, st);
    }

    /**
     * One SGD update of a contiguous run in place, in the same operation order as the twin. The
     * plain case (no decay, no momentum) is its own loop: it is the one small models hit every step.
     */
    static void sgd(float[] w, int wo, float[] g, int go, float[] v, int vo, int n,
                    dev.jgrad.tensor.backend.SgdStep st) {
        FloatVector lr = FloatVector.broadcast(S, st.lr());
        int bound = S.loopBound(n);
        int i = 0;
        if (st.weightDecay() == 0 && v == null) {
            for (; i < bound; i += L) {
                FloatVector d = FloatVector.fromArray(S, g, go + i);
                FloatVector.fromArray(S, w, wo + i).sub(d.mul(lr)).intoArray(w, wo + i);
            }
        } else {
            FloatVector wd = FloatVector.broadcast(S, st.weightDecay());
            FloatVector mom = FloatVector.broadcast(S, st.momentum());
            boolean decay = st.weightDecay() != 0;
            for (; i < bound; i += L) {
                FloatVector wi = FloatVector.fromArray(S, w, wo + i);
                FloatVector d = FloatVector.fromArray(S, g, go + i);
                if (decay) {
                    d = d.add(wd.mul(wi));
                }
                if (v != null) {
                    d = st.first() ? d : FloatVector.fromArray(S, v, vo + i).mul(mom).add(d);
                    d.intoArray(v, vo + i);
                }
                wi.sub(d.mul(lr)).intoArray(w, wo + i);
            }
        }
        ScalarKernels.sgd(w, wo + i, g, go + i, v, vo + i, n - i, st);
    }

    /** Sum of squares of a contiguous run: float lanes, summed in a fixed order, returned as double. */
    static double sumOfSquares(float[] x, int off, int n) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(S, x, off + i);
            FloatVector x1 = FloatVector.fromArray(S, x, off + i + L);
            a0 = x0.fma(x0, a0);
            a1 = x1.fma(x1, a1);
        }
        double s = 0;
        for (float f : a0.add(a1).toArray()) {
            s += f;
        }
        for (; i < n; i++) {
            s += (double) x[off + i] * x[off + i];
        }
        return s;
    }

    /**
     * LayerNorm's dw (and db) for columns [lo, hi): sums over the rows in row order, the same
     * float operations per element as the scalar loop (so it is bit-identical to it).
     */
    static void layerNormParamGrads(float[] g, int go, float[] x, int xo, float[] mean, float[] rstd, int rows, int c,
                                    int lo, int hi, float[] dw, float[] db) {
        int bound = lo + S.loopBound(hi - lo);
        for (int i = 0; i < rows; i++) {
            FloatVector vm = FloatVector.broadcast(S, mean[i]);
            FloatVector vr = FloatVector.broadcast(S, rstd[i]);
            int gr = go + i * c;
            int xr = xo + i * c;
            int j = lo;
            for (; j < bound; j += L) {
                FloatVector gv = FloatVector.fromArray(S, g, gr + j);
                FloatVector xh = FloatVector.fromArray(S, x, xr + j).sub(vm).mul(vr);
                FloatVector.fromArray(S, dw, j).add(gv.mul(xh)).intoArray(dw, j);
                if (db != null) {
                    FloatVector.fromArray(S, db, j).add(gv).intoArray(db, j);
                }
            }
            for (; j < hi; j++) {
                float gij = g[gr + j];
                dw[j] += gij * ((x[xr + j] - mean[i]) * rstd[i]);
                if (db != null) {
                    db[j] += gij;
                }
            }
        }
    }

    /** One LayerNorm row: mean and rstd (two passes, no cancellation), then the affine output. */
    static void layerNormRow(float[] x, int xo, float[] w, int wo, float[] b, int bo, float eps, float[] y, int yo,
                             float[] mean, float[] rstd, int row, int c) {
        float m = SimdKernels.sum(x, xo, c) / c;
        FloatVector vm = FloatVector.broadcast(S, m);
        FloatVector acc = FloatVector.zero(S);
        int bound = S.loopBound(c);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector d = FloatVector.fromArray(S, x, xo + j).sub(vm);
            acc = d.fma(d, acc);
        }
        float ss = SimdKernels.hsum(acc);
        for (; j < c; j++) {
            float d = x[xo + j] - m;
            ss += d * d;
        }
        float rs = 1f / (float) Math.sqrt(ss / c + eps);
        mean[row] = m;
        rstd[row] = rs;
        FloatVector vr = FloatVector.broadcast(S, rs);
        for (j = 0; j < bound; j += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + j).sub(vm).mul(vr).mul(FloatVector.fromArray(S, w, wo + j));
            if (b != null) {
                v = v.add(FloatVector.fromArray(S, b, bo + j));
            }
            v.intoArray(y, yo + j);
        }
        for (; j < c; j++) {
            float v = (x[xo + j] - m) * rs * w[wo + j];
            y[yo + j] = b != null ? v + b[bo + j] : v;
        }
    }

    /** dx of one LayerNorm row: rstd * (g w - mean(g w) - xhat * mean(g w xhat)). */
    static void layerNormBackwardRow(float[] g, int go, float[] x, int xo, float[] w, int wo, float m, float rs,
                                     float[] dx, int dxo, int c) {
        FloatVector vm = FloatVector.broadcast(S, m);
        FloatVector vr = FloatVector.broadcast(S, rs);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        int bound = S.loopBound(c);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector gw = FloatVector.fromArray(S, g, go + j).mul(FloatVector.fromArray(S, w, wo + j));
            FloatVector xh = FloatVector.fromArray(S, x, xo + j).sub(vm).mul(vr);
            a1 = a1.add(gw);
            a2 = gw.fma(xh, a2);
        }
        float s1 = SimdKernels.hsum(a1);
        float s2 = SimdKernels.hsum(a2);
        for (; j < c; j++) {
            float gw = g[go + j] * w[wo + j];
            s1 += gw;
            s2 += gw * ((x[xo + j] - m) * rs);
        }
        float mean1 = s1 / c;
        float mean2 = s2 / c;
        FloatVector v1 = FloatVector.broadcast(S, mean1);
        FloatVector v2 = FloatVector.broadcast(S, mean2);
        for (j = 0; j < bound; j += L) {
            FloatVector gw = FloatVector.fromArray(S, g, go + j).mul(FloatVector.fromArray(S, w, wo + j));
            FloatVector xh = FloatVector.fromArray(S, x, xo + j).sub(vm).mul(vr);
            gw.sub(v1).sub(xh.mul(v2)).mul(vr).intoArray(dx, dxo + j);
        }
        for (; j < c; j++) {
            float gw = g[go + j] * w[wo + j];
            float xh = (x[xo + j] - m) * rs;
            dx[dxo + j] = (gw - mean1 - xh * mean2) * rs;
        }
    }

    /**
     * Causal attention forward for one (batch, head) slice, as two small GEMMs around a row
     * softmax: scores = q kᵀ (computed whole; the masked half is cheaper to compute than to skip
     * at T = 64), then out = p v. Summation orders are fixed, so the result does not depend on the
     * thread running the slice. q, k, v start at their offsets with rows {@code qr}, {@code kr},
     * {@code vr} floats apart (views of a qkv projection or of a KV cache need no copy); out and
     * att are dense.
     */
    static void attentionForward(float[] q, int qo, int qr, float[] k, int ko, int kr, float[] v, int vo, int vr,
                                 int tq, int tk, int hs, float scale, float[] out, int oo, float[] att, int ao) {
        Gemm.sgemm(q, qo, qr, 1, k, ko, 1, kr, att, ao, tk, tq, tk, hs, false, false);
        for (int i = 0; i < tq; i++) {
            int n = i + tk - tq + 1;                  // keys this query sees
            int row = ao + i * tk;
            scaleInPlace(att, row, n, scale);
            SimdKernels.softmax(att, row, att, row, n, false);
            java.util.Arrays.fill(att, row + n, row + tk, 0f);
        }
        Gemm.sgemm(att, ao, tk, 1, v, vo, vr, 1, out, oo, hs, tq, hs, tk, false, false);
    }

    private static void scaleInPlace(float[] x, int off, int n, float a) {
        FloatVector va = FloatVector.broadcast(S, a);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, off + i).mul(va).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= a;
        }
    }

    /**
     * Causal attention backward for one slice from the saved probabilities p, as four small
     * GEMMs: dv = p^T g, dp = g v^T, ds = scale p (dp - rowsum(p dp)), dq = ds k, dk = ds^T q.
     * {@code ds} is a (Tq, Tk) scratch buffer; dq, dk, dv (dense) are overwritten. Inputs are
     * addressed as in {@link #attentionForward}.
     */
    static void attentionBackward(float[] q, int qo, int qr, float[] k, int ko, int kr, float[] v, int vo, int vr,
                                  float[] att, int ao, float[] g, int go, int gr, int tq, int tk, int hs, float scale,
                                  float[] dq, int dqo, float[] dk, int dko, float[] dv, int dvo, float[] ds) {
        Gemm.sgemm(att, ao, 1, tk, g, go, gr, 1, dv, dvo, hs, tk, hs, tq, false, false);
        Gemm.sgemm(g, go, gr, 1, v, vo, 1, vr, ds, 0, tk, tq, tk, hs, false, false);
        for (int i = 0; i < tq; i++) {
            int n = i + tk - tq + 1;
            int row = ao + i * tk;
            int dr = i * tk;
            float dot = 0f;
            for (int j = 0; j < n; j++) {
                dot = Math.fma(att[row + j], ds[dr + j], dot);
            }
            FloatVector vd = FloatVector.broadcast(S, dot);
            FloatVector vs = FloatVector.broadcast(S, scale);
            int bound = S.loopBound(n);
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(S, att, row + j).mul(FloatVector.fromArray(S, ds, dr + j).sub(vd)).mul(vs)
                        .intoArray(ds, dr + j);
            }
            for (; j < n; j++) {
                ds[dr + j] = att[row + j] * (ds[dr + j] - dot) * scale;
            }
            java.util.Arrays.fill(ds, dr + n, dr + tk, 0f);
        }
        Gemm.sgemm(ds, 0, tk, 1, k, ko, kr, 1, dq, dqo, hs, tq, hs, tk, false, false);
        Gemm.sgemm(ds, 0, 1, tk, q, qo, qr, 1, dk, dko, hs, tk, hs, tq, false, false);
    }
}
