package dev.jgrad.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.BinaryOp;
import dev.jgrad.tensor.backend.UnaryOp;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every SIMD kernel against its scalar twin (the oracle), on lengths with vector tails. */
class SimdTwinTest {
    private static final int N = 1031; // not a multiple of any vector length

    /** Largest allowed relative error of the SIMD form against the double-precision twin. */
    private static final Map<UnaryOp, Double> REL_TOL = new EnumMap<>(UnaryOp.class);

    static {
        for (UnaryOp op : UnaryOp.values()) {
            REL_TOL.put(op, 0.0);
        }
        REL_TOL.put(UnaryOp.RSQRT, 1.2e-7);
        REL_TOL.put(UnaryOp.EXP, 2.5e-7);
        REL_TOL.put(UnaryOp.LOG, 2.5e-7);
        REL_TOL.put(UnaryOp.TANH, 2.5e-7);
        REL_TOL.put(UnaryOp.SIN, 2.5e-7);
        REL_TOL.put(UnaryOp.COS, 2.5e-7);
        REL_TOL.put(UnaryOp.SIGMOID, 3.6e-7);
        REL_TOL.put(UnaryOp.GELU, 1e-6);
        REL_TOL.put(UnaryOp.ERF, 1e-6);
        REL_TOL.put(UnaryOp.GELU_GRAD, 1e-6);
    }

    @AfterEach
    void restore() {
        CpuBackend.useSimd(true);
    }

    private static float[] values(long seed, float lo, float hi) {
        return values(seed, lo, hi, N);
    }

    private static float[] values(long seed, float lo, float hi, int count) {
        Generator g = new Generator(seed);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = lo + (hi - lo) * g.nextFloat();
        }
        return v;
    }

    @Test
    void unaryKernelsAgreeWithTheirTwins() {
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
            float[] x = values(op.ordinal(), positive ? 1e-3f : -9f, 9f);
            float[] simd = new float[N];
            float[] twin = new float[N];
            SimdKernels.unary(op, x, 0, 1, simd, 0, N);
            ScalarKernels.unaryF32(op, x, 0, 1, twin, 0, N);
            double worst = 0;
            for (int i = 0; i < N; i++) {
                double err = Math.abs(simd[i] - twin[i]);
                // Relative to the value, floored at one float ulp of 1 so tiny results near 0 compare absolutely.
                worst = Math.max(worst, err / Math.max(Math.abs(twin[i]), 1.0));
            }
            assertTrue(worst <= REL_TOL.get(op), op + ": worst relative error " + worst + " > " + REL_TOL.get(op));
        }
    }

    @Test
    void vectorExpIsAccurateOverTheWholeFloatRange() {
        float[] x = values(91, -110f, 95f);
        x[0] = Float.NEGATIVE_INFINITY;
        x[1] = Float.POSITIVE_INFINITY;
        x[2] = Float.NaN;
        x[3] = 88.72f;
        x[4] = -87.5f;
        x[5] = 0f;
        float[] got = new float[N];
        SimdKernels.unary(UnaryOp.EXP, x, 0, 1, got, 0, N);
        for (int i = 0; i < N; i++) {
            float want = (float) Math.exp(x[i]);
            if (Float.isNaN(want) || Float.isInfinite(want) || want == 0) {
                assertEquals(want, got[i], 0, "exp(" + x[i] + ")");
            } else if (want >= Float.MIN_NORMAL) {
                assertTrue(Math.abs(got[i] - want) <= 2 * Math.ulp(want), "exp(" + x[i] + ") = " + got[i] + " vs " + want);
            } else {
                assertEquals(want, got[i], 2 * Float.MIN_VALUE, "subnormal exp(" + x[i] + ")");
            }
        }
    }

    /**
     * expLow (softmax's, attention's, tanh's and GELU's exp, for arguments up to 43) gives exp's
     * bits: 64 random samples of [-110, 43], the ends of both ranges, where results
     * turn subnormal and where they flush to zero, and the specials.
     */
    @Test
    void expLowGivesExpsBitsUpTo43() {
        float[] special = {Float.NEGATIVE_INFINITY, Float.NaN, -0f, 0f, 43f, 42.99f, -104f, -103.99f, -104.01f,
            -87.34f, -87.33f, -100f, -1e-30f, 1e-30f, Math.nextDown(-104f), -Float.MIN_VALUE};
        int l = SimdKernels.L;
        for (int round = 0; round < 64; round++) {
            float[] x = values(1000 + round, -110f, 43f);
            if (round == 0) {
                System.arraycopy(special, 0, x, 0, special.length);
            }
            for (int i = 0; i + l <= N; i += l) {
                jdk.incubator.vector.FloatVector v = jdk.incubator.vector.FloatVector.fromArray(SimdKernels.S, x, i);
                float[] want = SimdKernels.exp(v).toArray();
                float[] got = SimdKernels.expLow(v).toArray();
                for (int j = 0; j < l; j++) {
                    assertEquals(Float.floatToIntBits(want[j]), Float.floatToIntBits(got[j]), "expLow(" + x[i + j] + ")");
                }
            }
        }
    }

    /**
     * The scalar expLow (a softmax row's elements past its whole vectors) gives the bits of the
     * vector form's lanes: 256 x 1031 random floats of [-110, 43], random bit patterns at or
     * below 43 (NaNs and subnormals among them), and the edges.
     */
    @Test
    void scalarExpLowGivesTheVectorLanesBits() {
        float[] special = {Float.NEGATIVE_INFINITY, Float.NaN, -0f, 0f, 43f, 42.99f, -104f, -103.99f, -104.01f,
            -87.34f, -87.33f, -100f, -1e-30f, 1e-30f, Math.nextDown(-104f), -Float.MIN_VALUE, Float.MIN_VALUE};
        int l = SimdKernels.L;
        Generator bits = new Generator(7);
        for (int round = 0; round < 256; round++) {
            float[] x = values(2000 + round, -110f, 43f);
            if (round == 0) {
                System.arraycopy(special, 0, x, 0, special.length);
            } else if (round % 2 == 0) {
                for (int i = 0; i < N; i++) {
                    float b = Float.intBitsToFloat((int) bits.nextLong());
                    x[i] = b <= 43f || Float.isNaN(b) ? b : -b;
                }
            }
            for (int i = 0; i + l <= N; i += l) {
                var v = jdk.incubator.vector.FloatVector.fromArray(SimdKernels.S, x, i);
                float[] lanes = SimdKernels.expLow(v).toArray();
                for (int j = 0; j < l; j++) {
                    float one = SimdKernels.expLow(x[i + j]);
                    assertEquals(Float.floatToIntBits(lanes[j]), Float.floatToIntBits(one), "expLow(" + x[i + j] + ")");
                }
            }
        }
    }

    /**
     * logNormal (cross-entropy's logsumexps, eight rows at a time) stays within 0.86 ulp of the
     * correctly rounded log: random bit patterns of positive normal floats, softmax-like sums of
     * [1, 3] and [1, 50001], and the edges (1 and its neighbours, the ends of the mantissa range
     * [sqrt(1/2), sqrt(2)), the smallest and largest normals); NaN gives NaN.
     */
    @Test
    void logNormalIsWithinOneUlp() {
        float[] special = {1f, Math.nextUp(1f), Math.nextDown(1f), (float) Math.sqrt(0.5),
            Math.nextDown((float) Math.sqrt(0.5)), (float) Math.sqrt(2), Math.nextUp((float) Math.sqrt(2)),
            Float.MIN_NORMAL, Float.MAX_VALUE, 2f, 0.5f, Float.NaN, 3072f, 50257f};
        int l = SimdKernels.L;
        Generator g = new Generator(11);
        double worst = 0;
        for (int round = 0; round < 96; round++) {
            float[] x = new float[N];
            for (int i = 0; i < N; i++) {
                x[i] = switch (round % 3) {
                    case 0 -> Float.intBitsToFloat(0x00800000 + (int) (g.nextDouble() * (0x7f7fffff - 0x00800000)));
                    case 1 -> 1f + 2f * g.nextFloat();
                    default -> 1f + 50000f * g.nextFloat();
                };
            }
            if (round == 0) {
                System.arraycopy(special, 0, x, 0, special.length);
            }
            for (int i = 0; i + l <= N; i += l) {
                float[] got = SoftmaxKernels.logNormal(jdk.incubator.vector.FloatVector.fromArray(SimdKernels.S, x, i))
                        .toArray();
                for (int j = 0; j < l; j++) {
                    double want = Math.log(x[i + j]);
                    if (Double.isNaN(want)) {
                        assertTrue(Float.isNaN(got[j]), "log(NaN) = " + got[j]);
                    } else if (want == 0) {
                        assertEquals(0f, got[j], 0, "log(1)");
                    } else {
                        worst = Math.max(worst, Math.abs(got[j] - want) / Math.ulp((float) want));
                    }
                }
            }
        }
        assertTrue(worst <= 0.86, "worst error " + worst + " ulp");
        assertTrue(worst > 0.5, "the sample reaches the error the doc states, " + worst + " ulp");
    }

    /** Computed as x * erfc(-x/sqrt 2) / 2, GELU stays accurate in relative terms where 1 + erf(x) would cancel. */
    @Test
    void geluKeepsRelativeAccuracyInTheNegativeTail() {
        float[] x = values(77, -12f, -2f);
        float[] simd = new float[N];
        SimdKernels.unary(UnaryOp.GELU, x, 0, 1, simd, 0, N);
        for (int i = 0; i < N; i++) {
            double want = ScalarKernels.unary(UnaryOp.GELU, x[i]);
            if (Math.abs(want) > 1e-30) {
                assertEquals(want, simd[i], Math.abs(want) * 2e-6, "gelu(" + x[i] + ")");
            }
        }
    }

    /**
     * The fused GELU + GELU' pass gives the bits of the two separate unary kernels, SIMD and
     * scalar, on lengths with vector tails, across chunks and split over threads; wide inputs so
     * that both tails of erfc are reached. An offset view checks the offsets.
     */
    @Test
    void geluWithGradMatchesTheSeparateKernels() {
        CpuBackend backend = new CpuBackend();
        int before = Parallel.threads();
        for (boolean simd : new boolean[] {true, false}) {
            CpuBackend.useSimd(simd);
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                for (int n : new int[] {0, 1, 15, 16, N, 3000, 70001}) {
                    NdArray big = NdArray.randn(new Generator(n), DType.F32, n + 3).mul(4.0);
                    NdArray x = big.slice(0, 3, n + 3, 1);
                    NdArray y = NdArray.zeros(DType.F32, n);
                    NdArray d = NdArray.zeros(DType.F32, n);
                    backend.geluWithGrad(x, y, d);
                    String at = "simd " + simd + ", threads " + threads + ", n " + n;
                    assertArrayEquals(x.gelu().toFloatArray(), y.toFloatArray(), "gelu, " + at);
                    assertArrayEquals(x.geluGrad().toFloatArray(), d.toFloatArray(), "gelu', " + at);
                }
            }
        }
        Parallel.setThreads(before);
    }

    @Test
    void binaryKernelsAreExactForEveryStridePattern() {
        float[] a = values(1, -3, 3);
        float[] b = values(2, 0.5f, 3);
        int[][] strides = {{1, 1}, {1, 0}, {0, 1}, {2, 1}};
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.MAXIMUM,
            BinaryOp.MINIMUM, BinaryOp.POW}) {
            for (int[] s : strides) {
                int n = N / 2 - 2;
                float[] simd = new float[n];
                float[] twin = new float[n];
                SimdKernels.binary(op, a, 3, s[0], b, 5, s[1], simd, 0, n);
                ScalarKernels.binaryF32(op, a, 3, s[0], b, 5, s[1], twin, 0, n);
                assertArrayEquals(twin, simd, op + " strides " + s[0] + "," + s[1]);
            }
        }
    }

    /**
     * Column sums (a bias gradient: a sum over the leading dims) keep one add chain per column
     * from zero in row order, so they give the scalar twin's bits exactly, at column counts that
     * end in each of the kernel's blocks (eight, four, one vector, a masked part) and with no rows
     * at all; and, as any split of the columns gives those bits, the same on any thread count.
     */
    @Test
    void columnSumsGiveTheTwinsBitsOnAnyThreadCount() {
        int threadsBefore = Parallel.threads();
        int l = SimdKernels.L;
        Generator g = new Generator(31);
        try {
            for (int cols : new int[] {1, l - 1, l, 3 * l + 5, 4 * l, 8 * l, 8 * l + 4 * l + l + 3, 21 * l + 7}) {
                for (int rows : new int[] {0, 1, 7, 300}) {
                    // A view past the start of its storage: the kernel reads from an offset.
                    NdArray x = NdArray.randn(g, DType.F32, rows + 1, cols).narrow(0, 1, rows);
                    CpuBackend.useSimd(false);
                    float[] twin = x.sum(new int[] {0}, false).toFloatArray();
                    CpuBackend.useSimd(true);
                    for (int threads : new int[] {1, 2, 3}) {
                        Parallel.setThreads(threads);
                        assertArrayEquals(twin, x.sum(new int[] {0}, false).toFloatArray(),
                                rows + " x " + cols + ", threads " + threads);
                    }
                }
            }
        } finally {
            CpuBackend.useSimd(true);
            Parallel.setThreads(threadsBefore);
        }
    }

    @Test
    void rowReductionsAgree() {
        float[] x = values(3, -5, 5);
        assertEquals(ScalarKernels.sum(x, 7, N - 7), SimdKernels.sum(x, 7, N - 7), 1e-3);
        assertEquals(ScalarKernels.max(x, 7, N - 7), SimdKernels.max(x, 7, N - 7), 0);
        assertEquals(ScalarKernels.min(x, 7, N - 7), SimdKernels.min(x, 7, N - 7), 0);
        double[] xd = new double[N];
        for (int i = 0; i < N; i++) {
            xd[i] = x[i];
        }
        assertEquals(ScalarKernels.logsumexp(xd, 0, N), SoftmaxKernels.logsumexp(x, 0, N), 1e-5);
        for (boolean log : new boolean[] {false, true}) {
            float[] simd = new float[N];
            float[] twin = new float[N];
            float[] lse = new float[1];
            SoftmaxKernels.softmaxRows(x, 0, simd, 0, 1, N, log, 1f, lse, 0);
            float twinLse = ScalarKernels.softmaxF32(x, 0, twin, 0, N, log);
            assertArrayEquals(twin, simd, log ? 1e-5f : 1e-7f);
            assertEquals(twinLse, lse[0], 1e-5, "logsumexp, log " + log);
            float[] again = new float[N];
            SoftmaxKernels.softmaxRows(x, 0, again, 0, 1, N, log, 1f, null, 0);
            assertArrayEquals(simd, again, "the output does not depend on asking for the logsumexp");
        }
        // Softmax times a scale (cross-entropy's 1/N) is the softmax scaled, to a rounding.
        float[] plain = new float[N];
        float[] scaled = new float[N];
        SoftmaxKernels.softmaxRows(x, 0, plain, 0, 1, N, false, 1f, null, 0);
        SoftmaxKernels.softmaxRows(x, 0, scaled, 0, 1, N, false, 1f / 3, null, 0);
        for (int i = 0; i < N; i++) {
            assertEquals(plain[i] / 3, scaled[i], plain[i] * 1e-6f, "scaled softmax at " + i);
        }
    }

    /**
     * LayerNorm's forward takes the next row's sum before finishing a row: a run of rows must
     * give every row (output, mean, rstd) the bits it gets alone, with or without a bias.
     */
    @Test
    void layerNormRowsGiveEachRowItsOwnBits() {
        for (int c : new int[] {1, 7, SimdKernels.L, 9, 64, 65}) {
            for (int rows = 1; rows <= 9; rows++) {
                float[] x = values(c * 13 + rows, -3, 5);
                float[] w = values(c + 1, -2, 2);
                float[] b = values(c + 2, -1, 1);
                for (float[] bias : new float[][] {b, null}) {
                    float[] y = new float[rows * c];
                    float[] mean = new float[rows];
                    float[] rstd = new float[rows];
                    FusedKernels.layerNormRows(x, 5, w, 0, bias, 0, 1e-5f, y, mean, rstd, 0, rows, c);
                    for (int r = 0; r < rows; r++) {
                        float[] y1 = new float[rows * c];
                        float[] m1 = new float[rows];
                        float[] s1 = new float[rows];
                        FusedKernels.layerNormRows(x, 5, w, 0, bias, 0, 1e-5f, y1, m1, s1, r, r + 1, c);
                        String at = "c=" + c + " rows=" + rows + " row " + r + " bias " + (bias != null);
                        assertArrayEquals(java.util.Arrays.copyOfRange(y1, r * c, (r + 1) * c),
                                java.util.Arrays.copyOfRange(y, r * c, (r + 1) * c), at);
                        assertEquals(m1[r], mean[r], 0, at);
                        assertEquals(s1[r], rstd[r], 0, at);
                    }
                }
            }
        }
    }

    /**
     * A run of rows in one call (the kernel finds each next row's maximum before finishing the
     * row before, or, softmax of short rows, works L rows at a time and reduces their maxima and
     * sums together) gives every row the bits it gets alone, at offsets that start mid-array, for
     * one to nine rows and one or two blocks of L with rows left over, of widths around the
     * vector length and up to the block kernel's limit, with a NaN, +inf or huge value in
     * one row that must not leak into its neighbours (softmax scaled, as cross-entropy asks).
     */
    @Test
    void softmaxRowsGiveEachRowItsOwnBits() {
        int l = SimdKernels.L;
        int block = SoftmaxKernels.SHORT_ROW;
        for (int n : new int[] {1, l - 1, l, l + 1, 4 * l + 3, 65, block, block + 1}) {
            for (int rows : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, l, l + 3, 2 * l + 1}) {
                for (float special : new float[] {0.5f, Float.NaN, Float.POSITIVE_INFINITY, 1e30f}) {
                    float[] x = values(n * 17 + rows, -4, 4, Math.max(N, 3 + rows * n));
                    int off = 3;
                    if (rows > 2) {
                        x[off + n + n / 2] = special;   // row 1
                    }
                    for (boolean log : new boolean[] {false, true}) {
                        float scale = log ? 1f : 0.1f;
                        float[] together = new float[rows * n + 5];
                        float[] lse = new float[rows + 2];
                        SoftmaxKernels.softmaxRows(x, off, together, 2, rows, n, log, scale, lse, 1);
                        for (int r = 0; r < rows; r++) {
                            float[] alone = new float[n];
                            float[] one = new float[1];
                            SoftmaxKernels.softmaxRows(x, off + r * n, alone, 0, 1, n, log, scale, one, 0);
                            float[] got = java.util.Arrays.copyOfRange(together, 2 + r * n, 2 + (r + 1) * n);
                            assertArrayEquals(alone, got, "n=" + n + " rows=" + rows + " row " + r + " log " + log);
                            assertEquals(one[0], lse[1 + r], 0, "logsumexp of row " + r);
                        }
                        assertEquals(0f, together[0], 0, "nothing written before the first row");
                        assertEquals(0f, lse[0], 0, "nothing written before the first logsumexp");
                        assertEquals(0f, lse[rows + 1], 0, "nothing written after the last logsumexp");
                    }
                }
            }
        }
    }

    /**
     * Softmax's shift is found by four vector chains and a masked tail: rows of every length up
     * to five vectors and more, with the largest value (large enough that a wrong shift
     * overflows exp), a NaN or +inf at every position, must give the twin's output, and max/min
     * the twin's extreme.
     */
    @Test
    void softmaxAndExtremesFindTheLargestValueAtEveryPosition() {
        int l = SimdKernels.L;
        for (int n = 1; n <= 5 * l + 3; n++) {
            for (int at = 0; at < n; at++) {
                for (float special : new float[] {100f, -9f, Float.NaN, Float.POSITIVE_INFINITY}) {
                    float[] x = values(n * 31 + at, -3, 3);
                    x[at] = special;
                    assertEquals(ScalarKernels.max(x, 0, n), SimdKernels.max(x, 0, n), 0, "max n=" + n + " at " + at);
                    assertEquals(ScalarKernels.min(x, 0, n), SimdKernels.min(x, 0, n), 0, "min n=" + n + " at " + at);
                    double[] xd = new double[n];
                    for (int i = 0; i < n; i++) {
                        xd[i] = x[i];
                    }
                    assertEquals(ScalarKernels.logsumexp(xd, 0, n), SoftmaxKernels.logsumexp(x, 0, n), 1e-4,
                            "logsumexp n=" + n + " at " + at + " = " + special);
                    for (boolean log : new boolean[] {false, true}) {
                        float[] simd = new float[n];
                        float[] twin = new float[n];
                        SoftmaxKernels.softmaxRows(x, 0, simd, 0, 1, n, log, 1f, null, 0);
                        ScalarKernels.softmaxF32(x, 0, twin, 0, n, log);
                        assertArrayEquals(twin, simd, 1e-5f, "softmax n=" + n + " at " + at + " = " + special);
                    }
                }
            }
        }
    }

    @Test
    void wholeBackendMatchesScalarTwinsOnStridedInputs() {
        Generator g = new Generator(8);
        NdArray a = NdArray.randn(g, DType.F32, 6, 37, 9).permute(2, 0, 1);      // strided
        NdArray b = NdArray.randn(g, DType.F32, 9, 1, 37);                       // broadcast
        NdArray w = NdArray.randn(g, DType.F32, 9, 37, 5);
        NdArray[] simd = run(a, b, w);
        CpuBackend.useSimd(false);
        NdArray[] twin = run(a, b, w);
        for (int i = 0; i < simd.length; i++) {
            assertArrayEquals(twin[i].toFloatArray(), simd[i].toFloatArray(), 2e-4f, "result " + i);
        }
    }

    private static NdArray[] run(NdArray a, NdArray b, NdArray w) {
        return new NdArray[] {
            a.exp(), a.tanh(), a.gelu(), a.add(b), a.mul(b), a.sum(new int[] {0, 2}, true), a.max(new int[] {1}, false),
            a.softmax(2), a.logSoftmax(0), a.logsumexp(new int[] {2}, false), a.matmul(w)
        };
    }
}
