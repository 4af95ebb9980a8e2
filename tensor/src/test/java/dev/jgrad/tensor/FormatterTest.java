package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FormatterTest {
    @Test
    void printsLikePyTorch() {
        assertEquals("tensor([[0., 1., 2.],\n        [3., 4., 5.]])", NdArray.arange(DType.F32, 6).reshape(2, 3).toString());
        assertEquals("tensor([ 0.5000, -1.2500])", NdArray.of(new float[] {0.5f, -1.25f}, 2).toString());
        assertEquals("tensor([1, 2], dtype=int32)", NdArray.of(new int[] {1, 2}, 2).toString());
        assertEquals("tensor(3.5000, dtype=float64)", NdArray.scalar(DType.F64, 3.5).toString());
        assertEquals("tensor([], size=(0, 3))", NdArray.zeros(DType.F32, 0, 3).toString());
        assertEquals("tensor([1.0000e-05, 1.0000e+00])", NdArray.of(new float[] {1e-5f, 1}, 2).toString());
        assertEquals("tensor([nan, inf])", NdArray.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY}, 2).toString());
    }

    @Test
    void elidesLargeTensors() {
        String s = NdArray.arange(DType.I32, 5000).reshape(50, 100).toString();
        assertTrue(s.contains("..."), s);
        assertTrue(s.endsWith("size=(50, 100), dtype=int32)"), s);
        assertTrue(s.length() < 400, s);
    }
}
