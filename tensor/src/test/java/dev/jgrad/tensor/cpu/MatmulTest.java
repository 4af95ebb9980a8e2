package dev.jgrad.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.Backends;
import org.junit.jupiter.api.Test;

/** The SIMD matmul against the naive kernel (its oracle) on every edge-tile shape and layout. */
class MatmulTest {
    private static final int[][] SIZES = {
        {1, 1, 1}, {3, 5, 7}, {4, 16, 32}, {5, 1, 17}, {17, 33, 65}, {64, 64, 64}, {5, 300, 9}, {130, 257, 70},
    };

    private static void assertMatchesNaive(NdArray a, NdArray b) {
        NdArray got = a.matmul(b);
        float[] want = new float[got.numel()];
        NdArray ac = a.contiguous();
        NdArray bc = b.contiguous();
        int m = a.size(-2);
        int k = a.size(-1);
        int n = b.size(-1);
        MatmulKernels.naive(ac.storageF32(), 0, k, 1, bc.storageF32(), 0, n, 1, want, 0, m, n, k);
        assertArrayEquals(want, got.toFloatArray(), 2e-5f * (k + 1), "m=" + m + " k=" + k + " n=" + n);
    }

    @Test
    void simdKernelMatchesNaiveOnAllEdgeTiles() {
        Generator g = new Generator(21);
        for (int[] s : SIZES) {
            NdArray a = NdArray.randn(g, DType.F32, s[0], s[1]);
            NdArray b = NdArray.randn(g, DType.F32, s[1], s[2]);
            assertMatchesNaive(a, b);
            // Transposed operands: A read through strides, B made unit-stride by the backend.
            assertMatchesNaive(NdArray.randn(g, DType.F32, s[1], s[0]).t(), b);
            assertMatchesNaive(a, NdArray.randn(g, DType.F32, s[2], s[1]).t());
        }
    }

    @Test
    void batchedWithBroadcastBatchDims() {
        Generator g = new Generator(4);
        NdArray a = NdArray.randn(g, DType.F32, 3, 1, 7, 9);
        NdArray b = NdArray.randn(g, DType.F32, 4, 9, 5);
        NdArray c = a.matmul(b);
        assertEquals(dev.jgrad.tensor.Shape.of(3, 4, 7, 5), c.shape());
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                NdArray want = a.select(0, i).select(0, 0).matmul(b.select(0, j));
                assertArrayEquals(want.toFloatArray(), c.select(0, i).select(0, j).toFloatArray(), 1e-5f);
            }
        }
    }

    @Test
    void float64AndInt32Matmul() {
        NdArray a = NdArray.fromArray(new double[][] {{1, 2}, {3, 4}});
        assertArrayEquals(new double[] {7, 10, 15, 22}, a.matmul(a).toDoubleArray(), 0);
        NdArray i = NdArray.fromArray(new int[][] {{1, 2}, {3, 4}});
        assertArrayEquals(new int[] {7, 10, 15, 22}, i.matmul(i).toIntArray());
    }

    @Test
    void resultsAreBitIdenticalForAnyThreadCount() {
        Generator g = new Generator(5);
        NdArray a = NdArray.randn(g, DType.F32, 300, 301);
        NdArray b = NdArray.randn(g, DType.F32, 301, 299);
        NdArray big = NdArray.randn(g, DType.F32, 512, 1024);
        NdArray tall = NdArray.randn(g, DType.F32, 1100, 1001);   // over 2^20 elements: column sums split by threads
        int[] rowIds = new int[1100];
        for (int i = 0; i < rowIds.length; i++) {
            rowIds[i] = (i * 37) % 50;   // every target row hit 22 times: the adds into it must keep id order
        }
        NdArray ids = NdArray.of(rowIds, rowIds.length);
        NdArray table = NdArray.randn(g, DType.F32, 50, 1001);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[][] one = {a.matmul(b).toFloatArray(), big.sum(1, false).toFloatArray(), big.softmax(1).toFloatArray(),
                big.exp().toFloatArray(), big.sum(0, false).toFloatArray(), tall.sum(0, false).toFloatArray(),
                table.indexAdd(0, ids, tall).toFloatArray()};
            Parallel.setThreads(3);
            float[][] three = {a.matmul(b).toFloatArray(), big.sum(1, false).toFloatArray(), big.softmax(1).toFloatArray(),
                big.exp().toFloatArray(), big.sum(0, false).toFloatArray(), tall.sum(0, false).toFloatArray(),
                table.indexAdd(0, ids, tall).toFloatArray()};
            for (int i = 0; i < one.length; i++) {
                assertArrayEquals(one[i], three[i], "result " + i);
            }
            float[] t = tall.toFloatArray();
            float[] columns = new float[1001];
            for (int j = 0; j < 1001; j++) {
                double s = 0;
                for (int r = 0; r < 1100; r++) {
                    s += t[r * 1001 + j];
                }
                columns[j] = (float) s;
            }
            assertArrayEquals(columns, three[5], 1e-3f, "column sums against a double reference");
            float[] scattered = table.toFloatArray();
            for (int r = 0; r < 1100; r++) {
                for (int j = 0; j < 1001; j++) {
                    scattered[rowIds[r] * 1001 + j] += t[r * 1001 + j];   // id order, as the kernel adds
                }
            }
            assertArrayEquals(scattered, three[6], "index_add split by columns against row-by-row adds");
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void backendIsChosenOnceThroughTheServiceLoader() {
        assertEquals("cpu", Backends.get().name());
        assertEquals(Backends.get(), Backends.get());
    }
}
