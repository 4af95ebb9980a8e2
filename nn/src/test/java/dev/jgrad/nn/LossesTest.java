package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.autograd.check.GradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import org.junit.jupiter.api.Test;

class LossesTest {
    private static final Generator G = new Generator(12);

    @Test
    void fusedCrossEntropyEqualsTheComposite() {
        NdArray logits = NdArray.randn(G, DType.F64, 6, 5);
        Tensor targets = Tensor.of(NdArray.of(new int[] {0, 4, 2, 2, 1, 3}, 6));
        Tensor a = Tensor.param(logits);
        Tensor b = Tensor.param(logits);
        Tensor fused = Losses.crossEntropy(a, targets);
        Tensor composite = Losses.nll(b.logSoftmax(1), targets);
        assertEquals(composite.item(), fused.item(), 1e-12);
        fused.backward();
        composite.backward();
        assertArrayEquals(b.grad().data().toDoubleArray(), a.grad().data().toDoubleArray(), 1e-12);
    }

    /** F32 takes the one-pass kernel; it must agree with the F64 composite, with its scalar twin, and across threads. */
    @Test
    void float32OnePassKernelMatchesTheFloat64CompositeAndItsTwin() {
        NdArray logits = NdArray.randn(G, DType.F64, 37, 70).mul(3);
        int[] t = new int[37];
        for (int i = 0; i < t.length; i++) {
            t[i] = i % 5 == 0 ? Losses.IGNORE_INDEX : (i * 7) % 70;
        }
        Tensor targets = Tensor.of(NdArray.of(t, 37));
        for (Losses.Reduction red : Losses.Reduction.values()) {
            Tensor x64 = Tensor.param(logits);
            Tensor l64 = Losses.crossEntropy(x64, targets, Losses.IGNORE_INDEX, red);
            l64.backward();
            float[][] runs = new float[2][];
            for (int simd = 0; simd < 2; simd++) {
                dev.jgrad.tensor.cpu.CpuBackend.useSimd(simd == 1);
                try {
                    Tensor x32 = Tensor.param(logits.to(DType.F32));
                    Tensor l32 = Losses.crossEntropy(x32, targets, Losses.IGNORE_INDEX, red);
                    l32.backward();
                    assertEquals(l64.item(), l32.item(), 1e-5 * Math.abs(l64.item()), red + " loss");
                    assertArrayEquals(x64.grad().data().to(DType.F32).toFloatArray(), x32.grad().data().toFloatArray(),
                            2e-6f, red + " gradient");
                    runs[simd] = x32.grad().data().toFloatArray();
                } finally {
                    dev.jgrad.tensor.cpu.CpuBackend.useSimd(true);
                }
            }
            assertArrayEquals(runs[0], runs[1], 2e-7f, red + ": SIMD kernel against its scalar twin");
        }
    }

    @Test
    void crossEntropyGradientsAndSecondDerivativesCheck() {
        Tensor targets = Tensor.of(NdArray.of(new int[] {1, Losses.IGNORE_INDEX, 0, 2}, 2, 2));
        Tensor logits = Tensor.param(NdArray.randn(G, DType.F64, 2, 2, 3));
        GradCheck.assertGradients(in -> Losses.crossEntropy(in[0], targets, Losses.IGNORE_INDEX, Losses.Reduction.MEAN),
                logits);
        GradCheck.assertGradients(in -> Losses.crossEntropy(in[0], targets, Losses.IGNORE_INDEX, Losses.Reduction.SUM),
                logits);
        GradCheck.assertGradients(in -> {
            Tensor loss = Losses.crossEntropy(in[0], targets, Losses.IGNORE_INDEX, Losses.Reduction.MEAN);
            return Tensor.grad(loss, new Tensor[] {in[0]}, null, true, true)[0].pow(2).sum();
        }, logits);
    }

    @Test
    void ignoredTargetsCountForNothing() {
        NdArray logits = NdArray.randn(G, DType.F64, 3, 4);
        Tensor all = Losses.crossEntropy(Tensor.of(logits.narrow(0, 0, 2)), Tensor.of(NdArray.of(new int[] {1, 3}, 2)));
        Tensor some = Losses.crossEntropy(Tensor.of(logits), Tensor.of(NdArray.of(new int[] {1, 3, -100}, 3)));
        assertEquals(all.item(), some.item(), 1e-12);
        Tensor none = Losses.crossEntropy(Tensor.of(logits), Tensor.of(NdArray.full(DType.I32, -100, 3)));
        assertTrue(Double.isNaN(none.item()));
    }

    @Test
    void uniformLogitsGiveLogV() {
        Tensor l = Losses.crossEntropy(Tensor.of(NdArray.zeros(DType.F32, 4, 27)), Tensor.of(NdArray.zeros(DType.I32, 4)));
        assertEquals(Math.log(27), l.item(), 1e-6);
    }

    @Test
    void badTargetsAreClearErrors() {
        Tensor logits = Tensor.of(NdArray.zeros(DType.F32, 2, 3));
        var e = assertThrows(IndexOutOfBoundsException.class,
                () -> Losses.crossEntropy(logits, Tensor.of(NdArray.of(new int[] {0, 3}, 2))));
        assertTrue(e.getMessage().contains("target 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(logits, Tensor.of(NdArray.of(new int[] {0, 1, 2}, 3))));
        assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(logits, Tensor.of(NdArray.zeros(DType.F32, 2))));
    }
}
