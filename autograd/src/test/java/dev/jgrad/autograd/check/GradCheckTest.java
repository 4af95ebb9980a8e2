package dev.jgrad.autograd.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import org.junit.jupiter.api.Test;

class GradCheckTest {
    /** A user-defined op: x^3 with a correct backward. */
    static final class Cube extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().pow(3);
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            return new Tensor[] {g.mul(x.mul(x)).mul(3)};
        }
    }

    /** The same op with a deliberately wrong backward (2x^2 instead of 3x^2). */
    static final class BrokenCube extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().pow(3);
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            return new Tensor[] {g.mul(x.mul(x)).mul(2)};
        }
    }

    private static Tensor input(int... shape) {
        return Tensor.param(NdArray.randn(new Generator(3), DType.F64, shape));
    }

    @Test
    void correctUserFunctionPasses() {
        GradCheck.Report r = GradCheck.assertGradients(in -> new Cube().apply(in[0]), input(2, 3));
        assertTrue(r.passed());
        assertEquals("full Jacobian", r.mode());
        assertEquals(36, r.comparisons());
    }

    @Test
    void wrongBackwardIsRejectedAndTheReportNamesTheWorstElement() {
        Tensor x = input(2, 3);
        GradCheck.Report r = GradCheck.check(in -> new BrokenCube().apply(in[0]), x);
        assertFalse(r.passed());
        assertEquals(0, r.worstInput());
        // The worst element is the one with the largest |x|: there 3x^2 and 2x^2 differ most.
        double[] v = x.data().toDoubleArray();
        int worst = 0;
        for (int i = 1; i < v.length; i++) {
            worst = Math.abs(v[i]) > Math.abs(v[worst]) ? i : worst;
        }
        String expected = "[" + worst / 3 + ", " + worst % 3 + "]";
        assertTrue(r.worstWhere().startsWith(expected), r + " expected " + expected);
        assertEquals(3 * v[worst] * v[worst], r.numeric(), 1e-4);
        assertEquals(2 * v[worst] * v[worst], r.analytic(), 1e-12);
        AssertionError e = assertThrows(AssertionError.class,
                () -> GradCheck.assertGradients(in -> new BrokenCube().apply(in[0]), x));
        assertTrue(e.getMessage().contains("FAILED"), e.getMessage());
    }

    @Test
    void fastModeAlsoRejectsAWrongBackward() {
        Tensor big = input(40, 30); // 1200 elements: past the full-Jacobian limit
        GradCheck.Report good = GradCheck.check(in -> new Cube().apply(in[0]).sum(), big);
        assertTrue(good.passed(), good.toString());
        assertTrue(good.mode().contains("projections"));
        GradCheck.Report bad = GradCheck.check(in -> new BrokenCube().apply(in[0]).sum(), big);
        assertFalse(bad.passed(), bad.toString());
    }

    @Test
    void float32InputsAreRefused() {
        Tensor x = Tensor.param(NdArray.ones(DType.F32, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> GradCheck.check(in -> in[0].mul(2), x));
        assertTrue(e.getMessage().contains("F64"), e.getMessage());
    }

    @Test
    void float32GradientsAgreeWithFloat64() {
        Tensor x = input(5, 4);
        Tensor w = input(4, 3);
        GradCheck.Report r = GradCheck.compareF32(in -> in[0].matmul(in[1]).tanh().sum(), 1e-4, 1e-3, x, w);
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void missingBackwardThrowsInsteadOfDetaching() {
        Function noBackward = new Function() {
            @Override protected NdArray forward(Tensor... in) {
                return in[0].data().mul(2);
            }

            @Override protected Tensor[] backward(Tensor g) {
                throw new UnsupportedOperationException("double: no backward defined");
            }
        };
        Tensor y = noBackward.apply(input(2));
        assertThrows(UnsupportedOperationException.class, () -> y.sum().backward());
    }
}
