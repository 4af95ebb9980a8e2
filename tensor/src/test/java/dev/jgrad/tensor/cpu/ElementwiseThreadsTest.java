package dev.jgrad.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.Backends;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Elementwise ops and the row-by-row kernels cut their work into a multiple of the pool's
 * threads, and that never changes a result: the same bits on one, two and three threads, for
 * transcendental ops too (whose vector body and scalar tail round differently), on one long row
 * with a tail and on many rows.
 */
class ElementwiseThreadsTest {
    private final int threadsBefore = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(threadsBefore);
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        Generator g = new Generator(12);
        // one row of 3 grains and a tail; GPT's 768 x 128 (three row chunks); odd rows and columns
        NdArray[] inputs = {NdArray.randn(g, DType.F32, 3 * Strided.GRAIN + 5),
            NdArray.randn(g, DType.F32, 768, 128), NdArray.randn(g, DType.F32, 769, 129)};
        for (NdArray x : inputs) {
            NdArray y = NdArray.randn(g, DType.F32, x.shape().dims());
            float[][] want = null;
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                NdArray gy = NdArray.zeros(DType.F32, x.shape().dims());
                NdArray slope = NdArray.zeros(DType.F32, x.shape().dims());
                Backends.get().geluWithGrad(x, gy, slope);
                float[][] got = {x.tanh().toFloatArray(), x.exp().toFloatArray(), x.gelu().toFloatArray(),
                    x.add(y).toFloatArray(), x.mul(y).toFloatArray(), gy.toFloatArray(), slope.toFloatArray(),
                    x.softmax(-1).toFloatArray(), x.logSoftmax(-1).toFloatArray(), x.max(new int[] {-1}, false)
                        .toFloatArray(), layerNorm(x).toFloatArray()};
                if (want == null) {
                    want = got;
                } else {
                    for (int i = 0; i < got.length; i++) {
                        assertArrayEquals(want[i], got[i], x.shape() + ", op " + i + ", threads " + threads);
                    }
                }
            }
        }
    }

    @Test
    void sumOfSquaresOverManyArraysIsTheSerialSumOnAnyThreadCount() {
        Generator g = new Generator(13);
        // a model's gradients: matrices, vectors, a strided view, an empty one; above the
        // parallel threshold in all, and once below it
        List<NdArray> big = List.of(NdArray.randn(g, DType.F32, 128, 384), NdArray.randn(g, DType.F32, 384),
                NdArray.randn(g, DType.F32, 512, 128).transpose(0, 1), NdArray.zeros(DType.F32, 0, 7),
                NdArray.randn(g, DType.F32, 65, 128), NdArray.randn(g, DType.F32, 3));
        List<NdArray> small = List.of(NdArray.randn(g, DType.F32, 30, 200), NdArray.randn(g, DType.F32, 27));
        for (List<NdArray> xs : List.of(big, small)) {
            double serial = 0;
            double exact = 0;
            for (NdArray x : xs) {
                serial += Backends.get().sumOfSquares(x);
                for (double v : x.toDoubleArray()) {
                    exact += v * v;
                }
            }
            assertEquals(exact, serial, 1e-6 * exact);
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                assertEquals(serial, Backends.get().sumOfSquares(xs), 0.0, "threads " + threads);
            }
        }
    }

    private static NdArray layerNorm(NdArray x) {
        NdArray x2 = x.rank() == 1 ? x.reshape(1, -1) : x;
        int rows = x2.size(0);
        int c = x2.size(1);
        NdArray w = NdArray.ones(DType.F32, c);
        NdArray y = NdArray.zeros(DType.F32, rows, c);
        Backends.get().layerNormForward(x2, w, null, 1e-5, y, NdArray.zeros(DType.F32, rows),
                NdArray.zeros(DType.F32, rows));
        return y;
    }

    @Test
    void chunksComeInMultiplesOfTheThreadsOnWholeVectors() {
        Parallel.setThreads(2);
        int g = Strided.balanced(3 * Strided.GRAIN, Strided.GRAIN, SimdKernels.L);
        assertEquals(0, g % SimdKernels.L);
        assertEquals(4, (3 * Strided.GRAIN + g - 1) / g, "three grains become four chunks");
        int rows = Strided.balanced(768, 256, 1);
        assertEquals(4, (768 + rows - 1) / rows);
        assertEquals(256, Strided.balanced(512, 256, 1), "already even");
        assertEquals(100, Strided.balanced(50, 100, 1), "one chunk stays one");
        Parallel.setThreads(1);
        assertEquals(256, Strided.balanced(768, 256, 1), "one thread: the grain as given");
        Parallel.setThreads(3);
        int odd = Strided.balanced(1000, 100, 8);
        long chunks = (1000 + odd - 1) / odd;
        assertTrue(odd % 8 == 0 && chunks <= 12 && chunks >= 9, "near the grain: " + odd);
    }
}
