package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jgrad.nn.optim.AdamW;
import dev.jgrad.nn.optim.GradClip;
import dev.jgrad.nn.optim.LrSchedule;
import dev.jgrad.nn.optim.SGD;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptimTest {
    static final class Quad extends Module {
        final Parameter w = parameter("w", NdArray.fromArray(new double[][] {{1, -2}}));
        final Parameter b = parameter("b", NdArray.fromArray(new double[] {3}));

        /** loss = sum(w^2) / 2 + b^2 / 2, so grad w = w and grad b = b. */
        void backward() {
            w.tensor().pow(2).sum().add(b.tensor().pow(2).sum()).mul(0.5).backward();
        }
    }

    @Test
    void sgdWithMomentumFollowsPyTorchsRule() {
        Quad q = new Quad();
        SGD opt = new SGD(q.parameters(), 0.1, 0.9, 0);
        q.backward();
        opt.step();                   // v = g = 1 -> w = 1 - 0.1 = 0.9
        opt.zeroGrad();
        q.backward();
        opt.step();                   // v = 0.9 * 1 + 0.9 = 1.8 -> w = 0.9 - 0.18 = 0.72
        assertEquals(0.72, q.w.data().getDouble(0, 0), 1e-12);
        assertEquals(-2 * 0.72, q.w.data().getDouble(0, 1), 1e-12);
    }

    @Test
    void adamWFirstStepMovesEachWeightByLrAndDecaysOnlyMatrices() {
        Quad q = new Quad();
        AdamW opt = new AdamW(q.parameters(), 0.01, 0.9, 0.999, 1e-8, 0.5);
        q.backward();
        opt.step();
        // First Adam step: m/sqrt(v) = sign(g). Decay multiplies the matrix by (1 - lr * wd) first.
        double decayed = 1 * (1 - 0.01 * 0.5);
        assertEquals(decayed - 0.01, q.w.data().getDouble(0, 0), 1e-9);
        assertEquals(3 - 0.01, q.b.data().getDouble(0), 1e-9);
    }

    /** A matrix and a bias in one dtype; loss = sum(w^2)/2 + sum(w * c) so the gradient is w + c. */
    static final class Pair extends Module {
        final Parameter w;
        final Parameter b;

        Pair(DType dt) {
            dev.jgrad.tensor.Generator g = new dev.jgrad.tensor.Generator(3);
            w = parameter("w", NdArray.randn(g, DType.F64, 5, 37).to(dt));
            b = parameter("b", NdArray.randn(g, DType.F64, 37).to(dt));
        }

        void backward(int step) {
            NdArray c = NdArray.randn(new dev.jgrad.tensor.Generator(100 + step), DType.F64, 5, 37).to(w.data().dtype());
            w.tensor().pow(2).sum().mul(0.5).add(w.tensor().mul(dev.jgrad.autograd.Tensor.of(c)).sum())
                    .add(b.tensor().pow(2).sum()).backward();
        }
    }

    /** Final (w, b) after a few steps of the optimizer on {@link Pair}, on the SIMD or the scalar kernels. */
    private static float[][] run(DType dt, boolean simd, int steps,
                                 java.util.function.Function<List<Parameter>, dev.jgrad.nn.optim.Optimizer> make) {
        dev.jgrad.tensor.cpu.CpuBackend.useSimd(simd);
        try {
            Pair p = new Pair(dt);
            dev.jgrad.nn.optim.Optimizer opt = make.apply(p.parameters());
            for (int s = 0; s < steps; s++) {
                opt.zeroGrad();
                p.backward(s);
                opt.step();
            }
            return new float[][] {p.w.data().to(DType.F32).toFloatArray(), p.b.data().to(DType.F32).toFloatArray()};
        } finally {
            dev.jgrad.tensor.cpu.CpuBackend.useSimd(true);
        }
    }

    private static float[][] adamRun(DType dt, boolean simd) {
        return run(dt, simd, 6, ps -> new AdamW(ps, 0.05, 0.9, 0.99, 1e-8, 0.1));
    }

    @Test
    void fusedAdamWMatchesTheCompositeUpdateAndItsScalarTwin() {
        float[][] fused = adamRun(DType.F32, true);         // fused kernel, Vector API
        float[][] twin = adamRun(DType.F32, false);         // fused kernel, scalar twin
        float[][] composite = adamRun(DType.F64, true);     // F64 parameters take the composite path
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(twin[i], fused[i], "SIMD and scalar AdamW kernels are bit-identical");
            assertArrayEquals(composite[i], fused[i], 2e-5f);
        }
    }

    private static float[][] sgdRun(DType dt, boolean simd, double momentum, double weightDecay) {
        return run(dt, simd, 4, ps -> new SGD(ps, 0.05, momentum, weightDecay));
    }

    @Test
    void fusedSgdMatchesTheCompositeUpdateAndItsScalarTwin() {
        double[][] settings = {{0, 0}, {0.9, 0}, {0, 0.01}, {0.9, 0.01}};
        for (double[] st : settings) {
            float[][] fused = sgdRun(DType.F32, true, st[0], st[1]);
            float[][] twin = sgdRun(DType.F32, false, st[0], st[1]);
            float[][] composite = sgdRun(DType.F64, true, st[0], st[1]);
            float[][] start = {new Pair(DType.F32).w.data().toFloatArray(), new Pair(DType.F32).b.data().toFloatArray()};
            for (int i = 0; i < 2; i++) {
                String at = "momentum " + st[0] + ", weight decay " + st[1] + ", parameter " + i;
                assertArrayEquals(twin[i], fused[i], "SIMD and scalar SGD kernels are bit-identical: " + at);
                assertArrayEquals(composite[i], fused[i], 2e-5f, at);
                assertFalse(java.util.Arrays.equals(start[i], fused[i]), "the update moved the weights: " + at);
            }
        }
    }

    @Test
    void clipGradNormScalesToTheLimit() {
        Quad q = new Quad();
        q.backward(); // grads (1, -2) and (3): norm sqrt(14)
        double norm = GradClip.clipGradNorm(q.parameters(), 1.0);
        assertEquals(Math.sqrt(14), norm, 1e-12);
        double after = Math.sqrt(q.w.grad().mul(q.w.grad()).sum().item() + Math.pow(q.b.grad().item(), 2));
        assertEquals(1.0, after, 1e-5);
        assertArrayEquals(new double[] {1 / Math.sqrt(14), -2 / Math.sqrt(14)}, q.w.grad().toDoubleArray(), 1e-6);
    }

    @Test
    void gradientsOfSeveralLeavesDoNotAlias() {
        Quad q = new Quad();
        q.w.tensor().sum().add(q.b.tensor().sum()).backward(); // one upstream gradient reaches both
        GradClip.clipGradNorm(List.of(q.w), 0.5);
        assertEquals(1.0, q.b.grad().item(), 0);
    }

    @Test
    void schedules() {
        LrSchedule cos = LrSchedule.warmupCosine(1e-3, 1e-4, 10, 110);
        assertEquals(1e-4, cos.lr(0), 1e-12);
        assertEquals(1e-3, cos.lr(9), 1e-12);
        assertEquals(1e-3, cos.lr(10), 1e-12);
        assertEquals(5.5e-4, cos.lr(60), 1e-12);
        assertEquals(1e-4, cos.lr(110), 1e-12);
        assertEquals(1e-4, cos.lr(500), 0);
        LrSchedule st = LrSchedule.step(0.1, 100_000, 0.1);
        assertEquals(0.1, st.lr(99_999), 0);
        assertEquals(0.01, st.lr(100_000), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.warmupCosine(1, 0, 10, 5));
    }
}
