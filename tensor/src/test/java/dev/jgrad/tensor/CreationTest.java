package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.cpu.Parallel;
import org.junit.jupiter.api.Test;

class CreationTest {
    @Test
    void arangeLinspaceEyeFull() {
        assertArrayEquals(new int[] {0, 1, 2, 3}, NdArray.arange(DType.I32, 4).toIntArray());
        assertArrayEquals(new double[] {1, 1.5, 2, 2.5}, NdArray.arange(DType.F64, 1, 3, 0.5).toDoubleArray(), 0);
        assertArrayEquals(new double[] {5, 3}, NdArray.arange(DType.F64, 5, 1, -2).toDoubleArray(), 0);
        assertThrows(IllegalArgumentException.class, () -> NdArray.arange(DType.F32, 0, 5, -1));
        NdArray l = NdArray.linspace(DType.F64, 0, 1, 7);
        assertEquals(0.0, l.getDouble(0), 0);
        assertEquals(1.0, l.getDouble(6), 0);
        assertEquals(0.5, l.getDouble(3), 1e-15);
        assertEquals(0, NdArray.linspace(DType.F32, 0, 1, 0).numel());
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0}, NdArray.eye(DType.F32, 2, 3).toFloatArray());
        assertArrayEquals(new int[] {7, 7}, NdArray.full(DType.I32, 7, 2).toIntArray());
        assertThrows(IllegalArgumentException.class, () -> NdArray.full(DType.I32, 0.5, 2));
    }

    /** Ints out of views: a contiguous one past the start of its storage, strided ones, empty ones. */
    @Test
    void toIntArrayReadsViewsAsTheyLook() {
        NdArray x = NdArray.arange(DType.I32, 12).reshape(3, 4);
        assertArrayEquals(new int[] {4, 5, 6, 7, 8, 9, 10, 11}, x.narrow(0, 1, 2).toIntArray());
        assertArrayEquals(new int[] {1, 5, 9}, x.select(1, 1).toIntArray());
        assertArrayEquals(new int[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, x.t().toIntArray());
        assertArrayEquals(new int[0], x.narrow(0, 3, 0).toIntArray());
        // An empty view whose offset lies past its (empty) storage.
        assertArrayEquals(new int[0], NdArray.zeros(DType.I32, 0, 2).select(1, 1).toIntArray());
    }

    @Test
    void fromJavaArraysOfAnyRank() {
        NdArray a = NdArray.fromArray(new float[][][] {{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}});
        assertEquals(Shape.of(2, 2, 2), a.shape());
        assertEquals(DType.F32, a.dtype());
        assertEquals(7.0, a.getDouble(1, 1, 0), 0);
        assertEquals(DType.I32, NdArray.fromArray(new int[] {1, 2}).dtype());
        assertEquals(Shape.of(0, 0), NdArray.fromArray(new double[0][3]).shape());
        var e = assertThrows(IllegalArgumentException.class, () -> NdArray.fromArray(new double[][] {{1, 2}, {3}}));
        assertTrue(e.getMessage().contains("ragged"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NdArray.fromArray(new long[] {1}));
        assertThrows(IllegalArgumentException.class, () -> NdArray.of(new float[5], 2, 3));
    }

    @Test
    void randomStreamsAreReproducibleAndIndependentOfThreads() {
        float[] a = NdArray.randn(new Generator(42), DType.F32, 1000).toFloatArray();
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] b = NdArray.randn(new Generator(42), DType.F32, 1000).toFloatArray();
            assertArrayEquals(a, b);
        } finally {
            Parallel.setThreads(before);
        }
        float[] c = NdArray.randn(new Generator(43), DType.F32, 1000).toFloatArray();
        assertTrue(a[0] != c[0] || a[1] != c[1]);
    }

    @Test
    void distributionsHaveTheRightMoments() {
        double[] u = NdArray.rand(new Generator(1), DType.F64, 100_000).toDoubleArray();
        double[] n = NdArray.randn(new Generator(2), DType.F64, 100_000).toDoubleArray();
        assertEquals(0.5, mean(u), 0.01);
        assertEquals(0.0, mean(n), 0.01);
        assertEquals(1.0, Math.sqrt(variance(n)), 0.01);
        int[] r = NdArray.randint(new Generator(3), -2, 3, 10_000).toIntArray();
        int[] counts = new int[5];
        for (int v : r) {
            counts[v + 2]++;
        }
        for (int c : counts) {
            assertEquals(2000, c, 150);
        }
        assertThrows(IllegalArgumentException.class, () -> NdArray.randint(new Generator(3), 3, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> NdArray.rand(new Generator(3), DType.I32, 1));
    }

    @Test
    void generatorStateRoundTrips() {
        Generator g = new Generator(9);
        g.nextLong();
        long state = g.state();
        long next = g.nextLong();
        g.setState(state);
        assertEquals(next, g.nextLong());
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double variance(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return s / v.length;
    }
}
