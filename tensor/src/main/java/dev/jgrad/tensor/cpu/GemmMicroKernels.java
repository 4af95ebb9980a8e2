package dev.jgrad.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tile micro-kernels of {@link Gemm}: one packed A sliver ({@link Gemm#MR} rows)
 * times one packed B sliver ({@link Gemm#NR} columns) over kc steps of k, all MR x NR sums held
 * in vector registers and added into (or written over) the C tile at the end. A sliver packed
 * as rows ({@link GemmPacking#packRows}) has its MR rows {@link Gemm#KC} floats apart; a k-major
 * sliver has the MR values of each k side by side, its k steps {@code as} apart: MR when packed
 * ({@link GemmPacking#packA}), A's own k stride when the 12-row kernels read A in place.
 */
final class GemmMicroKernels {
    private static final VectorSpecies<Float> S = SimdKernels.S;
    private static final int L = SimdKernels.L;
    private static final int MR = Gemm.MR;
    private static final int NR = Gemm.NR;
    private static final int KC = Gemm.KC;

    private GemmMicroKernels() {
    }

    /**
     * Whether the kernels take a tile of fewer than MR real rows directly (the AVX2 ones: A's
     * sliver is zero past them, and only they are loaded and stored). AVX-512's 12-row kernels
     * do not; {@link Gemm}'s block runs those on a scratch tile.
     */
    static final boolean PARTIAL_ROWS = MR != 12;

    /**
     * C tile (rows x NR at cp, rows ldc apart) (+)= A sliver x B sliver; rowLayout: A was packed by
     * packRows. rows is MR unless {@link #PARTIAL_ROWS}.
     */
    static void micro(float[] pa, int ai, boolean rowLayout, int as, float[] pb, int bi, int kc, float[] c, int cp,
                      int ldc, int rows, boolean acc) {
        if (MR == 12) {
            if (rowLayout) {
                micro12r(pa, ai, pb, bi, kc, c, cp, ldc, acc);
            } else {
                micro12(pa, ai, as, pb, bi, kc, c, cp, ldc, acc);
            }
        } else if (rowLayout) {
            micro5r(pa, ai, pb, bi, kc, c, cp, ldc, rows, acc);
        } else {
            micro5(pa, ai, pb, bi, kc, c, cp, ldc, rows, acc);
        }
    }

    /** One vector of C, or zero for a row past the tile's real rows (which is never stored). */
    static FloatVector load(float[] c, int i, boolean real) {
        return real ? FloatVector.fromArray(S, c, i) : FloatVector.zero(S);
    }

    /**
     * One column of vectors of a tile into C, rows ldc apart, only its real rows (the first
     * {@code rows}; a tile of four passes null for c4). Shared by these kernels and
     * {@link MatmulKernels}' four-row tiles.
     */
    static void store(FloatVector c0, FloatVector c1, FloatVector c2, FloatVector c3, FloatVector c4, float[] c,
                      int cp, int ldc, int rows) {
        c0.intoArray(c, cp);
        if (rows > 1) {
            c1.intoArray(c, cp + ldc);
        }
        if (rows > 2) {
            c2.intoArray(c, cp + 2 * ldc);
        }
        if (rows > 3) {
            c3.intoArray(c, cp + 3 * ldc);
        }
        if (rows > 4) {
            c4.intoArray(c, cp + 4 * ldc);
        }
    }

    // The accumulators are the FMA addend (acc = a.fma(b, acc)): that form reaches the FMA
    // units' throughput; with the accumulator as a multiplicand it does not.
    // The AVX2 kernels load C in one if/else on acc, not with load(c, i, acc && rows > r) per
    // vector as the small-row tiles do: that shorter form made the packed GEMM 10-15% slower
    // (512^3 and 1024^3 on one Zen 3 core, builds alternating in one JVM, session 17).
    // micro5 and micro12 are one kernel unrolled for two register files: every accumulator has
    // to be a local variable for C2 to keep it in a register, so they cannot share a loop.
    // The AVX2 loops step the B index itself (bq += NR) and carry A's as a second variable: with a
    // counter p, C2 rebuilt bi + p * NR and ai + p every step (six more integer instructions,
    // two of them stack reloads) in a loop whose FMAs already need about six instructions a
    // cycle issued. Kernel over 16 A slivers from L2, Zen 3 core, alternating in one JVM, four
    // runs: 80-85 -> 86-90 GFLOP/s (FMA peak 98-102; 4 rows then). micro12 keeps the counter:
    // AVX-512 has not been measured with this form.
    private static void micro5(float[] pa, int ai, float[] pb, int bi, int kc, float[] c, int cp, int ldc,
                               int rows, boolean acc) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41;
        if (acc) {
            c00 = FloatVector.fromArray(S, c, cp);
            c01 = FloatVector.fromArray(S, c, cp + L);
            c10 = load(c, cp + ldc, rows > 1);
            c11 = load(c, cp + ldc + L, rows > 1);
            c20 = load(c, cp + 2 * ldc, rows > 2);
            c21 = load(c, cp + 2 * ldc + L, rows > 2);
            c30 = load(c, cp + 3 * ldc, rows > 3);
            c31 = load(c, cp + 3 * ldc + L, rows > 3);
            c40 = load(c, cp + 4 * ldc, rows > 4);
            c41 = load(c, cp + 4 * ldc + L, rows > 4);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = FloatVector.zero(S);
        }
        int aq = ai;
        for (int bq = bi, end = bi + kc * NR; bq < end; bq += NR, aq += 5) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bq);
            FloatVector b1 = FloatVector.fromArray(S, pb, bq + L);
            FloatVector x = FloatVector.broadcast(S, pa[aq]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, pa[aq + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, pa[aq + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, pa[aq + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, pa[aq + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        store(c00, c10, c20, c30, c40, c, cp, ldc, rows);
        store(c01, c11, c21, c31, c41, c, cp + L, ldc, rows);
    }

    private static void micro12(float[] pa, int ai, int as, float[] pb, int bi, int kc, float[] c, int cp, int ldc,
                                boolean acc) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
        if (acc) {
            c00 = FloatVector.fromArray(S, c, cp);
            c01 = FloatVector.fromArray(S, c, cp + L);
            c10 = FloatVector.fromArray(S, c, cp + ldc);
            c11 = FloatVector.fromArray(S, c, cp + ldc + L);
            c20 = FloatVector.fromArray(S, c, cp + 2 * ldc);
            c21 = FloatVector.fromArray(S, c, cp + 2 * ldc + L);
            c30 = FloatVector.fromArray(S, c, cp + 3 * ldc);
            c31 = FloatVector.fromArray(S, c, cp + 3 * ldc + L);
            c40 = FloatVector.fromArray(S, c, cp + 4 * ldc);
            c41 = FloatVector.fromArray(S, c, cp + 4 * ldc + L);
            c50 = FloatVector.fromArray(S, c, cp + 5 * ldc);
            c51 = FloatVector.fromArray(S, c, cp + 5 * ldc + L);
            c60 = FloatVector.fromArray(S, c, cp + 6 * ldc);
            c61 = FloatVector.fromArray(S, c, cp + 6 * ldc + L);
            c70 = FloatVector.fromArray(S, c, cp + 7 * ldc);
            c71 = FloatVector.fromArray(S, c, cp + 7 * ldc + L);
            c80 = FloatVector.fromArray(S, c, cp + 8 * ldc);
            c81 = FloatVector.fromArray(S, c, cp + 8 * ldc + L);
            c90 = FloatVector.fromArray(S, c, cp + 9 * ldc);
            c91 = FloatVector.fromArray(S, c, cp + 9 * ldc + L);
            c100 = FloatVector.fromArray(S, c, cp + 10 * ldc);
            c101 = FloatVector.fromArray(S, c, cp + 10 * ldc + L);
            c110 = FloatVector.fromArray(S, c, cp + 11 * ldc);
            c111 = FloatVector.fromArray(S, c, cp + 11 * ldc + L);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = c80 = c81 = c90 = c91 = c100 = c101 = c110 = c111 = FloatVector.zero(S);
        }
        for (int p = 0; p < kc; p++) {
            int bq = bi + p * NR;
            int aq = ai + p * as;
            FloatVector b0 = FloatVector.fromArray(S, pb, bq);
            FloatVector b1 = FloatVector.fromArray(S, pb, bq + L);
            FloatVector x = FloatVector.broadcast(S, pa[aq]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, pa[aq + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, pa[aq + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, pa[aq + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, pa[aq + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, pa[aq + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, pa[aq + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, pa[aq + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, pa[aq + 8]);
            c80 = x.fma(b0, c80);
            c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, pa[aq + 9]);
            c90 = x.fma(b0, c90);
            c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, pa[aq + 10]);
            c100 = x.fma(b0, c100);
            c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(S, pa[aq + 11]);
            c110 = x.fma(b0, c110);
            c111 = x.fma(b1, c111);
        }
        c00.intoArray(c, cp);
        c01.intoArray(c, cp + L);
        c10.intoArray(c, cp + ldc);
        c11.intoArray(c, cp + ldc + L);
        c20.intoArray(c, cp + 2 * ldc);
        c21.intoArray(c, cp + 2 * ldc + L);
        c30.intoArray(c, cp + 3 * ldc);
        c31.intoArray(c, cp + 3 * ldc + L);
        c40.intoArray(c, cp + 4 * ldc);
        c41.intoArray(c, cp + 4 * ldc + L);
        c50.intoArray(c, cp + 5 * ldc);
        c51.intoArray(c, cp + 5 * ldc + L);
        c60.intoArray(c, cp + 6 * ldc);
        c61.intoArray(c, cp + 6 * ldc + L);
        c70.intoArray(c, cp + 7 * ldc);
        c71.intoArray(c, cp + 7 * ldc + L);
        c80.intoArray(c, cp + 8 * ldc);
        c81.intoArray(c, cp + 8 * ldc + L);
        c90.intoArray(c, cp + 9 * ldc);
        c91.intoArray(c, cp + 9 * ldc + L);
        c100.intoArray(c, cp + 10 * ldc);
        c101.intoArray(c, cp + 10 * ldc + L);
        c110.intoArray(c, cp + 11 * ldc);
        c111.intoArray(c, cp + 11 * ldc + L);
    }

    private static void micro5r(float[] pa, int ai, float[] pb, int bi, int kc, float[] c, int cp, int ldc,
                               int rows, boolean acc) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41;
        if (acc) {
            c00 = FloatVector.fromArray(S, c, cp);
            c01 = FloatVector.fromArray(S, c, cp + L);
            c10 = load(c, cp + ldc, rows > 1);
            c11 = load(c, cp + ldc + L, rows > 1);
            c20 = load(c, cp + 2 * ldc, rows > 2);
            c21 = load(c, cp + 2 * ldc + L, rows > 2);
            c30 = load(c, cp + 3 * ldc, rows > 3);
            c31 = load(c, cp + 3 * ldc + L, rows > 3);
            c40 = load(c, cp + 4 * ldc, rows > 4);
            c41 = load(c, cp + 4 * ldc + L, rows > 4);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = FloatVector.zero(S);
        }
        int aq = ai;
        for (int bq = bi, end = bi + kc * NR; bq < end; bq += NR, aq++) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bq);
            FloatVector b1 = FloatVector.fromArray(S, pb, bq + L);
            FloatVector x = FloatVector.broadcast(S, pa[aq]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, pa[aq + KC]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, pa[aq + 2 * KC]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, pa[aq + 3 * KC]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, pa[aq + 4 * KC]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        store(c00, c10, c20, c30, c40, c, cp, ldc, rows);
        store(c01, c11, c21, c31, c41, c, cp + L, ldc, rows);
    }

    private static void micro12r(float[] pa, int ai, float[] pb, int bi, int kc, float[] c, int cp, int ldc,
                                boolean acc) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
        if (acc) {
            c00 = FloatVector.fromArray(S, c, cp);
            c01 = FloatVector.fromArray(S, c, cp + L);
            c10 = FloatVector.fromArray(S, c, cp + ldc);
            c11 = FloatVector.fromArray(S, c, cp + ldc + L);
            c20 = FloatVector.fromArray(S, c, cp + 2 * ldc);
            c21 = FloatVector.fromArray(S, c, cp + 2 * ldc + L);
            c30 = FloatVector.fromArray(S, c, cp + 3 * ldc);
            c31 = FloatVector.fromArray(S, c, cp + 3 * ldc + L);
            c40 = FloatVector.fromArray(S, c, cp + 4 * ldc);
            c41 = FloatVector.fromArray(S, c, cp + 4 * ldc + L);
            c50 = FloatVector.fromArray(S, c, cp + 5 * ldc);
            c51 = FloatVector.fromArray(S, c, cp + 5 * ldc + L);
            c60 = FloatVector.fromArray(S, c, cp + 6 * ldc);
            c61 = FloatVector.fromArray(S, c, cp + 6 * ldc + L);
            c70 = FloatVector.fromArray(S, c, cp + 7 * ldc);
            c71 = FloatVector.fromArray(S, c, cp + 7 * ldc + L);
            c80 = FloatVector.fromArray(S, c, cp + 8 * ldc);
            c81 = FloatVector.fromArray(S, c, cp + 8 * ldc + L);
            c90 = FloatVector.fromArray(S, c, cp + 9 * ldc);
            c91 = FloatVector.fromArray(S, c, cp + 9 * ldc + L);
            c100 = FloatVector.fromArray(S, c, cp + 10 * ldc);
            c101 = FloatVector.fromArray(S, c, cp + 10 * ldc + L);
            c110 = FloatVector.fromArray(S, c, cp + 11 * ldc);
            c111 = FloatVector.fromArray(S, c, cp + 11 * ldc + L);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = c80 = c81 = c90 = c91 = c100 = c101 = c110 = c111 = FloatVector.zero(S);
        }
        for (int p = 0; p < kc; p++) {
            int bq = bi + p * NR;
            int aq = ai + p;
            FloatVector b0 = FloatVector.fromArray(S, pb, bq);
            FloatVector b1 = FloatVector.fromArray(S, pb, bq + L);
            FloatVector x = FloatVector.broadcast(S, pa[aq]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, pa[aq + KC]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, pa[aq + 2 * KC]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, pa[aq + 3 * KC]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, pa[aq + 4 * KC]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, pa[aq + 5 * KC]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, pa[aq + 6 * KC]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, pa[aq + 7 * KC]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, pa[aq + 8 * KC]);
            c80 = x.fma(b0, c80);
            c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, pa[aq + 9 * KC]);
            c90 = x.fma(b0, c90);
            c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, pa[aq + 10 * KC]);
            c100 = x.fma(b0, c100);
            c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(S, pa[aq + 11 * KC]);
            c110 = x.fma(b0, c110);
            c111 = x.fma(b1, c111);
        }
        c00.intoArray(c, cp);
        c01.intoArray(c, cp + L);
        c10.intoArray(c, cp + ldc);
        c11.intoArray(c, cp + ldc + L);
        c20.intoArray(c, cp + 2 * ldc);
        c21.intoArray(c, cp + 2 * ldc + L);
        c30.intoArray(c, cp + 3 * ldc);
        c31.intoArray(c, cp + 3 * ldc + L);
        c40.intoArray(c, cp + 4 * ldc);
        c41.intoArray(c, cp + 4 * ldc + L);
        c50.intoArray(c, cp + 5 * ldc);
        c51.intoArray(c, cp + 5 * ldc + L);
        c60.intoArray(c, cp + 6 * ldc);
        c61.intoArray(c, cp + 6 * ldc + L);
        c70.intoArray(c, cp + 7 * ldc);
        c71.intoArray(c, cp + 7 * ldc + L);
        c80.intoArray(c, cp + 8 * ldc);
        c81.intoArray(c, cp + 8 * ldc + L);
        c90.intoArray(c, cp + 9 * ldc);
        c91.intoArray(c, cp + 9 * ldc + L);
        c100.intoArray(c, cp + 10 * ldc);
        c101.intoArray(c, cp + 10 * ldc + L);
        c110.intoArray(c, cp + 11 * ldc);
        c111.intoArray(c, cp + 11 * ldc + L);
    }

    /**
     * The first vector of columns only (L of the tile's NR), for a last B sliver with at most L
     * real columns (N = 65 leaves one): half the multiply-adds of the full tile, each element the
     * same FMA chain as there, so the same bits.
     */
    static void microHalf(float[] pa, int ai, boolean rowLayout, int as, float[] pb, int bi, int kc, float[] c,
                          int cp, int ldc, int rows, boolean acc) {
        if (MR == 12) {
            if (rowLayout) {
                micro12rh(pa, ai, pb, bi, kc, c, cp, ldc, acc);
            } else {
                micro12h(pa, ai, as, pb, bi, kc, c, cp, ldc, acc);
            }
        } else if (rowLayout) {
            micro5rh(pa, ai, pb, bi, kc, c, cp, ldc, rows, acc);
        } else {
            micro5h(pa, ai, pb, bi, kc, c, cp, ldc, rows, acc);
        }
    }

    private static void micro5h(float[] pa, int ai, float[] pb, int bi, int kc, float[] c, int cp, int ldc,
                               int rows, boolean acc) {
        FloatVector c0, c1, c2, c3, c4;
        if (acc) {
            c0 = FloatVector.fromArray(S, c, cp);
            c1 = load(c, cp + ldc, rows > 1);
            c2 = load(c, cp + 2 * ldc, rows > 2);
            c3 = load(c, cp + 3 * ldc, rows > 3);
            c4 = load(c, cp + 4 * ldc, rows > 4);
        } else {
            c0 = c1 = c2 = c3 = c4 = FloatVector.zero(S);
        }
        int aq = ai;
        for (int bq = bi, end = bi + kc * NR; bq < end; bq += NR, aq += 5) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bq);
            c0 = FloatVector.broadcast(S, pa[aq]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, pa[aq + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, pa[aq + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, pa[aq + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, pa[aq + 4]).fma(b0, c4);
        }
        store(c0, c1, c2, c3, c4, c, cp, ldc, rows);
    }

    private static void micro5rh(float[] pa, int ai, float[] pb, int bi, int kc, float[] c, int cp, int ldc,
                               int rows, boolean acc) {
        FloatVector c0, c1, c2, c3, c4;
        if (acc) {
            c0 = FloatVector.fromArray(S, c, cp);
            c1 = load(c, cp + ldc, rows > 1);
            c2 = load(c, cp + 2 * ldc, rows > 2);
            c3 = load(c, cp + 3 * ldc, rows > 3);
            c4 = load(c, cp + 4 * ldc, rows > 4);
        } else {
            c0 = c1 = c2 = c3 = c4 = FloatVector.zero(S);
        }
        int aq = ai;
        for (int bq = bi, end = bi + kc * NR; bq < end; bq += NR, aq++) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bq);
            c0 = FloatVector.broadcast(S, pa[aq]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, pa[aq + KC]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, pa[aq + 2 * KC]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, pa[aq + 3 * KC]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, pa[aq + 4 * KC]).fma(b0, c4);
        }
        store(c0, c1, c2, c3, c4, c, cp, ldc, rows);
    }

    private static void micro12h(float[] pa, int ai, int as, float[] pb, int bi, int kc, float[] c, int cp,
                                 int ldc, boolean acc) {
        FloatVector c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;
        if (acc) {
            c0 = FloatVector.fromArray(S, c, cp);
            c1 = FloatVector.fromArray(S, c, cp + ldc);
            c2 = FloatVector.fromArray(S, c, cp + 2 * ldc);
            c3 = FloatVector.fromArray(S, c, cp + 3 * ldc);
            c4 = FloatVector.fromArray(S, c, cp + 4 * ldc);
            c5 = FloatVector.fromArray(S, c, cp + 5 * ldc);
            c6 = FloatVector.fromArray(S, c, cp + 6 * ldc);
            c7 = FloatVector.fromArray(S, c, cp + 7 * ldc);
            c8 = FloatVector.fromArray(S, c, cp + 8 * ldc);
            c9 = FloatVector.fromArray(S, c, cp + 9 * ldc);
            c10 = FloatVector.fromArray(S, c, cp + 10 * ldc);
            c11 = FloatVector.fromArray(S, c, cp + 11 * ldc);
        } else {
            c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = FloatVector.zero(S);
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bi + p * NR);
            int aq = ai + p * as;
            c0 = FloatVector.broadcast(S, pa[aq]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, pa[aq + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, pa[aq + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, pa[aq + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, pa[aq + 4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, pa[aq + 5]).fma(b0, c5);
            c6 = FloatVector.broadcast(S, pa[aq + 6]).fma(b0, c6);
            c7 = FloatVector.broadcast(S, pa[aq + 7]).fma(b0, c7);
            c8 = FloatVector.broadcast(S, pa[aq + 8]).fma(b0, c8);
            c9 = FloatVector.broadcast(S, pa[aq + 9]).fma(b0, c9);
            c10 = FloatVector.broadcast(S, pa[aq + 10]).fma(b0, c10);
            c11 = FloatVector.broadcast(S, pa[aq + 11]).fma(b0, c11);
        }
        c0.intoArray(c, cp);
        c1.intoArray(c, cp + ldc);
        c2.intoArray(c, cp + 2 * ldc);
        c3.intoArray(c, cp + 3 * ldc);
        c4.intoArray(c, cp + 4 * ldc);
        c5.intoArray(c, cp + 5 * ldc);
        c6.intoArray(c, cp + 6 * ldc);
        c7.intoArray(c, cp + 7 * ldc);
        c8.intoArray(c, cp + 8 * ldc);
        c9.intoArray(c, cp + 9 * ldc);
        c10.intoArray(c, cp + 10 * ldc);
        c11.intoArray(c, cp + 11 * ldc);
    }

    private static void micro12rh(float[] pa, int ai, float[] pb, int bi, int kc, float[] c, int cp, int ldc,
                                  boolean acc) {
        FloatVector c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;
        if (acc) {
            c0 = FloatVector.fromArray(S, c, cp);
            c1 = FloatVector.fromArray(S, c, cp + ldc);
            c2 = FloatVector.fromArray(S, c, cp + 2 * ldc);
            c3 = FloatVector.fromArray(S, c, cp + 3 * ldc);
            c4 = FloatVector.fromArray(S, c, cp + 4 * ldc);
            c5 = FloatVector.fromArray(S, c, cp + 5 * ldc);
            c6 = FloatVector.fromArray(S, c, cp + 6 * ldc);
            c7 = FloatVector.fromArray(S, c, cp + 7 * ldc);
            c8 = FloatVector.fromArray(S, c, cp + 8 * ldc);
            c9 = FloatVector.fromArray(S, c, cp + 9 * ldc);
            c10 = FloatVector.fromArray(S, c, cp + 10 * ldc);
            c11 = FloatVector.fromArray(S, c, cp + 11 * ldc);
        } else {
            c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = FloatVector.zero(S);
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bi + p * NR);
            int aq = ai + p;
            c0 = FloatVector.broadcast(S, pa[aq]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, pa[aq + KC]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, pa[aq + 2 * KC]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, pa[aq + 3 * KC]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, pa[aq + 4 * KC]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, pa[aq + 5 * KC]).fma(b0, c5);
            c6 = FloatVector.broadcast(S, pa[aq + 6 * KC]).fma(b0, c6);
            c7 = FloatVector.broadcast(S, pa[aq + 7 * KC]).fma(b0, c7);
            c8 = FloatVector.broadcast(S, pa[aq + 8 * KC]).fma(b0, c8);
            c9 = FloatVector.broadcast(S, pa[aq + 9 * KC]).fma(b0, c9);
            c10 = FloatVector.broadcast(S, pa[aq + 10 * KC]).fma(b0, c10);
            c11 = FloatVector.broadcast(S, pa[aq + 11 * KC]).fma(b0, c11);
        }
        c0.intoArray(c, cp);
        c1.intoArray(c, cp + ldc);
        c2.intoArray(c, cp + 2 * ldc);
        c3.intoArray(c, cp + 3 * ldc);
        c4.intoArray(c, cp + 4 * ldc);
        c5.intoArray(c, cp + 5 * ldc);
        c6.intoArray(c, cp + 6 * ldc);
        c7.intoArray(c, cp + 7 * ldc);
        c8.intoArray(c, cp + 8 * ldc);
        c9.intoArray(c, cp + 9 * ldc);
        c10.intoArray(c, cp + 10 * ldc);
        c11.intoArray(c, cp + 11 * ldc);
    }
}
