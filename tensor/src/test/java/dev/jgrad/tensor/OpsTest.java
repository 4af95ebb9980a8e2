package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Edge cases of the elementwise, reduction and row ops that PyTorch users rely on. */
class OpsTest {
    private static NdArray f32(float... v) {
        return NdArray.of(v, v.length);
    }

    @Test
    void dtypesNeverMixImplicitly() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> NdArray.ones(DType.F32, 2).add(NdArray.ones(DType.F64, 2)));
        assertEquals("add: dtype mismatch F32 (2,) vs F64 (2,) (no implicit conversion; call to(...) first)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NdArray.ones(DType.I32, 2).exp());
        assertThrows(IllegalArgumentException.class, () -> NdArray.ones(DType.I32, 2).div(2));
        assertThrows(IllegalArgumentException.class, () -> NdArray.ones(DType.I32, 2).add(0.5));
        assertArrayEquals(new int[] {3, 3}, NdArray.ones(DType.I32, 2).add(2).toIntArray());
    }

    @Test
    void comparisonsGiveI32MasksAndWhereSelects() {
        NdArray a = f32(1, 5, 3);
        NdArray m = a.gt(2);
        assertEquals(DType.I32, m.dtype());
        assertArrayEquals(new int[] {0, 1, 1}, m.toIntArray());
        assertArrayEquals(new float[] {0, 5, 3}, NdArray.where(m, a, NdArray.zeros(DType.F32)).toFloatArray());
        assertArrayEquals(new float[] {1, -1, -1}, a.maskedFill(m, -1).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> NdArray.where(a, a, a));
        assertArrayEquals(new int[] {1, 0, 0}, a.eq(f32(1, 2, 4)).toIntArray());
    }

    @Test
    void nanPropagatesThroughMaxReluAndClamp() {
        NdArray x = f32(Float.NaN, -1, 2);
        assertTrue(Float.isNaN(x.relu().toFloatArray()[0]));
        assertTrue(Float.isNaN(x.clamp(0, 1).toFloatArray()[0]));
        assertTrue(Float.isNaN((float) x.max().item()));
        assertEquals(0, (int) x.argmax().item());
        assertArrayEquals(new float[] {0, 1}, f32(-1, 2).clamp(0, 1).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> x.clamp(1, 0));
    }

    @Test
    void reductionsOverDimsWithKeepdim() {
        NdArray x = NdArray.arange(DType.F64, 24).reshape(2, 3, 4);
        NdArray s = x.sum(new int[] {0, 2}, true);
        assertEquals(Shape.of(1, 3, 1), s.shape());
        assertArrayEquals(new double[] {60, 92, 124}, s.toDoubleArray(), 0);
        assertArrayEquals(new double[] {60, 92, 124}, x.sum(new int[] {-1, 0}, false).toDoubleArray(), 0);
        assertEquals(276, x.sum().item(), 0);
        assertEquals(Shape.SCALAR, x.sum().shape());
        assertArrayEquals(new double[] {3, 7, 11, 15, 19, 23}, x.max(new int[] {2}, false).toDoubleArray(), 0);
        assertArrayEquals(new int[] {2, 2, 2, 2}, x.argmax(1, false).reshape(2, 4).select(0, 0).toIntArray());
        assertEquals(11.5, x.mean().item(), 0);
        assertEquals(50.0, x.var(null, 1, false).item(), 1e-12);
        assertEquals(Math.sqrt(50.0), x.std(null, 1, false).item(), 1e-12);
        assertArrayEquals(new double[] {0, 840}, x.reshape(6, 4).narrow(0, 0, 2).prod(1, false).toDoubleArray(), 0);
        assertThrows(IllegalArgumentException.class, () -> x.sum(new int[] {1, -2}, false));
        assertThrows(IllegalArgumentException.class, () -> x.sum(3, false));
    }

    @Test
    void emptyReductionsFollowPyTorch() {
        NdArray e = NdArray.zeros(DType.F32, 3, 0);
        assertArrayEquals(new float[] {0, 0, 0}, e.sum(1, false).toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1}, e.prod(1, false).toFloatArray());
        assertTrue(Float.isNaN(e.mean(new int[] {1}, false).toFloatArray()[0]));
        assertEquals(Float.NEGATIVE_INFINITY, e.logsumexp(new int[] {1}, false).toFloatArray()[0]);
        assertEquals(Shape.of(0), e.sum(0, false).shape());
        var err = assertThrows(IllegalArgumentException.class, () -> e.max(new int[] {1}, false));
        assertTrue(err.getMessage().startsWith("max: cannot reduce over dim 1 of size 0"), err.getMessage());
        assertThrows(IllegalArgumentException.class, () -> e.argmax(1, false));
    }

    @Test
    void softmaxIsStableForHugeAndInfiniteLogits() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            NdArray huge = NdArray.of(new double[] {1e30, 1e30 - 1e24, -1e30}, 3).to(dt);
            double[] p = huge.softmax(0).toDoubleArray();
            assertTrue(p[0] > 0.49 && p[2] == 0, java.util.Arrays.toString(p));
            NdArray withInf = NdArray.of(new double[] {Double.NEGATIVE_INFINITY, 0, 0}, 3).to(dt);
            assertArrayEquals(new double[] {0, 0.5, 0.5}, withInf.softmax(0).toDoubleArray(), 1e-7);
            double[] ls = withInf.logSoftmax(0).toDoubleArray();
            assertEquals(Double.NEGATIVE_INFINITY, ls[0]);
            assertEquals(Math.log(0.5), ls[1], 1e-6);
            NdArray allInf = NdArray.full(dt, Double.NEGATIVE_INFINITY, 2);
            assertTrue(Double.isNaN(allInf.softmax(0).toDoubleArray()[0]), "PyTorch gives NaN for an all -inf row");
            assertEquals(Double.NEGATIVE_INFINITY, allInf.logsumexp(null, false).item());
            assertEquals(Double.POSITIVE_INFINITY, NdArray.full(dt, Double.POSITIVE_INFINITY, 2).logsumexp(null, false).item());
            assertEquals(1000 + Math.log(2), NdArray.full(dt, 1000, 2).logsumexp(null, false).item(), 1e-3);
        }
    }

    @Test
    void softmaxAlongAnyDimSumsToOne() {
        NdArray x = NdArray.randn(new Generator(5), DType.F32, 3, 5, 7);
        for (int d = 0; d < 3; d++) {
            NdArray s = x.softmax(d).sum(d, false);
            for (float v : s.toFloatArray()) {
                assertEquals(1f, v, 1e-5f);
            }
        }
    }

    @Test
    void cumsumAlongDims() {
        NdArray x = NdArray.arange(DType.I32, 6).reshape(2, 3);
        assertArrayEquals(new int[] {0, 1, 3, 3, 7, 12}, x.cumsum(1).toIntArray());
        assertArrayEquals(new int[] {0, 1, 2, 3, 5, 7}, x.cumsum(0).toIntArray());
    }

    @Test
    void geluAndErfMatchKnownValues() {
        NdArray x = NdArray.of(new double[] {-3, -1, 0, 0.5, 2}, 5);
        // x * Phi(x) with Phi from standard normal tables: Phi(-3) = 0.0013498980316301,
        // Phi(-1) = 0.15865525393145707, Phi(0.5) = 0.6914624612740131, Phi(2) = 0.9772498680518208
        double[] want = {-3 * 0.0013498980316301, -0.15865525393145707, 0, 0.5 * 0.6914624612740131,
            2 * 0.9772498680518208};
        assertArrayEquals(want, x.gelu().toDoubleArray(), 1e-9);
        assertArrayEquals(want, x.to(DType.F32).gelu().toDoubleArray(), 1e-6);
        assertEquals(0.8427007929497149, NdArray.scalar(DType.F64, 1).erf().item(), 1e-15);
        assertEquals(-0.9953222650189527, NdArray.scalar(DType.F32, -2).erf().item(), 1e-6);
    }
}
