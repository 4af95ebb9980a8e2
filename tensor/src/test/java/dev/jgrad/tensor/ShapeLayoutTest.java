package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShapeLayoutTest {
    private static NdArray iota(int... shape) {
        return NdArray.arange(DType.F32, Shape.of(shape).numel()).reshape(shape);
    }

    @Test
    void broadcastFollowsNumpyRules() {
        assertEquals(Shape.of(2, 3, 4), Shape.broadcast("add", Shape.of(3, 1), Shape.of(2, 1, 4)));
        assertEquals(Shape.of(0, 4), Shape.broadcast("add", Shape.of(0, 1), Shape.of(4)));
        assertEquals(Shape.SCALAR, Shape.broadcast("add", Shape.SCALAR, Shape.SCALAR));
        var e = assertThrows(IllegalArgumentException.class, () -> Shape.broadcast("mul", Shape.of(2, 3), Shape.of(4)));
        assertEquals("mul: shapes (2, 3) and (4,) cannot be broadcast (dim 1: 3 vs 4)", e.getMessage());
    }

    @Test
    void shapesRejectNegativeAndOversizedDims() {
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
        var e = assertThrows(IllegalArgumentException.class, () -> Shape.of(65536, 65536));
        assertTrue(e.getMessage().contains("more elements than a Java array can hold"), e.getMessage());
    }

    @Test
    void transposeIsAViewAndViewOfItFailsWhileReshapeCopies() {
        NdArray x = iota(2, 3);
        NdArray t = x.t();
        assertTrue(t.sharesStorageWith(x));
        assertFalse(t.isContiguous());
        var e = assertThrows(IllegalArgumentException.class, () -> t.view(6));
        assertTrue(e.getMessage().startsWith("view: shape (6,) is not compatible"), e.getMessage());
        NdArray r = t.reshape(6);
        assertFalse(r.sharesStorageWith(x));
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, r.toFloatArray());
    }

    @Test
    void viewSplitsAndMergesContiguousChunks() {
        NdArray x = iota(4, 6).slice(1, 0, 6, 1).narrow(0, 1, 2); // rows 1..2, contiguous chunk
        NdArray v = x.view(2, 2, 3);
        assertTrue(v.sharesStorageWith(x));
        assertArrayEquals(x.toFloatArray(), v.toFloatArray());
        NdArray cols = iota(4, 6).narrow(1, 0, 4); // rows not adjacent: (4, 4) inside (4, 6)
        assertNull(cols.layout().viewAs(Shape.of(16)));
        assertTrue(cols.layout().viewAs(Shape.of(4, 2, 2)) != null);
        assertArrayEquals(cols.toFloatArray(), cols.view(4, 2, 2).toFloatArray());
        assertEquals(Shape.of(1, 1), NdArray.scalar(DType.F32, 5).view(1, 1).shape());
        assertEquals(Shape.SCALAR, NdArray.ones(DType.F32, 1, 1).view().shape());
        assertEquals(Shape.of(3, 0, 2), NdArray.zeros(DType.F32, 0, 6).view(3, 0, 2).shape());
    }

    @Test
    void inferredDimension() {
        assertEquals(Shape.of(2, 6), iota(3, 4).reshape(2, -1).shape());
        assertThrows(IllegalArgumentException.class, () -> iota(3, 4).reshape(-1, -1));
        var e = assertThrows(IllegalArgumentException.class, () -> iota(3, 4).reshape(5, -1));
        assertTrue(e.getMessage().contains("12"), e.getMessage());
    }

    @Test
    void pythonStyleSlicingClampsAndSteps() {
        NdArray x = iota(10);
        assertArrayEquals(new float[] {2, 5, 8}, x.slice(0, 2, 100, 3).toFloatArray());
        assertArrayEquals(new float[] {7, 8}, x.slice(0, -3, -1, 1).toFloatArray());
        assertEquals(0, x.slice(0, 8, 2, 1).numel());
        assertThrows(IllegalArgumentException.class, () -> x.slice(0, 0, 5, 0));
        var e = assertThrows(IllegalArgumentException.class, () -> x.narrow(0, 8, 3));
        assertTrue(e.getMessage().startsWith("narrow: start 8 and length 3 out of range"), e.getMessage());
    }

    @Test
    void selectExpandSqueezeUnsqueeze() {
        NdArray x = iota(2, 3);
        assertArrayEquals(new float[] {3, 4, 5}, x.select(0, -1).toFloatArray());
        assertThrows(IndexOutOfBoundsException.class, () -> x.select(1, 3));
        NdArray e = iota(3, 1).expand(2, 3, 4);
        assertArrayEquals(new int[] {0, 1, 0}, e.layout().strides());
        assertEquals(4.0, e.getDouble(1, 2, 3) * 2, 0);
        assertThrows(IllegalArgumentException.class, () -> iota(3, 2).expand(3, 4));
        assertEquals(Shape.of(3), iota(1, 3, 1).squeeze().shape());
        assertEquals(Shape.of(1, 3), iota(1, 3, 1).squeeze(-1).shape());
        assertEquals(Shape.of(1, 3, 1), iota(1, 3, 1).squeeze(1).shape());
        assertEquals(Shape.of(2, 1, 3), x.unsqueeze(1).shape());
        assertEquals(Shape.of(2, 3, 1), x.unsqueeze(-1).shape());
        var bad = assertThrows(IllegalArgumentException.class, () -> x.unsqueeze(4));
        assertEquals("unsqueeze: dim 4 out of range for a tensor of rank 3 (expected -3..2)", bad.getMessage());
    }

    @Test
    void permuteAndFlatten() {
        NdArray x = iota(2, 3, 4);
        NdArray p = x.permute(2, 0, 1);
        assertEquals(Shape.of(4, 2, 3), p.shape());
        assertEquals(x.getDouble(1, 2, 3), p.getDouble(3, 1, 2), 0);
        assertThrows(IllegalArgumentException.class, () -> x.permute(0, 0, 1));
        assertEquals(Shape.of(2, 12), x.flatten(1, 2).shape());
        assertEquals(Shape.of(24), x.flatten().shape());
        assertEquals(Shape.of(1), NdArray.scalar(DType.F32, 1).flatten().shape());
    }

    @Test
    void contiguousCopiesOnlyWhenNeeded() {
        NdArray x = iota(3, 4);
        assertTrue(x.contiguous() == x);
        NdArray c = x.t().contiguous();
        assertTrue(c.isContiguous());
        assertFalse(c.sharesStorageWith(x));
        assertArrayEquals(x.t().toFloatArray(), c.toFloatArray());
    }

    @Test
    void copyFromWritesThroughViewsAndRefusesExpandedDestinations() {
        NdArray x = NdArray.zeros(DType.F32, 3, 4);
        x.narrow(1, 1, 2).copyFrom(NdArray.ones(DType.F32, 1, 2));
        assertArrayEquals(new float[] {0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0}, x.toFloatArray());
        NdArray expanded = NdArray.zeros(DType.F32, 1, 4).expand(3, 4);
        assertThrows(IllegalArgumentException.class, () -> expanded.copyFrom(NdArray.ones(DType.F32, 3, 4)));
    }
}
