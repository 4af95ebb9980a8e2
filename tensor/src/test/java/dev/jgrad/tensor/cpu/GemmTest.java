package dev.jgrad.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The packed GEMM against the naive kernel, its oracle: every edge-tile remainder, k across
 * several slabs, all four operand layouts (so A x B^T and A^T x B), accumulation, a C row stride
 * wider than n, super-blocks, and bit-identical results for any thread count.
 */
class GemmTest {
    private static final int[][] SHAPES = {
        {1, 1, 1}, {1, 7, 1}, {5, 3, 70}, {13, 40, 33}, {Gemm.MR + 1, Gemm.KC + 3, Gemm.NR + 1},
        {Gemm.MC + 5, 2 * Gemm.KC + 1, 3 * Gemm.NR - 1}, {64, 64, 64}, {70, 100, 2 * Gemm.NR}, {3, 600, 5},
        {Gemm.MC + 1, Gemm.KC + 1, Gemm.C_BLOCK / Gemm.MC + 2 * Gemm.NR + 1},   // several column tasks
        {2 * Gemm.MR, Gemm.KC + 9, Gemm.NR + SimdKernels.L},                    // a last sliver of one vector
        {1, 128, 384}, {2, 37, 1000}, {1, 3, 5},   // the matrix-vector path (decoding)
    };

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    /** C = A x B for A given with strides (sam, sak) and B with (sbk, sbn), through the oracle. */
    private static float[] oracle(float[] a, int sam, int sak, float[] b, int sbk, int sbn, int m, int n, int k) {
        float[] c = new float[m * n];
        MatmulKernels.naive(a, 0, sam, sak, b, 0, sbk, sbn, c, 0, m, n, k);
        return c;
    }

    @Test
    void matchesTheNaiveKernelForEveryLayoutAndEdge() {
        SplittableRandom r = new SplittableRandom(7);
        for (int[] s : SHAPES) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            float[] a = random(r, m * k);
            float[] b = random(r, k * n);
            for (boolean aT : new boolean[] {false, true}) {
                for (boolean bT : new boolean[] {false, true}) {
                    // Transposed means the same numbers stored column-major: read through strides.
                    int sam = aT ? 1 : k;
                    int sak = aT ? m : 1;
                    int sbk = bT ? 1 : n;
                    int sbn = bT ? k : 1;
                    float[] want = oracle(a, sam, sak, b, sbk, sbn, m, n, k);
                    for (boolean par : new boolean[] {false, true}) {
                        float[] got = new float[m * n];
                        Gemm.sgemm(a, 0, sam, sak, b, 0, sbk, sbn, got, 0, n, m, n, k, false, par);
                        assertArrayEquals(want, got, 1e-5f * (k + 1),
                                "m=" + m + " k=" + k + " n=" + n + " aT=" + aT + " bT=" + bT + " par=" + par);
                    }
                }
            }
        }
    }

    /**
     * Packing a B^T whose rows are contiguous (A x W^T) is a transposed copy, whichever way it is
     * done (eight-lane transposes in registers, with an overlapping last group of k; the scalar
     * copy for slivers under eight deep): every column count of a sliver, k with and without a
     * remainder of eight, rows of a wider matrix, and nothing written outside the sliver. The
     * columns past the last real one are written (zeros or copies of a real column: the kernels'
     * results there are never stored) but nothing else is promised of them.
     */
    @Test
    void transposedPackingOfBIsATransposedCopy() {
        SplittableRandom r = new SplittableRandom(11);
        for (int cols = 1; cols <= Gemm.NR; cols++) {
            for (int kc : new int[] {1, 7, 8, 9, 15, 16, 30, 61}) {
                int sbn = kc + 5;
                float[] b = random(r, 3 + cols * sbn);
                float[] got = new float[kc * Gemm.NR + 4];
                java.util.Arrays.fill(got, Float.NaN);
                GemmPacking.packB(b, 3, 1, sbn, cols, kc, got, 2);
                String at = "cols=" + cols + " kc=" + kc;
                assertTrue(Float.isNaN(got[0]) && Float.isNaN(got[1]), at + ": wrote before the sliver");
                assertTrue(Float.isNaN(got[got.length - 2]) && Float.isNaN(got[got.length - 1]),
                        at + ": wrote past the sliver");
                for (int p = 0; p < kc; p++) {
                    for (int q = 0; q < Gemm.NR; q++) {
                        float v = got[2 + p * Gemm.NR + q];
                        if (q < cols) {
                            assertEquals(b[3 + q * sbn + p], v, at + " p=" + p + " q=" + q);
                        } else {
                            assertFalse(Float.isNaN(v), at + ": pad column " + q + " not written at p=" + p);
                        }
                    }
                }
            }
        }
    }

    /**
     * A lower-triangle product (attention's causal scores) gives the full product's bits at
     * every element on or below its diagonal, and leaves C as it was or computed there past it:
     * diagonals through, above and below the matrix, row counts that end mid-sliver, B^T as the
     * scores read K, and a pack budget small enough to cut the product into super-blocks (whose
     * diagonal moves with their corner).
     */
    @Test
    void lowerTriangleProductKeepsEveryElementOnOrBelowItsDiagonal() {
        SplittableRandom r = new SplittableRandom(17);
        int[][] shapes = {{64, 64, 32}, {23, 40, 7}, {3, 50, 9}, {70, 45, 20}};
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            float[] a = random(r, m * k);
            float[] b = random(r, n * k);                // B^T: column j is row j of b
            float[] full = new float[m * n];
            Gemm.sgemmPacked(a, 0, k, 1, b, 0, 1, k, full, 0, n, m, n, k, false);
            for (int diag : new int[] {-m, -7, 0, 5, 30, n}) {
                for (int budget : new int[] {Gemm.PACK_BUDGET, 4 * Gemm.MR * Gemm.NR}) {
                    float[] got = new float[m * n + 2];
                    java.util.Arrays.fill(got, Float.NaN);
                    Gemm.sgemmLower(a, 0, k, 1, b, 0, 1, k, got, 1, n, m, n, k, diag, budget);
                    String at = "m=" + m + " n=" + n + " k=" + k + " diag=" + diag + " budget=" + budget;
                    assertTrue(Float.isNaN(got[0]) && Float.isNaN(got[m * n + 1]), at + ": wrote outside C");
                    int computed = 0;
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            float v = got[1 + i * n + j];
                            if (j <= i + diag) {
                                assertEquals(full[i * n + j], v, at + " i=" + i + " j=" + j);
                            } else if (!Float.isNaN(v)) {
                                assertEquals(full[i * n + j], v, at + " i=" + i + " j=" + j + " (past the diagonal)");
                                computed++;
                            }
                        }
                    }
                    if (diag == -m) {
                        assertEquals(0, computed, at + ": a diagonal above the matrix computes nothing");
                    }
                }
            }
        }
    }

    /**
     * C = bias + A B with the bias written block by block (packed path) or first (the
     * matrix-vector and small-row paths, k = 0) has the bits of the bias copied into C and the
     * product accumulated, for every layout, edge and thread setting.
     */
    @Test
    void biasBlockByBlockGivesTheBitsOfBiasThenAccumulate() {
        SplittableRandom r = new SplittableRandom(11);
        int[][] shapes = {{1, 5, 33}, {2, 40, 64}, {32, 30, 200}, {32, 200, 27}, {Gemm.MC + 5, 2 * Gemm.KC + 1,
            3 * Gemm.NR - 1}, {Gemm.MC + 1, Gemm.KC + 1, Gemm.C_BLOCK / Gemm.MC + 2 * Gemm.NR + 1}, {7, 0, 9}};
        for (int[] s : shapes) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            float[] a = random(r, m * k);
            float[] b = random(r, k * n);
            float[] bias = random(r, n + 3);
            for (boolean bT : new boolean[] {false, true}) {
                int sbk = bT ? 1 : n;
                int sbn = bT ? k : 1;
                for (boolean par : new boolean[] {false, true}) {
                    float[] want = new float[m * n + 2];
                    for (int i = 0; i < m; i++) {
                        System.arraycopy(bias, 3, want, 1 + i * n, n);
                    }
                    Gemm.sgemm(a, 0, k, 1, b, 0, sbk, sbn, want, 1, n, m, n, k, true, par);
                    float[] got = new float[m * n + 2];
                    java.util.Arrays.fill(got, Float.NaN);
                    got[0] = 7f;
                    got[m * n + 1] = 7f;
                    Gemm.sgemmBias(a, 0, k, 1, b, 0, sbk, sbn, bias, 3, got, 1, n, m, n, k, par);
                    want[0] = 7f;
                    want[m * n + 1] = 7f;
                    assertArrayEquals(want, got, "m=" + m + " k=" + k + " n=" + n + " bT=" + bT + " par=" + par);
                }
            }
        }
    }

    @Test
    void accumulatesIntoAStridedSliceOfC() {
        for (int m : new int[] {1, 2 * Gemm.MR + 3}) {
            for (boolean bT : new boolean[] {false, true}) {
                accumulates(m, bT);
            }
        }
    }

    private static void accumulates(int m, boolean bT) {
        SplittableRandom r = new SplittableRandom(8);
        int k = Gemm.KC + 17;
        int n = Gemm.NR + 5;
        int ldc = n + 9;
        int co = 4;
        int sbk = bT ? 1 : n;
        int sbn = bT ? k : 1;
        float[] a = random(r, m * k);
        float[] b = random(r, k * n);
        float[] c = random(r, co + m * ldc);
        float[] before = c.clone();
        float[] prod = oracle(a, k, 1, b, sbk, sbn, m, n, k);
        Gemm.sgemm(a, 0, k, 1, b, 0, sbk, sbn, c, co, ldc, m, n, k, true, true);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < ldc; j++) {
                int at = co + i * ldc + j;
                float want = j < n ? before[at] + prod[i * n + j] : before[at];
                assertEquals(want, c[at], 1e-5f * (k + 1), "m=" + m + " bT=" + bT + " C[" + i + "," + j + "]");
            }
        }
        for (int i = 0; i < co; i++) {
            assertEquals(before[i], c[i], "untouched prefix " + i);
        }
    }

    /**
     * A last sliver of every partial height (1 to MR - 1 real rows), against whole and
     * one-vector B slivers, both A layouts, written and accumulated: the AVX2 kernels load and
     * store only a partial tile's real rows, so C's rows past m (here NaN-guarded, as are the
     * columns between n and ldc) must come back untouched.
     */
    @Test
    void partialRowSliversTouchOnlyTheirRows() {
        SplittableRandom r = new SplittableRandom(13);
        int k = 37;
        int n = Gemm.NR + SimdKernels.L;
        int ldc = n + 3;
        for (int part = 1; part < Gemm.MR; part++) {
            int m = Gemm.MR + part;
            float[] a = random(r, m * k);
            float[] b = random(r, k * n);
            for (boolean aT : new boolean[] {false, true}) {
                int sam = aT ? 1 : k;
                int sak = aT ? m : 1;
                float[] prod = oracle(a, sam, sak, b, n, 1, m, n, k);
                for (boolean acc : new boolean[] {false, true}) {
                    float[] c = new float[(m + Gemm.MR) * ldc];
                    java.util.Arrays.fill(c, Float.NaN);
                    float[] start = random(r, m * n);
                    for (int i = 0; i < m; i++) {
                        System.arraycopy(start, i * n, c, i * ldc, n);
                    }
                    Gemm.sgemmPacked(a, 0, sam, sak, b, 0, n, 1, c, 0, ldc, m, n, k, acc);
                    for (int i = 0; i < m + Gemm.MR; i++) {
                        for (int j = 0; j < ldc; j++) {
                            String at = "m=" + m + " aT=" + aT + " acc=" + acc + " C[" + i + "," + j + "]";
                            if (i < m && j < n) {
                                float want = prod[i * n + j] + (acc ? start[i * n + j] : 0f);
                                assertEquals(want, c[i * ldc + j], 1e-5f * (k + 1), at);
                            } else {
                                assertTrue(Float.isNaN(c[i * ldc + j]), at + " was written");
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The small-row kernel (B's rows read in place) against the packed GEMM, bit for bit: a last
     * block of 1 to 3 real rows (zero-padded, only real rows loaded and stored), a last whole
     * vector of columns past the two-vector tiles (n = 200 leaves one), a masked remainder, both
     * A layouts, written and accumulated. C's rows past m and its columns between n and ldc are
     * NaN and must stay so.
     */
    @Test
    void smallRowKernelGivesThePackedBitsAtEveryEdge() {
        SplittableRandom r = new SplittableRandom(14);
        int vec = SimdKernels.L;
        for (int m = 1; m <= 9; m++) {
            for (int n : new int[] {vec, 2 * vec, 3 * vec, 25 * vec, 3 * vec + 5, vec + 3}) {
                for (int k : new int[] {5, Gemm.KC + 3}) {
                    float[] a = random(r, m * k);
                    float[] b = random(r, k * n);
                    int ldc = n + 2;
                    float[] start = random(r, m * n);
                    for (boolean aT : new boolean[] {false, true}) {
                        int sam = aT ? 1 : k;
                        int sak = aT ? m : 1;
                        for (boolean acc : new boolean[] {false, true}) {
                            float[] small = new float[(m + 4) * ldc];
                            java.util.Arrays.fill(small, Float.NaN);
                            for (int i = 0; i < m; i++) {
                                System.arraycopy(start, i * n, small, i * ldc, n);
                            }
                            float[] packed = small.clone();
                            MatmulKernels.simd(a, 0, sam, sak, b, 0, n, small, 0, ldc, n, k, 0, m, acc);
                            Gemm.sgemmPacked(a, 0, sam, sak, b, 0, n, 1, packed, 0, ldc, m, n, k, acc);
                            assertArrayEquals(packed, small, "m=" + m + " n=" + n + " k=" + k + " aT=" + aT
                                    + " acc=" + acc);
                            for (int i = 0; i < small.length; i++) {
                                if (i / ldc >= m || i % ldc >= n) {
                                    assertTrue(Float.isNaN(small[i]), "m=" + m + " n=" + n + " wrote " + i);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * A as a window of a wider matrix (offset, row stride past k), every float outside the window
     * NaN: a read past the window's columns (packing or kernels) would turn C into NaN.
     */
    @Test
    void readsAWindowOfAWiderANoFurther() {
        SplittableRandom r = new SplittableRandom(12);
        for (int m : new int[] {Gemm.MR, 2 * Gemm.MR + 3, Gemm.MC + 1}) {
            for (int k : new int[] {5, Gemm.KC + 3}) {
                int n = 2 * Gemm.NR + 1;
                int sam = k + 7;
                int ao = 3 * sam + 2;
                float[] wide = new float[ao + m * sam + 2 * sam];
                java.util.Arrays.fill(wide, Float.NaN);
                float[] a = random(r, m * k);
                for (int i = 0; i < m; i++) {
                    System.arraycopy(a, i * k, wide, ao + i * sam, k);
                }
                float[] b = random(r, k * n);
                float[] want = oracle(a, k, 1, b, n, 1, m, n, k);
                for (boolean par : new boolean[] {false, true}) {
                    float[] got = new float[m * n];
                    Gemm.sgemm(wide, ao, sam, 1, b, 0, n, 1, got, 0, n, m, n, k, false, par);
                    assertArrayEquals(want, got, 1e-5f * (k + 1), "m=" + m + " k=" + k + " par=" + par);
                }
            }
        }
    }

    @Test
    void emptyInnerDimensionGivesZerosOrLeavesCAlone() {
        float[] c = {1, 2, 3, 4, 5, 6};
        Gemm.sgemm(new float[0], 0, 0, 1, new float[0], 0, 3, 1, c, 0, 3, 2, 3, 0, true, true);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, c);
        Gemm.sgemm(new float[0], 0, 0, 1, new float[0], 0, 3, 1, c, 0, 3, 2, 3, 0, false, true);
        assertArrayEquals(new float[6], c);
    }

    @Test
    void superBlocksGiveTheSameBitsAsOneBlock() {
        SplittableRandom r = new SplittableRandom(9);
        int m = 2 * Gemm.MC + 7;
        int k = 2 * Gemm.KC + 5;
        int n = 3 * Gemm.NR + 2;
        float[] a = random(r, m * k);
        float[] b = random(r, k * n);
        float[] one = new float[m * n];
        float[] many = new float[m * n];
        Gemm.sgemm(a, 0, k, 1, b, 0, n, 1, one, 0, n, m, n, k, false, true);
        // A budget of one task's rows and one sliver: super-blocks of MC rows x NR columns.
        Gemm.sgemm(a, 0, k, 1, b, 0, n, 1, many, 0, n, m, n, k, false, true, k);
        assertArrayEquals(one, many);
        assertArrayEquals(oracle(a, k, 1, b, n, 1, m, n, k), many, 1e-5f * (k + 1));
    }

    /**
     * A with contiguous rows is packed row by row, any other layout k-major: the same numbers
     * must give the same bits either way (k ends in a short slab, m in a partial sliver; the
     * budget forces super-blocks, whose size depends on the row-packed stride).
     */
    @Test
    void rowAndColumnPackingsOfAGiveTheSameBits() {
        SplittableRandom r = new SplittableRandom(11);
        for (int[] s : new int[][] {{Gemm.MC + 5, Gemm.KC + 9, 2 * Gemm.NR + 3}, {3 * Gemm.MR + 1, 17, Gemm.NR}}) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            float[] rows = random(r, m * k);
            float[] cols = new float[m * k];
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    cols[p * m + i] = rows[i * k + p];
                }
            }
            float[] b = random(r, k * n);
            for (int budget : new int[] {Gemm.PACK_BUDGET, Gemm.KC * Gemm.MC}) {
                for (boolean par : new boolean[] {false, true}) {
                    float[] viaRows = new float[m * n];
                    float[] viaCols = new float[m * n];
                    Gemm.sgemm(rows, 0, k, 1, b, 0, n, 1, viaRows, 0, n, m, n, k, false, par, budget);
                    Gemm.sgemm(cols, 0, 1, m, b, 0, n, 1, viaCols, 0, n, m, n, k, false, par, budget);
                    assertArrayEquals(viaCols, viaRows, "m=" + m + " k=" + k + " budget=" + budget);
                    assertArrayEquals(oracle(rows, k, 1, b, n, 1, m, n, k), viaRows, 1e-5f * (k + 1));
                }
            }
        }
    }

    @Test
    void superBlocksAreAsFewAsTheBudgetAllowsAndEvenlySized() {
        for (int unit : new int[] {Gemm.MR, Gemm.NR}) {
            for (int max = unit; max <= 40 * unit; max += unit) {
                for (int extent = 1; extent <= 300; extent++) {
                    int size = Gemm.superBlock(extent, max, unit);
                    int pieces = (extent + size - 1) / size;
                    String at = "extent=" + extent + " max=" + max + " unit=" + unit + " size=" + size;
                    assertTrue(size <= max && size % unit == 0, at);
                    assertEquals((extent + max - 1) / max, pieces, at);
                    // Even: only the last piece may be short, and by at most one unit per piece.
                    assertTrue(extent - (pieces - 1) * size >= size - pieces * unit, at);
                }
            }
        }
        // 2048^3: all of A fits the default budget, so B is packed once (it was twice).
        int aRow = (2048 + Gemm.KC - 1) / Gemm.KC * Gemm.KC;
        assertTrue(Gemm.superBlock(2048, Gemm.PACK_BUDGET / aRow / Gemm.MR * Gemm.MR, Gemm.MR) >= 2048);
    }

    /** Rows of a block that start on one L2 set (64 KiB way): the stride's period, rounded up. */
    @Test
    void aliasedRowsCountsRowsOnOneL2Set() {
        assertEquals(10, Gemm.aliasedRows(2048, 80));   // 8 KiB apart: every 8th row
        assertEquals(5, Gemm.aliasedRows(1024, 80));
        assertEquals(3, Gemm.aliasedRows(512, 80));
        assertEquals(2, Gemm.aliasedRows(768, 80));     // 3 KiB: every 64th row
        assertEquals(1, Gemm.aliasedRows(1000, 80));
        assertEquals(80, Gemm.aliasedRows(1 << 14, 80)); // 64 KiB apart: all of them
        assertEquals(1, Gemm.aliasedRows(2048, 1));
        for (int nb = 1; nb < 70; nb++) {
            int ld = Gemm.scratchStride(nb);
            assertTrue(ld >= nb * Gemm.NR && ld % 16 == 0 && ld / 16 % 2 == 1, "nb=" + nb + " -> " + ld);
            assertEquals(1, Gemm.aliasedRows(ld, Gemm.MC), "nb=" + nb);
        }
    }

    /**
     * A C with a power-of-two row stride works in a scratch block (and a large B goes column
     * block first): the bits of the same product into a C with an odd stride, written,
     * accumulated and with a bias, on one thread and several, and nothing of C past n touched.
     * Two row blocks (one partial), two slabs, several column blocks with a partial last sliver.
     */
    @Test
    void scratchBlockAndColumnOrderGiveTheBitsOfAnUnaliasedC() {
        SplittableRandom r = new SplittableRandom(13);
        int m = Gemm.MC + 5;
        int ldc = 8192;
        assertTrue(Gemm.aliasedRows(ldc, Gemm.MC) > Gemm.ALIASED_ROWS, "the stride must take the scratch");
        // Rows first, then (B past COLUMNS_FIRST_B floats) columns first.
        for (int[] kn : new int[][] {{Gemm.KC + 9, Gemm.C_BLOCK / Gemm.MC + Gemm.NR + 3}, {2 * Gemm.KC + 3, 4100}}) {
            int k = kn[0];
            int n = kn[1];
            assertTrue(n <= ldc);
            assertEquals(n == 4100, (long) k * n > Gemm.COLUMNS_FIRST_B);
            float[] a = random(r, m * k);
            float[] b = random(r, k * n);
            float[] bias = random(r, n);
            float[] c0 = random(r, m * ldc);
            int before = Parallel.threads();
            try {
                for (int threads = 1; threads <= 3; threads++) {
                    Parallel.setThreads(threads);
                    for (int mode = 0; mode < 3; mode++) {   // written, accumulated, bias
                        float[] want = new float[m * (n + 1)];
                        float[] got = c0.clone();
                        for (int i = 0; i < m; i++) {
                            System.arraycopy(c0, i * ldc, want, i * (n + 1), n);
                        }
                        if (mode == 2) {
                            Gemm.sgemmBias(a, 0, k, 1, b, 0, n, 1, bias, 0, want, 0, n + 1, m, n, k, true);
                            Gemm.sgemmBias(a, 0, k, 1, b, 0, n, 1, bias, 0, got, 0, ldc, m, n, k, true);
                        } else {
                            Gemm.sgemm(a, 0, k, 1, b, 0, n, 1, want, 0, n + 1, m, n, k, mode == 1, true);
                            Gemm.sgemm(a, 0, k, 1, b, 0, n, 1, got, 0, ldc, m, n, k, mode == 1, true);
                        }
                        String what = "k=" + k + " n=" + n + " threads=" + threads + " mode=" + mode;
                        for (int i = 0; i < m; i++) {
                            assertArrayEquals(java.util.Arrays.copyOfRange(want, i * (n + 1), i * (n + 1) + n),
                                    java.util.Arrays.copyOfRange(got, i * ldc, i * ldc + n), what + " row " + i);
                            assertArrayEquals(java.util.Arrays.copyOfRange(c0, i * ldc + n, (i + 1) * ldc),
                                    java.util.Arrays.copyOfRange(got, i * ldc + n, (i + 1) * ldc), what + " past n");
                        }
                        if (mode == 0 && threads == 1) {
                            float[] oracle = oracle(a, k, 1, b, n, 1, m, n, k);
                            for (int i = 0; i < m; i++) {
                                for (int j = 0; j < n; j++) {
                                    assertEquals(oracle[i * n + j], got[i * ldc + j], 1e-5f * (k + 1), what);
                                }
                            }
                        }
                    }
                }
            } finally {
                Parallel.setThreads(before);
            }
        }
    }

    @Test
    void bitIdenticalForOneTwoAndThreeThreads() {
        SplittableRandom r = new SplittableRandom(10);
        int m = 3 * Gemm.MC + 1;
        int k = 3 * Gemm.KC + 2;
        int n = 5 * Gemm.NR + 3;
        float[] a = random(r, m * k);
        float[] b = random(r, k * n);
        float[][] out = onOneTwoAndThreeThreads(() -> {
            float[] c = new float[m * n];
            Gemm.sgemm(a, 0, 1, m, b, 0, n, 1, c, 0, n, m, n, k, false, true);
            return c;
        });
        assertArrayEquals(out[0], out[1]);
        assertArrayEquals(out[0], out[2]);
    }

    /**
     * Row tasks tile [0, m) on sliver boundaries, none longer than mc. On one thread they are
     * blocks of mc; split across threads there are as many as blocks of mc would make, rounded
     * up to a multiple of the thread count (fewer only when m has fewer slivers), and their
     * sizes in slivers differ by at most one, so that every thread's equal run of tasks is equal
     * work.
     */
    @Test
    void rowTasksCoverEveryRowInEqualShares() {
        int before = Parallel.threads();
        try {
            for (int threads = 1; threads <= 3; threads++) {
                Parallel.setThreads(threads);
                for (int mc : new int[] {4 * Gemm.MR, Gemm.MC}) {
                    for (int m : new int[] {1, Gemm.MR, Gemm.MR + 1, mc - 1, mc, mc + 1, 2 * mc, 702, 768,
                        3 * mc + 2 * Gemm.MR + 3}) {
                        for (boolean par : new boolean[] {false, true}) {
                            int[] b = Gemm.rowBounds(m, mc, par);
                            String what = "m " + m + ", mc " + mc + ", threads " + threads + ", parallel " + par;
                            assertEquals(0, b[0], what);
                            assertEquals(m, b[b.length - 1], what);
                            int slivers = (m + Gemm.MR - 1) / Gemm.MR;
                            int blocks = (m + mc - 1) / mc;
                            int tasks = b.length - 1;
                            int least = Integer.MAX_VALUE;
                            int most = 0;
                            for (int i = 1; i < b.length; i++) {
                                assertTrue(b[i] > b[i - 1], what + ": empty task at " + i);
                                assertTrue(b[i] - b[i - 1] <= mc, what + ": task " + i + " longer than mc");
                                if (i < b.length - 1) {
                                    assertEquals(0, b[i] % Gemm.MR, what + ": a task starts inside a sliver");
                                }
                                int s = (b[i] - b[i - 1] + Gemm.MR - 1) / Gemm.MR;
                                least = Math.min(least, s);
                                most = Math.max(most, s);
                            }
                            if (!par || threads == 1) {
                                assertEquals(blocks, tasks, what);
                                for (int i = 1; i < tasks; i++) {
                                    assertEquals(i * mc, b[i], what + ": blocks of mc");
                                }
                            } else {
                                int want = Math.min(slivers, (blocks + threads - 1) / threads * threads);
                                assertEquals(want, tasks, what);
                                assertTrue(most - least <= 1, what + ": task sizes " + least + " to " + most + " slivers");
                            }
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /**
     * Few rows and enough work to go parallel: one thread takes the unpacked small-row kernel,
     * two or three the packed one, and both must sum every element in the same order (k spans
     * several slabs, n ends in a single vector, in a partial one (with AVX-512 the small-row
     * kernel takes those too), or in one to {@link Gemm#EDGE_DOTS} columns past whole slivers
     * (which the packed path sums as dot products, so then neither thread count may take the
     * small-row kernel); C is a strided slice accumulated into).
     */
    @Test
    void smallRowPathGivesThePackedPathsBits() {
        SplittableRandom r = new SplittableRandom(12);
        int m = Gemm.SMALL_M - 3;
        int k = 2 * Gemm.KC + 5;
        // At least 8 whole slivers and a little more, and wide enough to go parallel for any vector width.
        int base = Math.max(8, (int) (Gemm.PARALLEL_MIN / ((long) m * k) / Gemm.NR + 1)) * Gemm.NR;
        for (int extra : new int[] {SimdKernels.L, Gemm.EDGE_DOTS + 1, 1}) {
            smallRowPathGivesThePackedPathsBits(r, m, k, base + extra);
        }
    }

    private static void smallRowPathGivesThePackedPathsBits(SplittableRandom r, int m, int k, int n) {
        int ldc = n + 7;
        assertTrue((long) m * n * k >= Gemm.PARALLEL_MIN, "the shape must be big enough to go parallel");
        float[] a = random(r, m * k);
        float[] b = random(r, k * n);
        float[] c0 = random(r, m * ldc);
        for (boolean acc : new boolean[] {false, true}) {
            float[][] out = onOneTwoAndThreeThreads(() -> {
                float[] c = c0.clone();
                Gemm.sgemm(a, 0, k, 1, b, 0, n, 1, c, 0, ldc, m, n, k, acc, true);
                return c;
            });
            assertArrayEquals(out[0], out[1], "n=" + n + " accumulate " + acc);
            assertArrayEquals(out[0], out[2], "n=" + n + " accumulate " + acc);
            float[] want = oracle(a, k, 1, b, n, 1, m, n, k);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float expect = want[i * n + j] + (acc ? c0[i * ldc + j] : 0f);
                    assertEquals(expect, out[0][i * ldc + j], 1e-5f * (k + 1), "accumulate " + acc);
                }
                for (int j = n; j < ldc; j++) {
                    assertEquals(c0[i * ldc + j], out[0][i * ldc + j], "C outside the product is left alone");
                }
            }
        }
    }

    /** The small-row kernel called directly: any n, a masked last vector, strided A and C. */
    @Test
    void smallRowKernelHandlesAnyColumnCount() {
        SplittableRandom r = new SplittableRandom(13);
        for (int n : new int[] {1, SimdKernels.L - 1, 2 * SimdKernels.L + 3, 5 * SimdKernels.L}) {
            int m = 15;   // 8 + 4 + 3 rows: every row tile (8 x 2 where the vector is 16 lanes, 4 x 2, 1 x 2)
            int k = 45;
            int ldc = n + 2;
            float[] a = random(r, k * m);
            float[] b = random(r, k * n);
            float[] c = random(r, m * ldc);
            float[] before = c.clone();
            MatmulKernels.simd(a, 0, 1, m, b, 0, n, c, 0, ldc, n, k, 0, m, true);   // A read transposed
            float[] want = oracle(a, 1, m, b, n, 1, m, n, k);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < ldc; j++) {
                    float expect = before[i * ldc + j] + (j < n ? want[i * n + j] : 0f);
                    assertEquals(expect, c[i * ldc + j], 1e-5f * (k + 1), "n=" + n + " i=" + i + " j=" + j);
                }
            }
        }
    }

    /** The product computed with a pool of 1, 2 and 3 threads (the pool size restored after). */
    private static float[][] onOneTwoAndThreeThreads(java.util.function.Supplier<float[]> product) {
        int before = Parallel.threads();
        try {
            float[][] out = new float[3][];
            for (int t = 1; t <= 3; t++) {
                Parallel.setThreads(t);
                out[t - 1] = product.get();
            }
            return out;
        } finally {
            Parallel.setThreads(before);
        }
    }

    /**
     * One to {@link Gemm#EDGE_DOTS} columns past the last whole B sliver are dot products with
     * AVX-512 (k at least {@link Gemm#EDGE_MIN_K}); one more is a tile
     * again. Against the oracle for B and B^T, written and accumulated, with a bias, into a C
     * whose rows are wider than n (nothing written past n), k within one slab and across two,
     * with the same bits on one, two and three threads. With AVX2 every case is packed.
     */
    @Test
    void lastFewColumnsAsDotProducts() {
        SplittableRandom r = new SplittableRandom(21);
        int m = Gemm.MC + 5;
        for (int k : new int[] {Gemm.EDGE_MIN_K, Gemm.KC + 9}) {
            for (int count = 1; count <= Gemm.EDGE_DOTS + 1; count++) {
                int n = 2 * Gemm.NR + count;
                int ldc = n + 3;
                float[] a = random(r, m * k);
                float[] b = random(r, k * n);
                float[] bias = random(r, n);
                float[] start = random(r, m * ldc);
                for (boolean bT : new boolean[] {false, true}) {
                    int sbk = bT ? 1 : n;
                    int sbn = bT ? k : 1;
                    float[] prod = oracle(a, k, 1, b, sbk, sbn, m, n, k);
                    for (int mode = 0; mode < 3; mode++) {   // written, accumulated, bias
                        int how = mode;
                        float[][] out = onOneTwoAndThreeThreads(() -> {
                            float[] c = start.clone();
                            if (how == 2) {
                                Gemm.sgemmBias(a, 0, k, 1, b, 0, sbk, sbn, bias, 0, c, 0, ldc, m, n, k, true);
                            } else {
                                Gemm.sgemm(a, 0, k, 1, b, 0, sbk, sbn, c, 0, ldc, m, n, k, how == 1, true);
                            }
                            return c;
                        });
                        String at = "k=" + k + " n=" + n + " bT=" + bT + " mode=" + mode;
                        assertArrayEquals(out[0], out[1], at + ": two threads");
                        assertArrayEquals(out[0], out[2], at + ": three threads");
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < ldc; j++) {
                                float got = out[0][i * ldc + j];
                                float was = start[i * ldc + j];
                                if (j >= n) {
                                    assertEquals(was, got, 0, at + " wrote C[" + i + "," + j + "] past n");
                                    continue;
                                }
                                float want = prod[i * n + j] + (mode == 1 ? was : mode == 2 ? bias[j] : 0f);
                                assertEquals(want, got, 1e-5f * (k + 1), at + " C[" + i + "," + j + "]");
                            }
                        }
                    }
                }
            }
        }
    }

    /** The matrix-vector path splits columns across threads (both layouts of B): same bits for any count. */
    @Test
    void matrixVectorPathIsBitIdenticalForAnyThreadCount() {
        SplittableRandom r = new SplittableRandom(11);
        int k = 130;
        int n = 1003;
        float[] a = random(r, 2 * k);
        float[] b = random(r, k * n);
        for (int m = 1; m <= Gemm.GEMV_M; m++) {
            for (boolean bT : new boolean[] {false, true}) {
                int rows = m;
                int sbk = bT ? 1 : n;
                int sbn = bT ? k : 1;
                float[][] out = onOneTwoAndThreeThreads(() -> {
                    float[] c = new float[rows * n];
                    Gemm.sgemm(a, 0, k, 1, b, 0, sbk, sbn, c, 0, n, rows, n, k, false, true);
                    return c;
                });
                String what = "m=" + m + " bT=" + bT;
                assertArrayEquals(out[0], out[1], what);
                assertArrayEquals(out[0], out[2], what);
                assertArrayEquals(oracle(a, k, 1, b, sbk, sbn, m, n, k), out[0], 1e-5f * (k + 1), what);
            }
        }
    }
}
