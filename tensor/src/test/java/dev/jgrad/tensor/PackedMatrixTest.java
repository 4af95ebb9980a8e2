package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.cpu.CpuBackend;
import dev.jgrad.tensor.cpu.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Products with a packed right-hand side give the bits of the product with a contiguous copy of
 * its source on every path, and of the product with the source itself unless that takes the
 * one-or-two-row dot-product path (a transposed source).
 */
class PackedMatrixTest {
    private final int threadsBefore = Parallel.threads();

    @AfterEach
    void restore() {
        CpuBackend.useSimd(true);
        Parallel.setThreads(threadsBefore);
    }

    /**
     * m, k, n: an LSTM step's product (big enough for the pool; whole panels run the packed
     * micro-kernel on rows up to the last whole MR, the rest the unpacked one), few rows with whole
     * and partial vectors of columns, more rows than the unpacked kernel takes (the packed GEMM
     * then runs on the source), rows a multiple of MR with a k of several slabs and a partial one,
     * more rows than one packed block of A (the unpacked kernel again), a single row, and empty dims.
     */
    private static final int[][] SHAPES = {
        {32, 384, 1536}, {32, 1536, 384}, {5, 7, 3}, {9, 33, 48}, {70, 33, 50}, {24, 300, 64}, {200, 40, 64},
        {1, 10, 40}, {0, 4, 5}, {3, 0, 5}, {3, 4, 0},
    };

    @Test
    void productsMatchTheSourceBitForBit() {
        for (boolean simd : new boolean[] {true, false}) {
            CpuBackend.useSimd(simd);
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                for (int[] s : SHAPES) {
                    Generator g = new Generator(s[0] * 31 + s[2]);
                    // A with a row stride of its own (a slice) and as a transposed view, B both as
                    // given and as a transposed view.
                    NdArray rowsA = NdArray.randn(g, DType.F32, s[0], s[1] + 2).narrow(1, 1, s[1]);
                    NdArray colsA = NdArray.randn(g, DType.F32, s[1], s[0]).t();
                    NdArray b = NdArray.randn(g, DType.F32, s[1], s[2]);
                    NdArray bt = NdArray.randn(g, DType.F32, s[2], s[1]).t();
                    for (NdArray a : new NdArray[] {rowsA, colsA}) {
                        for (NdArray rhs : new NdArray[] {b, bt}) {
                            String at = "simd " + simd + ", threads " + threads + ", " + s[0] + "x" + s[1] + "x"
                                    + s[2] + (a == rowsA ? ", A rows" : ", A transposed")
                                    + (rhs == b ? "" : ", B transposed");
                            float[] want = a.matmul(rhs.contiguous()).toFloatArray();
                            PackedMatrix p = rhs.pack();
                            assertArrayEquals(want, a.matmul(p).toFloatArray(), at);
                            NdArray out = NdArray.full(DType.F32, 7, s[0], s[2]);
                            assertArrayEquals(want, a.matmul(p, out).toFloatArray(), at + ", out=");
                            if (s[0] > 2) {
                                // One or two rows times a transposed B are dot products, summed in another order.
                                assertArrayEquals(a.matmul(rhs).toFloatArray(), want, at + ", the source itself");
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Like matmul with the source: a 1-D left operand is one row (dropped again), leading dims
     * fold into rows, and a strided or offset out gets the values (computed, then copied in).
     */
    @Test
    void anyLeftRankAndAnyOut() {
        Generator g = new Generator(6);
        NdArray b = NdArray.randn(g, DType.F32, 40, 48);
        PackedMatrix p = b.pack();
        for (NdArray a : new NdArray[] {NdArray.randn(g, DType.F32, 40), NdArray.randn(g, DType.F32, 3, 5, 40),
            NdArray.randn(g, DType.F32, 40, 6, 5).permute(1, 2, 0), NdArray.zeros(DType.F32, 2, 0, 40)}) {
            NdArray want = a.matmul(b);
            NdArray got = a.matmul(p);
            assertEquals(want.shape(), got.shape());
            assertArrayEquals(want.toFloatArray(), got.toFloatArray(), 1e-5f, a.shape().toString());
        }
        NdArray a = NdArray.randn(g, DType.F32, 5, 40);
        NdArray strided = NdArray.full(DType.F32, 7, 48, 5).t();
        assertArrayEquals(a.matmul(b).toFloatArray(), a.matmul(p, strided).toFloatArray(), "a transposed out");
        NdArray big = NdArray.full(DType.F32, 7, 6, 48);
        a.matmul(p, big.narrow(0, 1, 5));
        assertArrayEquals(a.matmul(b).toFloatArray(), big.narrow(0, 1, 5).toFloatArray(), "an offset out");
        assertArrayEquals(NdArray.full(DType.F32, 7, 48).toFloatArray(), big.select(0, 0).toFloatArray(),
                "out's neighbours untouched");
        NdArray emptyK = NdArray.ones(DType.F32, 3, 0).matmul(NdArray.zeros(DType.F32, 0, 48).pack());
        assertEquals(Shape.of(3, 48), emptyK.shape());
        assertArrayEquals(new float[3 * 48], emptyK.toFloatArray(), "K = 0: zeros");
    }

    @Test
    void packingCopiesTheValues() {
        Generator g = new Generator(3);
        NdArray a = NdArray.randn(g, DType.F32, 4, 40);
        NdArray b = NdArray.randn(g, DType.F32, 40, 48);
        NdArray before = b.copy();
        PackedMatrix p = b.pack();
        b.mul(2.0, b);   // a later write to the source
        assertArrayEquals(a.matmul(before).toFloatArray(), a.matmul(p).toFloatArray());
    }

    @Test
    void otherDtypesKeepAPlainCopy() {
        Generator g = new Generator(4);
        NdArray a = NdArray.randn(g, DType.F64, 3, 6);
        NdArray b = NdArray.randn(g, DType.F64, 6, 5);
        PackedMatrix p = b.pack();
        assertEquals(DType.F64, p.dtype());
        assertArrayEquals(a.matmul(b).toDoubleArray(), a.matmul(p).toDoubleArray());
    }

    @Test
    void badShapesAreClearErrors() {
        NdArray b = NdArray.zeros(DType.F32, 4, 5);
        var e = assertThrows(IllegalArgumentException.class, () -> NdArray.zeros(DType.F32, 4).pack());
        assertTrue(e.getMessage().contains("pack") && e.getMessage().contains("(4,)"), e.getMessage());
        PackedMatrix p = b.pack();
        e = assertThrows(IllegalArgumentException.class, () -> NdArray.zeros(DType.F32, 2, 3).matmul(p));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("(2, 3)")
                && e.getMessage().contains("(4, 5)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NdArray.zeros(DType.F64, 2, 4).matmul(p));
        assertTrue(e.getMessage().contains("F64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NdArray.scalar(DType.F32, 1).matmul(p));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("()"), e.getMessage());
        NdArray flat = NdArray.zeros(DType.F32, 18);
        e = assertThrows(IllegalArgumentException.class,
                () -> flat.narrow(0, 0, 8).reshape(2, 4).matmul(p, flat.narrow(0, 4, 10).reshape(2, 5)));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NdArray.zeros(DType.F32, 2, 4).matmul(p, NdArray.zeros(DType.F32, 2, 6)));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("(2, 6)"), e.getMessage());
    }
}
