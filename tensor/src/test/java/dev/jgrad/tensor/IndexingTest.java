package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IndexingTest {
    private static NdArray ids(int... v) {
        return NdArray.of(v, v.length);
    }

    @Test
    void indexSelectGatherScatterAdd() {
        NdArray x = NdArray.arange(DType.F32, 12).reshape(3, 4);
        assertArrayEquals(new float[] {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11},
                x.indexSelect(0, ids(2, 0, 2)).toFloatArray());
        assertArrayEquals(new float[] {1, 3, 5, 7, 9, 11}, x.indexSelect(1, ids(1, 3)).t().t().contiguous().reshape(-1)
                .reshape(3, 2).toFloatArray());
        NdArray g = x.gather(1, NdArray.of(new int[] {3, 0, 1, 1, 2, 2}, 3, 2));
        assertArrayEquals(new float[] {3, 0, 5, 5, 10, 10}, g.toFloatArray());
        NdArray s = NdArray.zeros(DType.F32, 2, 3).scatterAdd(1, NdArray.of(new int[] {0, 0, 2, 1}, 2, 2),
                NdArray.ones(DType.F32, 2, 2));
        assertArrayEquals(new float[] {2, 0, 0, 0, 1, 1}, s.toFloatArray());
        NdArray ia = NdArray.zeros(DType.F32, 3, 2).indexAdd(0, ids(2, 2, 0), NdArray.ones(DType.F32, 3, 2));
        assertArrayEquals(new float[] {1, 1, 0, 0, 2, 2}, ia.toFloatArray());
    }

    @Test
    void outOfRangeIndicesAreCaughtBeforeAnyKernel() {
        NdArray x = NdArray.zeros(DType.F32, 3, 4);
        var e = assertThrows(IndexOutOfBoundsException.class, () -> x.indexSelect(0, ids(0, 3)));
        assertEquals("index_select: index 3 (at flat position 1) is out of range for dim 0 of shape (3, 4) of size 3",
                e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> x.gather(1, NdArray.of(new int[] {-1}, 1, 1)));
        assertThrows(IndexOutOfBoundsException.class, () -> NdArray.embedding(x, ids(5)));
        assertThrows(IllegalArgumentException.class, () -> x.indexSelect(0, NdArray.zeros(DType.F32, 2)));
    }

    @Test
    void embeddingLooksUpRowsForAnyIdShape() {
        NdArray w = NdArray.arange(DType.F32, 10).reshape(5, 2);
        NdArray e = NdArray.embedding(w, NdArray.of(new int[] {4, 0, 1, 1}, 2, 2));
        assertEquals(Shape.of(2, 2, 2), e.shape());
        assertArrayEquals(new float[] {8, 9, 0, 1, 2, 3, 2, 3}, e.toFloatArray());
    }

    @Test
    void catStackSplitChunk() {
        NdArray a = NdArray.ones(DType.F32, 2, 2);
        NdArray b = NdArray.zeros(DType.F32, 2, 1);
        NdArray c = NdArray.cat(1, a, b);
        assertArrayEquals(new float[] {1, 1, 0, 1, 1, 0}, c.toFloatArray());
        var err = assertThrows(IllegalArgumentException.class, () -> NdArray.cat(0, a, b));
        assertTrue(err.getMessage().contains("(2, 1)"), err.getMessage());
        assertEquals(Shape.of(2, 3, 2), NdArray.stack(1, a, a, a).shape());
        NdArray[] parts = NdArray.arange(DType.I32, 7).split(3, 0);
        assertEquals(3, parts.length);
        assertArrayEquals(new int[] {6}, parts[2].toIntArray());
        assertEquals(3, NdArray.arange(DType.I32, 5).chunk(3, 0).length);
        assertThrows(IllegalArgumentException.class, () -> NdArray.arange(DType.I32, 5).split(new int[] {2, 2}, 0));
    }

    @Test
    void trilTriu() {
        NdArray x = NdArray.ones(DType.I32, 3, 3);
        assertArrayEquals(new int[] {1, 0, 0, 1, 1, 0, 1, 1, 1}, x.tril(0).toIntArray());
        assertArrayEquals(new int[] {0, 1, 1, 0, 0, 1, 0, 0, 0}, x.triu(1).toIntArray());
        assertThrows(IllegalArgumentException.class, () -> NdArray.ones(DType.F32, 3).tril(0));
    }

    @Test
    void sortIsStableAndTopkSorted() {
        NdArray x = NdArray.of(new float[] {3, 1, 3, Float.NaN, 2}, 5);
        NdArray[] s = x.sort(0, false);
        assertArrayEquals(new int[] {1, 4, 0, 2, 3}, s[1].toIntArray());
        NdArray[] d = x.sort(0, true);
        assertArrayEquals(new int[] {3, 0, 2, 4, 1}, d[1].toIntArray());
        NdArray[] t = NdArray.of(new float[] {5, 9, 1, 7}, 4).topk(2, 0, true);
        assertArrayEquals(new float[] {9, 7}, t[0].toFloatArray());
        assertArrayEquals(new int[] {1, 3}, t[1].toIntArray());
        assertThrows(IllegalArgumentException.class, () -> x.topk(6, 0, true));
    }

    @Test
    void multinomialIsSeededAndFollowsTheWeights() {
        NdArray w = NdArray.of(new float[] {0, 1, 3}, 3);
        int[] a = w.multinomial(4000, true, new Generator(11)).toIntArray();
        int[] b = w.multinomial(4000, true, new Generator(11)).toIntArray();
        assertArrayEquals(a, b);
        int[] counts = new int[3];
        for (int v : a) {
            counts[v]++;
        }
        assertEquals(0, counts[0]);
        assertEquals(1000, counts[1], 100);
        int[] noRep = NdArray.of(new float[] {1, 1, 1, 1}, 4).multinomial(4, false, new Generator(1)).toIntArray();
        assertArrayEquals(new int[] {0, 1, 2, 3}, java.util.Arrays.stream(noRep).sorted().toArray());
        assertThrows(IllegalArgumentException.class, () -> w.multinomial(3, false, new Generator(1)));
        assertThrows(IllegalArgumentException.class,
                () -> NdArray.of(new float[] {-1, 2}, 2).multinomial(1, true, new Generator(1)));
        assertEquals(Shape.of(2, 5), NdArray.ones(DType.F64, 2, 3).multinomial(5, true, new Generator(1)).shape());
    }

    @Test
    void oneHot() {
        NdArray o = NdArray.oneHot(NdArray.of(new int[] {2, 0}, 2), 3);
        assertArrayEquals(new int[] {0, 0, 1, 1, 0, 0}, o.toIntArray());
        assertEquals(Shape.of(2, 3), o.shape());
        assertEquals(Shape.of(1, 5), NdArray.oneHot(NdArray.of(new int[] {4}, 1), -1).shape());
        assertThrows(IndexOutOfBoundsException.class, () -> NdArray.oneHot(NdArray.of(new int[] {3}, 1), 3));
    }

    @Test
    void matmulShapesAndErrors() {
        NdArray a = NdArray.ones(DType.F32, 2, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> a.matmul(NdArray.ones(DType.F32, 4, 5)));
        assertEquals("matmul: shapes (2, 3) and (4, 5) cannot be multiplied (3 != 4)", e.getMessage());
        assertEquals(Shape.of(2), a.matmul(NdArray.ones(DType.F32, 3)).shape());
        assertEquals(Shape.SCALAR, NdArray.ones(DType.F32, 3).matmul(NdArray.ones(DType.F32, 3)).shape());
        assertEquals(Shape.of(4, 2, 5), a.matmul(NdArray.ones(DType.F32, 4, 3, 5)).shape());
        assertEquals(Shape.of(2, 0), a.matmul(NdArray.ones(DType.F32, 3, 0)).shape());
        assertArrayEquals(new float[] {0, 0}, NdArray.ones(DType.F32, 2, 0).matmul(NdArray.ones(DType.F32, 0, 1))
                .reshape(2).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> NdArray.scalar(DType.F32, 1).matmul(a));
    }
}
