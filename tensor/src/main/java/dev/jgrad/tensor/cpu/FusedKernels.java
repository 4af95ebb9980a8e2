package dev.jgrad.tensor.cpu;

import dev.jgrad.tensor.backend.BinaryOp;
import dev.jgrad.tensor.backend.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API side of the fused layer kernels behind the backend SPI: AdamW and the sum of
 * squares for clipping, LayerNorm forward and backward, causal attention forward and backward,
 * the LSTM cell's step forward and backward.
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
     * tanh's (g (1 - y^2)) or sigmoid's ((g y) (1 - y)) input gradient over whole vectors of n
     * contiguous elements; returns how many it did (the caller's scalar twin does the rest).
     * The composite's operations in its order, so its bits, in one pass instead of three.
     */
    static int activationBackward(boolean tanh, float[] y, int yo, float[] g, int go, float[] d, int dO, int n) {
        int bound = S.loopBound(n);
        FloatVector one = FloatVector.broadcast(S, 1f);
        if (tanh) {
            for (int i = 0; i < bound; i += L) {
                FloatVector yv = FloatVector.fromArray(S, y, yo + i);
                one.sub(yv.mul(yv)).mul(FloatVector.fromArray(S, g, go + i)).intoArray(d, dO + i);
            }
        } else {
            for (int i = 0; i < bound; i += L) {
                FloatVector yv = FloatVector.fromArray(S, y, yo + i);
                FloatVector.fromArray(S, g, go + i).mul(yv).mul(one.sub(yv)).intoArray(d, dO + i);
            }
        }
        return bound;
    }

    /**
     * Rows per block of LayerNorm's parameter-gradient sums: 32, or more for tall inputs so that
     * there are at most 64 blocks of partial sums to add up. A function of the row count alone,
     * so the sums are the same bits for any thread count.
     */
    static int layerNormBlockRows(int rows) {
        return Math.max(32, (rows + 63) / 64);
    }

    /**
     * dw (and db) columns [lo, hi) from the blocks' partial sums (block q's dw at q * width, its
     * db c further on), added in block order.
     */
    static void sumBlocks(float[] part, int blocks, int width, int c, int lo, int hi, float[] dw, float[] db) {
        System.arraycopy(part, lo, dw, lo, hi - lo);
        if (db != null) {
            System.arraycopy(part, c + lo, db, lo, hi - lo);
        }
        int bound = lo + S.loopBound(hi - lo);
        for (int q = 1; q < blocks; q++) {
            int po = q * width;
            int j = lo;
            for (; j < bound; j += L) {
                FloatVector.fromArray(S, dw, j).add(FloatVector.fromArray(S, part, po + j)).intoArray(dw, j);
            }
            for (; j < hi; j++) {
                dw[j] += part[po + j];
            }
            if (db != null) {
                for (j = lo; j < bound; j += L) {
                    FloatVector.fromArray(S, db, j).add(FloatVector.fromArray(S, part, po + c + j)).intoArray(db, j);
                }
                for (; j < hi; j++) {
                    db[j] += part[po + c + j];
                }
            }
        }
    }

    /**
     * LayerNorm rows [lo, hi) of x (row i at xo + i c, its output at i c): mean and rstd (two
     * passes, no cancellation), then the affine output. Each row is computed as on its own; the
     * next row's sum is taken before this row's output pass, so that reduction overlaps the
     * output pass instead of waiting behind it (forward + backward, one Zen 3 core: 3072 x 64
     * 729 -> 616 µs, 768 x 128 278 -> 261; the same split of the backward's two passes gained
     * nothing, its second pass being long enough to overlap the next row already).
     */
    static void layerNormRows(float[] x, int xo, float[] w, int wo, float[] b, int bo, float eps, float[] y,
                              float[] mean, float[] rstd, int lo, int hi, int c) {
        float next = lo < hi ? SimdKernels.sum(x, xo + lo * c, c) : 0f;
        for (int i = lo; i < hi; i++) {
            float s = next;
            if (i + 1 < hi) {
                next = SimdKernels.sum(x, xo + (i + 1) * c, c);
            }
            layerNormRow(x, xo + i * c, w, wo, b, bo, eps, y, i * c, mean, rstd, i, c, s / c);
        }
    }

    /** One LayerNorm row given its mean: rstd, then the affine output. */
    private static void layerNormRow(float[] x, int xo, float[] w, int wo, float[] b, int bo, float eps, float[] y,
                                     int yo, float[] mean, float[] rstd, int row, int c, float m) {
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

    /**
     * dx of one LayerNorm row, rstd * (g w - mean(g w) - xhat * mean(g w xhat)), and the row's
     * terms of dw (g xhat) and db (g) added into the partial sums at sw (and sb, unless it is
     * negative) in the same pass, while g and x are in registers.
     */
    static void layerNormBackwardRow(float[] g, int go, float[] x, int xo, float[] w, int wo, float m, float rs,
                                     float[] dx, int dxo, int c, float[] part, int sw, int sb) {
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
            FloatVector gv = FloatVector.fromArray(S, g, go + j);
            FloatVector gw = gv.mul(FloatVector.fromArray(S, w, wo + j));
            FloatVector xh = FloatVector.fromArray(S, x, xo + j).sub(vm).mul(vr);
            gw.sub(v1).sub(xh.mul(v2)).mul(vr).intoArray(dx, dxo + j);
            FloatVector.fromArray(S, part, sw + j).add(gv.mul(xh)).intoArray(part, sw + j);
            if (sb >= 0) {
                FloatVector.fromArray(S, part, sb + j).add(gv).intoArray(part, sb + j);
            }
        }
        for (; j < c; j++) {
            float gw = g[go + j] * w[wo + j];
            float xh = (x[xo + j] - m) * rs;
            dx[dxo + j] = (gw - mean1 - xh * mean2) * rs;
            part[sw + j] += g[go + j] * xh;
            if (sb >= 0) {
                part[sb + j] += g[go + j];
            }
        }
    }

    /**
     * Query rows and key columns of one attention tile. A tile's scores (TILE x TILE floats, 16 KB)
     * are all of the T x T matrix that ever exists at once, and at GPT's T = 64 a slice is one tile.
     */
    static final int TILE = 64;

    /**
     * Rows (or keys) per product inside a tile: products with p or ds run band by band over only
     * the keys (or query rows) that band can see, skipping the causal mask's zeros, about 3/8 of
     * a diagonal tile's multiply-adds (the products that make scores, q kᵀ and g vᵀ, skip them
     * register tile by register tile instead: {@link Gemm#sgemmLower}). A whole number of the
     * GEMM's row slivers: with AVX2's 5-row slivers a band of 16 rows runs four slivers, 20 rows
     * of work (attention forward + backward at GPT's shape, one thread: 3.28 against 3.05 ms with
     * 4-row slivers); bands of 20 (four a tile, as before) or 15 are within noise of the 4-row
     * build (medians of 41 alternating rounds: 3.34 and 3.44 against 3.52 ms). With AVX-512 the
     * bands took the small-row kernel ({@link Gemm#SMALL_TILES}), whose widest tile is 8 rows:
     * bands of 8 against 16, one Zen 5 core, medians of 21 alternating rounds 803 -> 756 µs
     * (two cores within noise, 1.015); 32 rows 0.986, 4 rows 1.096. Now they go to that tile
     * straight ({@link #DIRECT}).
     */
    static final int BAND = Gemm.MR == 5 ? 20 : 8;

    /**
     * Tile buffers for {@link #attentionForward} and {@link #attentionBackward}, one set per
     * thread and reused: decoding calls attention once per layer and token, and allocating (and
     * zeroing) 32 KB each time cost about 10% of KV-cache tokens/s on one thread, 22-25% on two.
     */
    static final class AttentionScratch {
        private static final ThreadLocal<AttentionScratch> MINE = ThreadLocal.withInitial(AttentionScratch::new);

        final float[] p = new float[TILE * TILE];
        final float[] dp = new float[TILE * TILE];
        final float[] rows = new float[TILE];
        final float[] sums = new float[TILE];
        final float[] tileMax = new float[TILE];
        private float[] keys = new float[0];

        private AttentionScratch() {
        }

        /** A tile's keys packed for {@link #scores}: n floats, grown on demand. */
        float[] keys(int n) {
            if (keys.length < n) {
                keys = new float[n];
            }
            return keys;
        }

        /** The calling thread's buffers. */
        static AttentionScratch get() {
            return MINE.get();
        }
    }

    /**
     * Causal attention forward for one (batch, head) slice, tiled as flash attention is: for each
     * tile of query rows, the key tiles it can see are visited in order; each score tile
     * s = q kᵀ is turned into unnormalised probabilities exp(scale s - m) against the running row
     * maximum m, the output rows already summed are rescaled when m grows, and p v is accumulated
     * onto them. At the end the rows are divided by their sums and the log-sum-exp of each row
     * (m + log sum) is kept for the backward, which recomputes the probabilities from it: T x T
     * probabilities are never stored. Tile order and summation order are fixed, so the result does
     * not depend on the thread running the slice.
     *
     * <p>q, k, v start at their offsets with rows {@code qr}, {@code kr}, {@code vr} floats apart
     * (views of a qkv projection or of a KV cache need no copy); out's rows are {@code or} floats
     * apart (a head of a (B, T, nh, hs) array, so the heads need no transpose copy afterwards) and
     * lse (Tq) is dense.
     */
    static void attentionForward(float[] q, int qo, int qr, float[] k, int ko, int kr, float[] v, int vo, int vr,
                                 int tq, int tk, int hs, float scale, float[] out, int oo, int or, float[] lse, int lo,
                                 AttentionScratch scratch) {
        float[] p = scratch.p;                   // (TILE, TILE) scores, then probabilities
        float[] max = scratch.rows;              // running row maxima
        float[] sums = scratch.sums;             // running row sums
        float[] tileMax = scratch.tileMax;       // scale times each row's extreme score in this tile
        for (int i0 = 0; i0 < tq; i0 += TILE) {
            int rows = Math.min(TILE, tq - i0);
            int keys = i0 + rows + tk - tq;      // keys the tile's last row sees
            java.util.Arrays.fill(max, 0, rows, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(sums, 0, rows, 0f);
            for (int j0 = 0; j0 < keys; j0 += TILE) {
                int cols = Math.min(TILE, keys - j0);
                int off = i0 + tk - tq - j0;     // row r sees the tile's keys [0, r + off]
                // Scores only in the register tiles some row sees: a row's values past its n are
                // never used (the passes below run in whole vectors, then zero them).
                scores(q, qo + i0 * qr, qr, k, ko + j0 * kr, kr, p, rows, cols, hs, off, scratch);
                // Every row's maximum first, then the exps: in one loop each row's exps waited
                // on its own maximum's reduction and the rows ran one after another. One Zen 5
                // core, a 64 x 64 tile's row passes: 2.4 -> 1.2 µs (a probe on copies of them).
                for (int r = 0; r < rows; r++) {
                    int n = Math.min(cols, r + off + 1);   // keys row r sees in this tile
                    tileMax[r] = n <= 0 ? Float.NEGATIVE_INFINITY : rowExtreme(p, r * TILE, n, scale >= 0) * scale;
                }
                for (int r = 0; r < rows; r++) {
                    int row = r * TILE;
                    int n = Math.min(cols, r + off + 1);
                    if (n <= 0) {
                        zeroPast(p, row, 0, cols);
                        continue;
                    }
                    float mOld = max[r];
                    float m = Math.max(mOld, tileMax[r]);
                    float sum = expScaled(p, row, n, scale, m);
                    zeroPast(p, row, n, cols);
                    if (j0 > 0 && m > mOld) {
                        float corr = (float) Math.exp(mOld - m);
                        sums[r] *= corr;
                        scaleInPlace(out, oo + (i0 + r) * or, hs, corr);
                    }
                    max[r] = m;
                    sums[r] += sum;
                }
                for (int r0 = 0; r0 < rows; r0 += BAND) {
                    // out (+)= p v over the keys this band of rows sees (the rest of p is zero)
                    int r1 = Math.min(rows, r0 + BAND);
                    int seen = Math.clamp(r1 + off, 0, cols);
                    band(p, r0 * TILE, TILE, 1, v, vo + j0 * vr, vr, out, oo + (i0 + r0) * or, or, r1 - r0, hs, seen,
                            j0 > 0);
                }
            }
            for (int r = 0; r < rows; r++) {
                float sum = sums[r];
                scaleInPlace(out, oo + (i0 + r) * or, hs, 1f / sum);
                lse[lo + i0 + r] = max[r] + (float) Math.log(sum);
            }
        }
    }

    /**
     * x[off, off + n) := exp(scale x - shift) in place, returning their sum: in whole vectors, as
     * a tile row is TILE floats wide (a multiple of the vector length), so the last vector may run
     * past n but never past the row; its lanes past n are stored as zeros and not summed (the
     * caller zeroes the rest of the tile's columns: the GEMMs never read past them). One exp per
     * method: two inlined copies push C2 past its inlining budget and the vector ops fall back to
     * Java code.
     */
    private static float expScaled(float[] x, int off, int n, float scale, float shift) {
        FloatVector vs = FloatVector.broadcast(S, scale);
        FloatVector vm = FloatVector.broadcast(S, -shift);
        FloatVector zero = FloatVector.zero(S);
        FloatVector acc = zero;
        for (int i = 0; i < n; i += L) {
            FloatVector e = SimdKernels.expLow(FloatVector.fromArray(S, x, off + i).fma(vs, vm));
            e = zero.blend(e, S.indexInRange(i, n));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        return SimdKernels.hsum(acc);
    }

    /**
     * The largest (or, {@code max} false, smallest) of a tile row's first n values, n >= 1, in
     * whole vectors (a tile row is TILE floats) with the lanes past n masked out: no scalar tail,
     * which on the causal tile's rows of every length averaged half a vector. Java's NaN rule, as
     * {@link SimdKernels#max}.
     */
    private static float rowExtreme(float[] x, int off, int n, boolean max) {
        FloatVector none = FloatVector.broadcast(S, max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
        FloatVector acc = none;
        for (int i = 0; i < n; i += L) {
            FloatVector v = none.blend(FloatVector.fromArray(S, x, off + i), S.indexInRange(i, n));
            acc = max ? acc.max(v) : acc.min(v);
        }
        return acc.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
    }

    /**
     * Zeros a tile row from the first whole vector at or past n up to cols: whole-vector stores,
     * never past the row (TILE is a multiple of the vector length). The vector holding n was
     * zeroed past n by its writer. Arrays.fill here doubled the time of the backward's row pass
     * (0.64 -> 1.27 µs a 64 x 64 tile, one Zen 5 core; vector stores 0.76).
     */
    private static void zeroPast(float[] x, int row, int n, int cols) {
        FloatVector zero = FloatVector.zero(S);
        for (int j = (n + L - 1) / L * L; j < cols; j += L) {
            zero.intoArray(x, row + j);
        }
    }

    /**
     * One tile row of the attention backward: p := exp(scale s - lse) (s, the scores, in p) and
     * dp := scale p (dp - d), in whole vectors as in {@link #expScaled}, both zero past n (what
     * lies there in dp, scores past the diagonal, may be anything) up to cols.
     */
    private static void softmaxBackwardRow(float[] p, float[] dp, int row, int n, int cols, float scale, float lse,
                                           float d) {
        FloatVector vs = FloatVector.broadcast(S, scale);
        FloatVector shift = FloatVector.broadcast(S, -lse);
        FloatVector vd = FloatVector.broadcast(S, d);
        FloatVector zero = FloatVector.zero(S);
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> in = S.indexInRange(j, n);
            FloatVector pj = SimdKernels.expLow(FloatVector.fromArray(S, p, row + j).fma(vs, shift));
            FloatVector ds = pj.mul(FloatVector.fromArray(S, dp, row + j).sub(vd)).mul(vs);
            zero.blend(pj, in).intoArray(p, row + j);
            zero.blend(ds, in).intoArray(dp, row + j);
        }
        zeroPast(p, row, n, cols);
        zeroPast(dp, row, n, cols);
    }

    /**
     * Whether attention's products with a full band of rows go straight to the 8 x 2L register
     * tile ({@link MatmulKernels#tile8x2}): with AVX-512 (its 16 accumulators need 32 registers)
     * and bands of 8. Through {@link Gemm}, each of those small products paid its dispatch (the
     * path choice, thread-local buffers, A copied into a sliver) and the scores packed both
     * operands; at GPT's shape (hs 32) the scores took 1.8 µs a 64 x 64 tile, 1.5 straight, and
     * eight bands of dq 1.07 µs, 0.97 straight (one Zen 5 core, probes). Attention forward +
     * backward at GPT's shape ({@code ./jgrad bench-ab ... AttentionBench.forwardBackward -p
     * threads=1}, medians of 15 alternating rounds): 734 µs, 682 with the two-pass rows below,
     * 608 with these; the GPT step on one core 0.981 (21 rounds).
     */
    private static final boolean DIRECT = L >= 16 && BAND == 8;

    /**
     * c (m rows, ldc apart, hs wide) (+)= a (m x kc, strides sam and sak) b (kc rows sbk apart,
     * hs contiguous each): one band of an attention product. The same bits either way: every
     * element is one FMA chain over k in order, from zero or from c, in both kernels.
     */
    private static void band(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, float[] c, int co,
                             int ldc, int m, int hs, int kc, boolean acc) {
        if (DIRECT && m == BAND && hs % (2 * L) == 0) {
            for (int h = 0; h < hs; h += 2 * L) {
                MatmulKernels.tile8x2(a, ao, sam, sak, b, bo + h, sbk, c, co + h, ldc, kc, acc);
            }
        } else {
            Gemm.sgemmTile(a, ao, sam, sak, b, bo, sbk, 1, c, co, ldc, m, hs, kc, acc);
        }
    }

    /**
     * A score tile p (rows x cols, TILE apart) := a kᵀ where row r sees keys [0, r + off] (a and
     * k rows of hs floats, ar and kr apart), as {@link Gemm#sgemmLower}: past a row's last key p
     * may keep anything. Straight to the register tile: k's rows packed once into slivers of 2L
     * keys, then each band of 8 rows against the slivers some row of the band sees; the rows of
     * a last, partial band through sgemmLower.
     */
    private static void scores(float[] a, int ao, int ar, float[] k, int ko, int kr, float[] p, int rows, int cols,
                               int hs, int off, AttentionScratch scratch) {
        if (!DIRECT || rows < BAND) {
            // No full band (decoding's one query row): nothing would use the packed keys.
            Gemm.sgemmLower(a, ao, ar, 1, k, ko, 1, kr, p, 0, TILE, rows, cols, hs, off);
            return;
        }
        int nr = 2 * L;
        float[] kt = scratch.keys(TILE * hs);
        int slivers = (cols + nr - 1) / nr;
        for (int s = 0; s < slivers; s++) {
            GemmPacking.packB(k, ko + s * nr * kr, 1, kr, Math.min(nr, cols - s * nr), hs, kt, s * nr * hs);
        }
        int r0 = 0;
        for (; r0 + BAND <= rows; r0 += BAND) {
            for (int s = 0; s < slivers && s * nr <= r0 + BAND - 1 + off; s++) {
                MatmulKernels.tile8x2(a, ao + r0 * ar, ar, 1, kt, s * nr * hs, nr, p, r0 * TILE + s * nr, TILE, hs,
                        false);
            }
        }
        if (r0 < rows) {
            Gemm.sgemmLower(a, ao + r0 * ar, ar, 1, k, ko, 1, kr, p, r0 * TILE, TILE, rows - r0, cols, hs, off + r0);
        }
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
     * Causal attention backward for one slice, tiled like the forward and recomputing each tile's
     * probabilities p = exp(scale q kᵀ - lse) from the saved log-sum-exp. With
     * d = rowsum(g * out) (which equals rowsum(p * dp)), each tile does five small GEMMs:
     * dv += pᵀ g, dp = g vᵀ, ds = scale p (dp - d), dq += ds k, dk += dsᵀ q. Inputs are addressed
     * as in {@link #attentionForward}, g like q; dq, dk, dv (rows dqr, dkr, dvr floats apart) are
     * overwritten.
     */
    static void attentionBackward(float[] q, int qo, int qr, float[] k, int ko, int kr, float[] v, int vo, int vr,
                                  float[] out, int oo, int or, float[] lse, int lo, float[] g, int go, int gr, int tq,
                                  int tk, int hs, float scale, float[] dq, int dqo, int dqr, float[] dk, int dko,
                                  int dkr, float[] dv, int dvo, int dvr, AttentionScratch scratch) {
        float[] p = scratch.p;                   // (TILE, TILE) probabilities
        float[] dp = scratch.dp;                 // (TILE, TILE) dp, then ds
        float[] d = scratch.rows;                // rowsum(g * out) of the tile's rows
        for (int i = 0; i < tq; i++) {
            java.util.Arrays.fill(dq, dqo + i * dqr, dqo + i * dqr + hs, 0f);
        }
        for (int j = 0; j < tk; j++) {
            java.util.Arrays.fill(dk, dko + j * dkr, dko + j * dkr + hs, 0f);
            java.util.Arrays.fill(dv, dvo + j * dvr, dvo + j * dvr + hs, 0f);
        }
        for (int i0 = 0; i0 < tq; i0 += TILE) {
            int rows = Math.min(TILE, tq - i0);
            int keys = i0 + rows + tk - tq;
            for (int r = 0; r < rows; r++) {
                d[r] = MatrixVector.dot(g, go + (i0 + r) * gr, out, oo + (i0 + r) * or, hs);
            }
            for (int j0 = 0; j0 < keys; j0 += TILE) {
                int cols = Math.min(TILE, keys - j0);
                int off = i0 + tk - tq - j0;     // row r sees the tile's keys [0, r + off]
                scores(q, qo + i0 * qr, qr, k, ko + j0 * kr, kr, p, rows, cols, hs, off, scratch);
                scores(g, go + i0 * gr, gr, v, vo + j0 * vr, vr, dp, rows, cols, hs, off, scratch);
                for (int r = 0; r < rows; r++) {
                    int row = r * TILE;
                    int n = Math.max(0, Math.min(cols, r + off + 1));
                    softmaxBackwardRow(p, dp, row, n, cols, scale, lse[lo + i0 + r], d[r]);
                }
                for (int r0 = 0; r0 < rows; r0 += BAND) {
                    // dq += ds k over the keys this band of rows sees
                    int r1 = Math.min(rows, r0 + BAND);
                    int seen = Math.clamp(r1 + off, 0, cols);
                    band(dp, r0 * TILE, TILE, 1, k, ko + j0 * kr, kr, dq, dqo + (i0 + r0) * dqr, dqr, r1 - r0, hs,
                            seen, true);
                }
                for (int c0 = 0; c0 < cols; c0 += BAND) {
                    // dv += pᵀ g and dk += dsᵀ q over the rows that see this band of keys
                    int c1 = Math.min(cols, c0 + BAND);
                    int first = Math.clamp(c0 - off, 0, rows);
                    int n = rows - first;
                    band(p, first * TILE + c0, 1, TILE, g, go + (i0 + first) * gr, gr, dv, dvo + (j0 + c0) * dvr,
                            dvr, c1 - c0, hs, n, true);
                    band(dp, first * TILE + c0, 1, TILE, q, qo + (i0 + first) * qr, qr, dk, dko + (j0 + c0) * dkr,
                            dkr, c1 - c0, hs, n, true);
                }
            }
        }
    }

    /**
     * One row of an LSTM step (gates i, f, g, o; z row of 4H, state rows of H): the same
     * operations, in the same order and rounding, as the tensor ops it replaces (gates + pre,
     * sigmoid, tanh, f c' + i g, tanh, o tanh c), each pass over rows that stay in L1. The
     * transcendental passes are the element kernels' own loops, compiled apart from this one.
     */
    static void lstmCellRow(float[] z, int zo, float[] p, int po, float[] cp, int cpo, float[] act, int ao,
                            float[] c, int co, float[] tc, int tco, float[] h, int ho, int hid) {
        SimdKernels.binary(BinaryOp.ADD, z, zo, 1, p, po, 1, act, ao, 4 * hid);
        SimdKernels.unary(UnaryOp.SIGMOID, act, ao, 1, act, ao, 2 * hid);
        SimdKernels.unary(UnaryOp.TANH, act, ao + 2 * hid, 1, act, ao + 2 * hid, hid);
        SimdKernels.unary(UnaryOp.SIGMOID, act, ao + 3 * hid, 1, act, ao + 3 * hid, hid);
        int fo = ao + hid;
        int go = ao + 2 * hid;
        int bound = S.loopBound(hid);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector f = FloatVector.fromArray(S, act, fo + j);
            FloatVector i = FloatVector.fromArray(S, act, ao + j);
            FloatVector g = FloatVector.fromArray(S, act, go + j);
            f.mul(FloatVector.fromArray(S, cp, cpo + j)).add(i.mul(g)).intoArray(c, co + j);
        }
        for (; j < hid; j++) {
            c[co + j] = act[fo + j] * cp[cpo + j] + act[ao + j] * act[go + j];
        }
        SimdKernels.unary(UnaryOp.TANH, c, co, 1, tc, tco, hid);
        SimdKernels.binary(BinaryOp.MUL, act, ao + 3 * hid, 1, tc, tco, 1, h, ho, hid);
    }

    /**
     * One row of an LSTM step's backward: dGates (4H) and dc' = dc f (H) from the step's saved
     * activations, in the operation order of the tensor-op backward it replaces (see
     * {@code LSTM.Sequence}), so the same bits. dco may be dcn.
     */
    static void lstmCellBackwardRow(float[] act, int ao, float[] tc, int tco, float[] cp, int cpo, float[] gh, int gho,
                                    float[] gc, int gco, float[] dh, int dho, float[] dcn, int dcno, float[] dg,
                                    int dgo, float[] dco, int dcoo, int hid) {
        int fo = ao + hid;
        int go = ao + 2 * hid;
        int oo = ao + 3 * hid;
        int bound = S.loopBound(hid);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector i = FloatVector.fromArray(S, act, ao + j);
            FloatVector f = FloatVector.fromArray(S, act, fo + j);
            FloatVector g = FloatVector.fromArray(S, act, go + j);
            FloatVector o = FloatVector.fromArray(S, act, oo + j);
            FloatVector t = FloatVector.fromArray(S, tc, tco + j);
            FloatVector dhs = FloatVector.fromArray(S, gh, gho + j).add(FloatVector.fromArray(S, dh, dho + j));
            FloatVector dcs = t.mul(t).mul(-1f).add(1f).mul(o).mul(dhs)
                    .add(FloatVector.fromArray(S, gc, gco + j)).add(FloatVector.fromArray(S, dcn, dcno + j));
            o.sub(o.mul(o)).mul(t).mul(dhs).intoArray(dg, dgo + 3 * hid + j);
            i.sub(i.mul(i)).mul(g).mul(dcs).intoArray(dg, dgo + j);
            f.sub(f.mul(f)).mul(FloatVector.fromArray(S, cp, cpo + j)).mul(dcs).intoArray(dg, dgo + hid + j);
            g.mul(g).mul(-1f).add(1f).mul(i).mul(dcs).intoArray(dg, dgo + 2 * hid + j);
            dcs.mul(f).intoArray(dco, dcoo + j);
        }
        for (; j < hid; j++) {
            float i = act[ao + j];
            float f = act[fo + j];
            float g = act[go + j];
            float o = act[oo + j];
            float t = tc[tco + j];
            float dhs = gh[gho + j] + dh[dho + j];
            float dcs = (t * t * -1f + 1f) * o * dhs + gc[gco + j] + dcn[dcno + j];
            dg[dgo + 3 * hid + j] = (o - o * o) * t * dhs;
            dg[dgo + j] = (i - i * i) * g * dcs;
            dg[dgo + hid + j] = (f - f * f) * cp[cpo + j] * dcs;
            dg[dgo + 2 * hid + j] = (g * g * -1f + 1f) * i * dcs;
            dco[dcoo + j] = dcs * f;
        }
    }
}
