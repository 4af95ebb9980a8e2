package dev.jgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import org.junit.jupiter.api.Test;

class EngineTest {
    private static Tensor param(double... v) {
        return Tensor.param(NdArray.of(v.clone(), v.length));
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        Tensor x = param(1, 2, 3);
        x.mul(x).sum().backward();
        x.mul(x).sum().backward();
        assertArrayEquals(new double[] {4, 8, 12}, x.grad().data().toDoubleArray(), 0);
        x.zeroGrad();
        assertNull(x.grad());
        x.mul(3).sum().backward();
        assertArrayEquals(new double[] {3, 3, 3}, x.grad().data().toDoubleArray(), 0);
    }

    @Test
    void sharedSubexpressionSumsBothPaths() {
        Tensor x = param(2);
        Tensor y = x.mul(x);           // y = x^2
        y.add(y.mul(y)).sum().backward(); // d/dx (x^2 + x^4) = 2x + 4x^3
        assertEquals(2 * 2 + 4 * 8, x.grad().item(), 1e-12);
    }

    @Test
    void explicitOutputGradientForNonScalar() {
        Tensor x = param(1, 2, 3);
        Tensor y = x.mul(2);
        y.backward(Tensor.of(NdArray.of(new double[] {1, 10, 100}, 3)));
        assertArrayEquals(new double[] {2, 20, 200}, x.grad().data().toDoubleArray(), 0);
    }

    @Test
    void nonScalarBackwardWithoutGradientIsAClearError() {
        Tensor x = param(1, 2);
        var e = assertThrows(IllegalStateException.class, () -> x.mul(2).backward());
        assertTrue(e.getMessage().contains("(2,)"), e.getMessage());
    }

    @Test
    void mismatchedOutputGradientIsRejected() {
        Tensor x = param(1, 2);
        var e = assertThrows(IllegalArgumentException.class,
                () -> x.mul(2).backward(Tensor.of(NdArray.zeros(DType.F64, 3))));
        assertTrue(e.getMessage().contains("(3,)") && e.getMessage().contains("(2,)"), e.getMessage());
    }

    @Test
    void secondBackwardThroughFreedGraphFailsClearly() {
        Tensor x = param(1, 2);
        Tensor y = x.exp().sum();
        y.backward();
        var e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
    }

    @Test
    void retainGraphAllowsASecondBackward() {
        Tensor x = param(1, 2);
        Tensor y = x.exp().sum();
        Tensor seed = Tensor.scalar(DType.F64, 1);
        y.backward(seed, true, false);
        y.backward(seed, false, false);
        assertArrayEquals(new double[] {2 * Math.exp(1), 2 * Math.exp(2)}, x.grad().data().toDoubleArray(), 1e-12);
    }

    @Test
    void noGradScopeRecordsNothingAndRestores() {
        Tensor x = param(1, 2);
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor y = x.mul(2);
            assertFalse(y.requiresGrad());
            assertNull(y.gradFn());
            try (NoGrad inner = NoGrad.enter()) {
                assertFalse(GradMode.isEnabled());
            }
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(GradMode.isEnabled());
        assertTrue(x.mul(2).requiresGrad());
    }

    @Test
    void detachCutsTheTape() {
        Tensor x = param(3);
        Tensor y = x.mul(x).detach().mul(x); // only the last factor is on the tape
        y.sum().backward();
        assertEquals(9, x.grad().item(), 0);
        assertSame(x.data(), x.detach().data());
    }

    @Test
    void retainGradKeepsNonLeafGradient() {
        Tensor x = param(1, 2);
        Tensor h = x.mul(3).retainGrad();
        h.mul(h).sum().backward();
        assertArrayEquals(new double[] {6, 12}, h.grad().data().toDoubleArray(), 0);
        assertArrayEquals(new double[] {18, 36}, x.grad().data().toDoubleArray(), 0);
    }

    @Test
    void longChainDoesNotOverflowTheStack() {
        Tensor x = param(1);
        Tensor y = x;
        for (int i = 0; i < 200_000; i++) {
            y = y.add(1e-6);
        }
        y.sum().backward();
        assertEquals(1.0, x.grad().item(), 0);
    }

    @Test
    void broadcastGradientsAreSummedToInputShape() {
        Tensor a = Tensor.param(NdArray.ones(DType.F64, 3, 1));
        Tensor b = Tensor.param(NdArray.ones(DType.F64, 4));
        a.mul(b).sum().backward();
        assertEquals(a.shape(), a.grad().shape());
        assertEquals(b.shape(), b.grad().shape());
        assertArrayEquals(new double[] {4, 4, 4}, a.grad().data().toDoubleArray(), 0);
        assertArrayEquals(new double[] {3, 3, 3, 3}, b.grad().data().toDoubleArray(), 0);
    }

    @Test
    void gradApiReturnsWithoutTouchingDotGrad() {
        Tensor x = param(1, 2);
        Tensor w = param(5);
        Tensor y = x.mul(w).sum();
        Tensor[] g = Tensor.grad(y, x);
        assertArrayEquals(new double[] {5, 5}, g[0].data().toDoubleArray(), 0);
        assertNull(x.grad());
        assertNull(w.grad());
    }

    @Test
    void secondDerivativeOfTanh() {
        double[] xs = {-1.5, -0.3, 0.0, 0.7, 2.0};
        Tensor x = Tensor.param(NdArray.of(xs.clone(), xs.length));
        Tensor y = x.tanh().sum();
        Tensor dy = Tensor.grad(y, new Tensor[] {x}, null, true, true)[0];
        Tensor d2 = Tensor.grad(dy.sum(), x)[0];
        for (int i = 0; i < xs.length; i++) {
            double t = Math.tanh(xs[i]);
            assertEquals(1 - t * t, dy.data().getDouble(i), 1e-12);
            assertEquals(-2 * t * (1 - t * t), d2.data().getDouble(i), 1e-12);
        }
    }

    @Test
    void secondDerivativeOfSmallMlpLossMatchesFiniteDifferencesOfTheGradient() {
        Generator gen = new Generator(7);
        NdArray x = NdArray.randn(gen, DType.F64, 4, 3);
        NdArray w1 = NdArray.randn(gen, DType.F64, 3, 5);
        NdArray w2 = NdArray.randn(gen, DType.F64, 5, 1);
        // Hessian-vector product of the loss in w1 along v, against central differences of the gradient.
        NdArray v = NdArray.randn(gen, DType.F64, 3, 5);
        Tensor p = Tensor.param(w1);
        Tensor g = Tensor.grad(mlpLoss(x, p, w2), new Tensor[] {p}, null, true, true)[0];
        Tensor hv = Tensor.grad(g.mul(Tensor.of(v)).sum(), p)[0];
        double eps = 1e-5;
        NdArray gp = gradAt(x, w1.add(v.mul(eps)), w2);
        NdArray gm = gradAt(x, w1.sub(v.mul(eps)), w2);
        double[] fd = gp.sub(gm).div(2 * eps).toDoubleArray();
        assertArrayEquals(fd, hv.data().toDoubleArray(), 1e-6);
    }

    private static Tensor mlpLoss(NdArray x, Tensor w1, NdArray w2) {
        Tensor h = Tensor.of(x).matmul(w1).tanh();
        return h.matmul(Tensor.of(w2)).pow(2).mean();
    }

    private static NdArray gradAt(NdArray x, NdArray w1, NdArray w2) {
        Tensor p = Tensor.param(w1);
        mlpLoss(x, p, w2).backward();
        return p.grad().data();
    }

    @Test
    void createGraphBackwardLeavesDifferentiableGrad() {
        Tensor x = param(3);
        x.pow(3).sum().backward(Tensor.scalar(DType.F64, 1), false, true);
        Tensor first = x.grad();              // 3x^2 = 27, still on the tape
        assertTrue(first.requiresGrad());
        Tensor second = Tensor.grad(first.sum(), x)[0];
        assertEquals(18, second.item(), 1e-12); // 6x
    }

    @Test
    void requiresGradOnlyOnFloatingLeaves() {
        Tensor ids = Tensor.of(NdArray.of(new int[] {1, 2}, 2));
        assertThrows(IllegalArgumentException.class, () -> ids.requiresGrad(true));
        Tensor y = param(1).mul(2);
        assertThrows(IllegalStateException.class, () -> y.requiresGrad(false));
    }
}
