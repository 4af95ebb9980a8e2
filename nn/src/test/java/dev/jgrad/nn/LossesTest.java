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

    /** Every target ignored: the MEAN loss is 0/0 = NaN, its gradient zero (PyTorch's), not 0 * 1/0. */
    @Test
    void allIgnoredTargetsGiveANaNLossAndAZeroGradient() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor x = Tensor.param(NdArray.randn(G, DType.F64, 3, 5).to(dt));
            Tensor loss = Losses.crossEntropy(x, Tensor.of(NdArray.full(DType.I32, Losses.IGNORE_INDEX, 3)));
            assertTrue(Double.isNaN(loss.item()), dt + " loss");
            loss.backward();
            for (double v : x.grad().data().to(DType.F64).toDoubleArray()) {
                assertEquals(0.0, v, 0, dt + " gradient");
            }
        }
    }

    /**
     * The fused kernel folds MEAN's 1/N into its output; an upstream gradient other than 1
     * (a weighted loss) must still scale it, exactly as it scales the composite's.
     */
    @Test
    void fusedCrossEntropyGradientFollowsTheUpstreamGradient() {
        NdArray logits = NdArray.randn(G, DType.F64, 6, 11);
        Tensor y = Tensor.of(NdArray.of(new int[] {3, 0, 10, Losses.IGNORE_INDEX, 7, 7}, 6));
        for (Losses.Reduction red : Losses.Reduction.values()) {
            Tensor a = Tensor.param(logits.to(DType.F32));
            Losses.crossEntropy(a, y, Losses.IGNORE_INDEX, red).mul(-2.5).backward();
            Tensor c = Tensor.param(logits);
            Losses.crossEntropy(c, y, Losses.IGNORE_INDEX, red).mul(-2.5).backward();
            double[] got = a.grad().data().to(DType.F64).toDoubleArray();
            double[] want = c.grad().data().toDoubleArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-6, red + " at " + i);
            }
        }
    }

    /**
     * The F32 kernel takes each run of counted rows in one call: ignored rows between and at the
     * ends of runs must give zero gradient rows and no loss, and the counted rows the F64
     * composite's loss and gradient.
     */
    @Test
    void fusedF32CrossEntropySkipsIgnoredRowsBetweenRuns() {
        NdArray logits = NdArray.randn(G, DType.F64, 9, 37).mul(3);
        int[] t = {-100, 1, 36, -100, -100, 4, 0, 7, -100};
        int[] kept = {1, 2, 5, 6, 7};
        int[] keptTargets = {1, 36, 4, 0, 7};
        Tensor a = Tensor.param(logits.to(DType.F32));
        Tensor fused = Losses.crossEntropy(a, Tensor.of(NdArray.of(t, 9)));
        fused.backward();
        double[] g = a.grad().data().to(DType.F64).toDoubleArray();
        for (int i : new int[] {0, 3, 4, 8}) {
            for (int j = 0; j < 37; j++) {
                assertEquals(0.0, g[i * 37 + j], 0, "ignored row " + i);
            }
        }
        // The composite over the kept rows alone: same mean, same gradient rows.
        NdArray keptLogits = NdArray.zeros(DType.F64, 5, 37);
        for (int r = 0; r < 5; r++) {
            keptLogits.narrow(0, r, 1).copyFrom(logits.narrow(0, kept[r], 1));
        }
        Tensor c = Tensor.param(keptLogits);
        Tensor ref = Losses.nll(c.logSoftmax(1), Tensor.of(NdArray.of(keptTargets, 5)));
        assertEquals(ref.item(), fused.item(), 1e-5);
        ref.backward();
        double[] want = c.grad().data().toDoubleArray();
        for (int r = 0; r < 5; r++) {
            for (int j = 0; j < 37; j++) {
                assertEquals(want[r * 37 + j], g[kept[r] * 37 + j], 5e-7, "row " + kept[r] + " column " + j);
            }
        }
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
