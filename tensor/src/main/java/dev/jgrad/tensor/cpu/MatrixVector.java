package dev.jgrad.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector dot products and row updates for {@link Gemm}'s matrix-vector path (one or two rows of
 * A, decoding a token at a time) and for the last few columns of a packed product: no packing,
 * each output a dot product along k or a run of axpys over B's rows. Every output is summed in
 * {@link #dot}'s order, however many are computed together.
 */
final class MatrixVector {
    private static final VectorSpecies<Float> S = SimdKernels.S;
    private static final int L = SimdKernels.L;

    private MatrixVector() {
    }

    /**
     * C[j] (+)= sum_p a[p] b[j, p] for j in [lo, hi): B's columns are contiguous along k (B is a
     * transposed row-major matrix, a Linear weight), so each output is one vector dot product.
     */
    static void rowTimesTransposed(float[] a, int ao, int sak, float[] b, int bo, int sbn, float[] c, int co,
                                           int lo, int hi, int k, boolean acc) {
        float[] row = a;
        int r0 = ao;
        if (sak != 1) {
            row = new float[k];
            for (int p = 0; p < k; p++) {
                row[p] = a[ao + p * sak];
            }
            r0 = 0;
        }
        int j = lo;
        for (; j + 4 <= hi; j += 4) {
            dot4(row, r0, b, bo + j * sbn, sbn, k, c, co + j, 1, acc);
        }
        for (; j < hi; j++) {
            float d = dot(row, r0, b, bo + j * sbn, k);
            c[co + j] = acc ? c[co + j] + d : d;
        }
    }

    /**
     * Four outputs at once: one load of x feeds four FMAs (the single dot loads two vectors per
     * FMA), and the four chains hide each other's FMA latency. Every output is summed in the same
     * order as {@link #dot} sums it, so which columns go four at a time does not matter. The four
     * outputs are cs apart in c (1 for four columns of a row, C's row stride for four rows).
     */
    static void dot4(float[] x, int xo, float[] y, int yo, int sbn, int k, float[] c, int co, int cs,
                             boolean acc) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S);
        FloatVector s3 = FloatVector.zero(S);
        int y1 = yo + sbn;
        int y2 = y1 + sbn;
        int y3 = y2 + sbn;
        int p = 0;
        for (; p + L <= k; p += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + p);
            s0 = xv.fma(FloatVector.fromArray(S, y, yo + p), s0);
            s1 = xv.fma(FloatVector.fromArray(S, y, y1 + p), s1);
            s2 = xv.fma(FloatVector.fromArray(S, y, y2 + p), s2);
            s3 = xv.fma(FloatVector.fromArray(S, y, y3 + p), s3);
        }
        float d0 = SimdKernels.hsum(s0);
        float d1 = SimdKernels.hsum(s1);
        float d2 = SimdKernels.hsum(s2);
        float d3 = SimdKernels.hsum(s3);
        for (; p < k; p++) {
            float xp = x[xo + p];
            d0 = Math.fma(xp, y[yo + p], d0);
            d1 = Math.fma(xp, y[y1 + p], d1);
            d2 = Math.fma(xp, y[y2 + p], d2);
            d3 = Math.fma(xp, y[y3 + p], d3);
        }
        c[co] = acc ? c[co] + d0 : d0;
        c[co + cs] = acc ? c[co + cs] + d1 : d1;
        c[co + 2 * cs] = acc ? c[co + 2 * cs] + d2 : d2;
        c[co + 3 * cs] = acc ? c[co + 3 * cs] + d3 : d3;
    }

    /** One output, summed exactly as {@link #dot4} sums each of its four (so chunking never changes a result). */
    static float dot(float[] x, int xo, float[] y, int yo, int k) {
        FloatVector s0 = FloatVector.zero(S);
        int p = 0;
        for (; p + L <= k; p += L) {
            s0 = FloatVector.fromArray(S, x, xo + p).fma(FloatVector.fromArray(S, y, yo + p), s0);
        }
        float d = SimdKernels.hsum(s0);
        for (; p < k; p++) {
            d = Math.fma(x[xo + p], y[yo + p], d);
        }
        return d;
    }

    /** C[j] (+)= sum_p a[p] B[p, j] for j in [lo, hi) with B's rows contiguous: vector axpys. */
    static void rowTimesRows(float[] a, int ao, int sak, float[] b, int bo, int sbk, float[] c, int co,
                                     int lo, int hi, int k, boolean acc) {
        if (!acc) {
            java.util.Arrays.fill(c, co + lo, co + hi, 0f);
        }
        int bound = lo + S.loopBound(hi - lo);
        for (int p = 0; p < k; p++) {
            float av = a[ao + p * sak];
            FloatVector va = FloatVector.broadcast(S, av);
            int br = bo + p * sbk;
            int j = lo;
            for (; j < bound; j += L) {
                va.fma(FloatVector.fromArray(S, b, br + j), FloatVector.fromArray(S, c, co + j)).intoArray(c, co + j);
            }
            for (; j < hi; j++) {
                c[co + j] = Math.fma(av, b[br + j], c[co + j]);
            }
        }
    }
}
