package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The out= forms (elementwise and matmul) and addmm: each against the allocating op it mirrors,
 * bit for bit where the arithmetic is the same, and every misuse rejected with the op's name.
 */
class OutArgumentTest {
    private final Generator g = new Generator(77);

    @Test
    void elementwiseIntoAFreshArrayEqualsTheAllocatingOp() {
        NdArray a = NdArray.randn(g, DType.F32, 3, 37);
        NdArray b = NdArray.randn(g, DType.F32, 37);             // broadcast over rows
        NdArray out = NdArray.zeros(DType.F32, 3, 37);
        assertSame(out, a.add(b, out));
        assertArrayEquals(a.add(b).toFloatArray(), out.toFloatArray());
        assertArrayEquals(a.sub(b).toFloatArray(), a.sub(b, out).toFloatArray());
        assertArrayEquals(a.mul(b).toFloatArray(), a.mul(b, out).toFloatArray());
        assertArrayEquals(a.div(b).toFloatArray(), a.div(b, out).toFloatArray());
        assertArrayEquals(a.mul(2.5).toFloatArray(), a.mul(2.5, out).toFloatArray());
        assertArrayEquals(a.add(-1).toFloatArray(), a.add(-1, out).toFloatArray());
        NdArray d = NdArray.randn(g, DType.F64, 4, 5);
        assertArrayEquals(d.div(3).toDoubleArray(), d.div(3, NdArray.zeros(DType.F64, 4, 5)).toDoubleArray());
        NdArray i = NdArray.of(new int[] {1, 2, 3}, 3);
        assertArrayEquals(new int[] {2, 4, 6}, i.mul(2, NdArray.zeros(DType.I32, 3)).toIntArray());
    }

    @Test
    void inPlaceOnContiguousAndStridedViews() {
        NdArray a = NdArray.randn(g, DType.F32, 4, 6);
        float[] want = a.mul(3).toFloatArray();
        a.mul(3, a);
        assertArrayEquals(want, a.toFloatArray());
        // A transposed view updated in place through its own strides; the base sees it.
        NdArray base = NdArray.randn(g, DType.F32, 5, 7);
        NdArray view = base.t();
        NdArray other = NdArray.randn(g, DType.F32, 7, 5);
        float[] expect = base.add(other.t()).toFloatArray();
        view.add(other, view);
        assertArrayEquals(expect, base.toFloatArray());
        // out as the second operand.
        NdArray x = NdArray.randn(g, DType.F32, 8);
        NdArray y = NdArray.randn(g, DType.F32, 8);
        float[] diff = x.sub(y).toFloatArray();
        x.sub(y, y);
        assertArrayEquals(diff, y.toFloatArray());
    }

    @Test
    void elementwiseMisuseIsRejected() {
        NdArray a = NdArray.randn(g, DType.F32, 3, 4);
        var shape = assertThrows(IllegalArgumentException.class, () -> a.add(a, NdArray.zeros(DType.F32, 4, 3)));
        assertTrue(shape.getMessage().contains("add") && shape.getMessage().contains("(4, 3)")
                && shape.getMessage().contains("(3, 4)"), shape.getMessage());
        var dtype = assertThrows(IllegalArgumentException.class, () -> a.mul(2, NdArray.zeros(DType.F64, 3, 4)));
        assertTrue(dtype.getMessage().contains("F64"), dtype.getMessage());
        var expanded = assertThrows(IllegalArgumentException.class,
                () -> a.add(a, NdArray.zeros(DType.F32, 4).expand(3, 4)));
        assertTrue(expanded.getMessage().contains("expanded"), expanded.getMessage());
        // Overlapping but not the same layout: the result would depend on the write order.
        NdArray sq = NdArray.randn(g, DType.F32, 4, 4);
        var overlap = assertThrows(IllegalArgumentException.class, () -> sq.add(1, sq.t()));
        assertTrue(overlap.getMessage().contains("overlaps"), overlap.getMessage());
        // Disjoint halves of one storage are fine.
        NdArray whole = NdArray.randn(g, DType.F32, 2, 5);
        NdArray top = whole.select(0, 0);
        NdArray bottom = whole.select(0, 1);
        float[] sum = top.add(bottom).toFloatArray();
        top.add(bottom, bottom);
        assertArrayEquals(sum, bottom.toFloatArray());
    }

    @Test
    void matmulIntoEqualsMatmulForEveryLayout() {
        for (int[] s : new int[][] {{1, 1, 1}, {3, 5, 7}, {17, 33, 65}, {70, 130, 40}}) {
            NdArray a = NdArray.randn(g, DType.F32, s[0], s[1]);
            NdArray b = NdArray.randn(g, DType.F32, s[1], s[2]);
            NdArray out = NdArray.full(DType.F32, 9, s[0], s[2]);          // old contents must not leak
            assertSame(out, a.matmul(b, out));
            assertArrayEquals(a.matmul(b).toFloatArray(), out.toFloatArray());
            // A strided destination: the transpose of a (n, m) array.
            NdArray outT = NdArray.full(DType.F32, 9, s[2], s[0]);
            a.matmul(b, outT.t());
            assertArrayEquals(a.matmul(b).t().contiguous().toFloatArray(), outT.toFloatArray());
            // Into the middle of a bigger buffer (non-zero offset).
            NdArray big = NdArray.zeros(DType.F32, s[0] + 2, s[2]);
            a.matmul(b, big.narrow(0, 1, s[0]));
            assertArrayEquals(a.matmul(b).toFloatArray(), big.narrow(0, 1, s[0]).contiguous().toFloatArray());
        }
        NdArray batch = NdArray.randn(g, DType.F32, 3, 4, 5);
        NdArray w = NdArray.randn(g, DType.F32, 5, 6);
        assertArrayEquals(batch.matmul(w).toFloatArray(), batch.matmul(w, NdArray.zeros(DType.F32, 3, 4, 6)).toFloatArray());
        NdArray v = NdArray.randn(g, DType.F32, 5);
        assertArrayEquals(w.t().matmul(v).toFloatArray(), w.t().matmul(v, NdArray.zeros(DType.F32, 6)).toFloatArray());
        assertArrayEquals(v.matmul(w).toFloatArray(), v.matmul(w, NdArray.zeros(DType.F32, 6)).toFloatArray());
        NdArray d = NdArray.randn(g, DType.F64, 4, 3);
        assertArrayEquals(d.matmul(d.t()).toDoubleArray(), d.matmul(d.t(), NdArray.zeros(DType.F64, 4, 4)).toDoubleArray());
    }

    @Test
    void matmulIntoMisuseIsRejected() {
        NdArray a = NdArray.randn(g, DType.F32, 4, 4);
        var shape = assertThrows(IllegalArgumentException.class, () -> a.matmul(a, NdArray.zeros(DType.F32, 4, 5)));
        assertTrue(shape.getMessage().contains("matmul") && shape.getMessage().contains("(4, 5)"), shape.getMessage());
        // GEMM reads its operands while it writes, so even the same layout is refused.
        var alias = assertThrows(IllegalArgumentException.class, () -> a.matmul(a, a));
        assertTrue(alias.getMessage().contains("overlaps"), alias.getMessage());
        assertThrows(NullPointerException.class, () -> a.matmul(a, null));
    }

    @Test
    void addmmAccumulatesTheProductOntoTheBroadcastInput() {
        NdArray m1 = NdArray.randn(g, DType.F64, 6, 9);
        NdArray m2 = NdArray.randn(g, DType.F64, 9, 5);
        for (NdArray input : new NdArray[] {NdArray.randn(g, DType.F64, 5), NdArray.randn(g, DType.F64, 6, 1),
                NdArray.randn(g, DType.F64, 6, 5), NdArray.scalar(DType.F64, 0.5)}) {
            assertArrayEquals(m1.matmul(m2).add(input).toDoubleArray(), NdArray.addmm(input, m1, m2).toDoubleArray(),
                    1e-12, "input " + input.shape());
        }
        // F32 on the packed SIMD path (bias first, then the FMA chain): same values within rounding.
        NdArray a = NdArray.randn(g, DType.F32, 70, 130);
        NdArray w = NdArray.randn(g, DType.F32, 40, 130);
        NdArray bias = NdArray.randn(g, DType.F32, 40);
        assertArrayEquals(a.matmul(w.t()).add(bias).toFloatArray(), NdArray.addmm(bias, a, w.t()).toFloatArray(), 1e-3f);
        assertArrayEquals(new float[0], NdArray.addmm(bias, NdArray.zeros(DType.F32, 0, 130), w.t()).toFloatArray());
        var rank = assertThrows(IllegalArgumentException.class, () -> NdArray.addmm(bias, a.unsqueeze(0), w.t()));
        assertTrue(rank.getMessage().contains("addmm") && rank.getMessage().contains("(1, 70, 130)"), rank.getMessage());
        var bcast = assertThrows(IllegalArgumentException.class,
                () -> NdArray.addmm(NdArray.zeros(DType.F32, 3), a, w.t()));
        assertTrue(bcast.getMessage().contains("(70, 40)"), bcast.getMessage());
    }

    @Test
    void unaryIntoEqualsTheAllocatingOpForEveryLayout() {
        NdArray x = NdArray.randn(g, DType.F32, 5, 3000).narrow(0, 1, 3);          // offset; 9000 elements
        NdArray small = x.narrow(1, 0, 40);                                        // strided rows
        java.util.List<java.util.function.BinaryOperator<NdArray>> into = java.util.List.of(NdArray::exp,
                NdArray::tanh, NdArray::sigmoid, NdArray::relu, NdArray::gelu, NdArray::abs);
        java.util.List<java.util.function.UnaryOperator<NdArray>> fresh = java.util.List.of(NdArray::exp,
                NdArray::tanh, NdArray::sigmoid, NdArray::relu, NdArray::gelu, NdArray::abs);
        for (int k = 0; k < into.size(); k++) {
            for (NdArray in : new NdArray[] {x, small, x.t()}) {
                float[] want = fresh.get(k).apply(in).toFloatArray();
                NdArray dense = NdArray.zeros(DType.F32, in.shape().dims());
                assertSame(dense, into.get(k).apply(in, dense));
                assertArrayEquals(want, dense.toFloatArray(), "op " + k + " dense out, input " + in.shape());
                NdArray offset = NdArray.zeros(DType.F32, 2, in.numel()).select(0, 1).view(in.shape().dims());
                assertArrayEquals(want, into.get(k).apply(in, offset).toFloatArray(), "op " + k + " offset out");
                NdArray strided = NdArray.zeros(DType.F32, in.size(1), in.size(0)).t();
                assertArrayEquals(want, into.get(k).apply(in, strided).toFloatArray(), "op " + k + " strided out");
                // In place on a contiguous copy: compared with the op on that copy, since the SIMD
                // kernels' scalar tails (within an ulp) fall on other elements for other row lengths.
                NdArray self = in.copy();
                float[] wantSelf = fresh.get(k).apply(self).toFloatArray();
                assertArrayEquals(wantSelf, into.get(k).apply(self, self).toFloatArray(), "op " + k + " in place");
            }
        }
        NdArray pos = x.abs().add(0.5);
        assertArrayEquals(pos.log().toFloatArray(), pos.log(NdArray.zeros(DType.F32, 3, 3000)).toFloatArray());
        assertArrayEquals(pos.sqrt().toFloatArray(), pos.sqrt(NdArray.zeros(DType.F32, 3, 3000)).toFloatArray());
        var shape = assertThrows(IllegalArgumentException.class, () -> x.gelu(NdArray.zeros(DType.F32, 3, 2999)));
        assertTrue(shape.getMessage().contains("gelu") && shape.getMessage().contains("(3, 3000)"), shape.getMessage());
        NdArray sq = NdArray.randn(g, DType.F32, 4, 4);
        var overlap = assertThrows(IllegalArgumentException.class, () -> sq.tanh(sq.t()));
        assertTrue(overlap.getMessage().contains("tanh") && overlap.getMessage().contains("overlaps"),
                overlap.getMessage());
        var ints = assertThrows(IllegalArgumentException.class,
                () -> NdArray.zeros(DType.I32, 2).tanh(NdArray.zeros(DType.I32, 2)));
        assertTrue(ints.getMessage().contains("I32"), ints.getMessage());
    }

    @Test
    void addmmIntoEqualsAddmm() {
        NdArray w = NdArray.randn(g, DType.F32, 40, 130);
        NdArray bias = NdArray.randn(g, DType.F32, 3, 40).select(0, 1);        // a row at an offset
        for (int rows : new int[] {1, 2, 70}) {
            NdArray a = NdArray.randn(g, DType.F32, rows, 130);
            float[] want = NdArray.addmm(bias, a, w.t()).toFloatArray();
            NdArray out = NdArray.zeros(DType.F32, rows, 40);
            assertSame(out, NdArray.addmm(bias, a, w.t(), out));
            assertArrayEquals(want, out.toFloatArray(), "rows " + rows);
            NdArray strided = NdArray.zeros(DType.F32, 40, rows).t();
            NdArray.addmm(bias, a, w.t(), strided);
            assertArrayEquals(want, strided.toFloatArray(), "strided out, rows " + rows);
        }
        NdArray a = NdArray.randn(g, DType.F32, 4, 130);
        var shape = assertThrows(IllegalArgumentException.class,
                () -> NdArray.addmm(bias, a, w.t(), NdArray.zeros(DType.F32, 4, 41)));
        assertTrue(shape.getMessage().contains("addmm") && shape.getMessage().contains("(4, 40)"), shape.getMessage());
        NdArray square = NdArray.randn(g, DType.F32, 4, 4);
        var overlap = assertThrows(IllegalArgumentException.class,
                () -> NdArray.addmm(NdArray.zeros(DType.F32, 4), square, square, square));
        assertTrue(overlap.getMessage().contains("overlaps"), overlap.getMessage());
        assertThrows(NullPointerException.class, () -> NdArray.addmm(bias, a, w.t(), null));
    }
}
