package dev.jgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import org.junit.jupiter.api.Test;

/** grad_fn names show in toString and in error messages, so they must say which op made a tensor. */
class GradFnNamesTest {
    private static Tensor x() {
        return Tensor.param(NdArray.arange(DType.F64, 6).reshape(2, 3));
    }

    @Test
    void namesFollowTheOpVariant() {
        assertEquals("Maximum", x().maximum(1.0).gradFn().name());
        assertEquals("Minimum", x().minimum(1.0).gradFn().name());
        assertEquals("Max", x().max().gradFn().name());
        assertEquals("Min", x().min().gradFn().name());
        assertEquals("View", x().view(6).gradFn().name());
        assertEquals("Reshape", x().reshape(6).gradFn().name());
        assertEquals("Tanh", x().tanh().gradFn().name());
        assertTrue(x().exp().toString().endsWith("grad_fn=<Exp>)"), x().exp().toString());
        assertTrue(x().toString().endsWith("requires_grad=True)"));
    }

    @Test
    void viewRefusesLayoutsThatNeedACopy() {
        Tensor t = x().t();
        var e = assertThrows(IllegalArgumentException.class, () -> t.view(6));
        assertTrue(e.getMessage().startsWith("view:"), e.getMessage());
        assertEquals(6, t.reshape(6).numel());
    }
}
