package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.autograd.check.GradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import org.junit.jupiter.api.Test;

class LayersTest {
    @Test
    void linearIsXTimesWTransposedPlusB() {
        Linear lin = new Linear(3, 2, true, new Generator(1), DType.F64);
        lin.weight().assign(NdArray.fromArray(new double[][] {{1, 2, 3}, {4, 5, 6}}));
        lin.bias().assign(NdArray.fromArray(new double[] {0.5, -1}));
        Tensor y = lin.forward(Tensor.of(NdArray.fromArray(new double[][] {{1, 0, -1}})));
        assertArrayEquals(new double[] {1 - 3 + 0.5, 4 - 6 - 1}, y.data().toDoubleArray(), 0);
        var e = assertThrows(IllegalArgumentException.class, () -> lin.forward(Tensor.of(NdArray.ones(DType.F64, 2, 4))));
        assertTrue(e.getMessage().contains("(2, 4)"), e.getMessage());
    }

    @Test
    void defaultInitIsBoundedByOneOverSqrtFanIn() {
        Linear lin = new Linear(100, 50, new Generator(3));
        for (float w : lin.weight().data().toFloatArray()) {
            assertTrue(Math.abs(w) <= 0.1f);
        }
    }

    @Test
    void layerGradientsPassGradcheck() {
        Generator g = new Generator(5);
        Linear lin = new Linear(4, 3, true, g, DType.F64);
        LayerNorm ln = new LayerNorm(3, 1e-5, DType.F64);
        ln.parameters().get(0).assign(NdArray.randn(g, DType.F64, 3));
        ln.parameters().get(1).assign(NdArray.randn(g, DType.F64, 3));
        Tensor x = Tensor.param(NdArray.randn(g, DType.F64, 2, 5, 4));
        GradCheck.assertGradients(in -> ln.forward(lin.forward(in[0]).tanh()), x);
        GradCheck.assertGradients(in -> ln.forward(lin.forward(x)).mul(in[0]).sum(),
                Tensor.param(NdArray.randn(g, DType.F64, 3)));
        // Parameter gradients: d sum(x W^T + b) / dW = column sums of x broadcast over rows; / db = row count.
        lin.forward(x).sum().backward();
        NdArray colSums = x.data().reshape(10, 4).sum(0, false);
        for (int o = 0; o < 3; o++) {
            assertArrayEquals(colSums.toDoubleArray(), lin.weight().grad().select(0, o).toDoubleArray(), 1e-12);
        }
        assertArrayEquals(new double[] {10, 10, 10}, lin.bias().grad().toDoubleArray(), 1e-12);
    }

    @Test
    void layerNormNormalisesTheLastDim() {
        Tensor x = Tensor.of(NdArray.randn(new Generator(2), DType.F64, 3, 8).mul(5).add(2));
        NdArray y = new LayerNorm(8, 1e-5, DType.F64).forward(x).data();
        for (double m : y.mean(new int[] {-1}, false).toDoubleArray()) {
            assertEquals(0, m, 1e-12);
        }
        for (double v : y.var(new int[] {-1}, 0, false).toDoubleArray()) {
            assertEquals(1, v, 1e-4);
        }
    }

    @Test
    void dropoutScalesInTrainingAndIsIdentityInEval() {
        Dropout d = new Dropout(0.25, new Generator(9));
        Tensor x = Tensor.of(NdArray.ones(DType.F32, 10_000));
        float[] y = d.forward(x).data().toFloatArray();
        int zeros = 0;
        for (float v : y) {
            assertTrue(v == 0f || Math.abs(v - 1 / 0.75f) < 1e-6);
            zeros += v == 0f ? 1 : 0;
        }
        assertEquals(2500, zeros, 150);
        d.eval();
        assertSame(x, d.forward(x));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0, new Generator(1)));
        float[] again = new Dropout(0.25, new Generator(9)).forward(x).data().toFloatArray();
        assertArrayEquals(y, again);
    }

    @Test
    void embeddingAndSequential() {
        Embedding emb = new Embedding(5, 3, new Generator(4), DType.F32);
        Tensor ids = Tensor.of(NdArray.of(new int[] {4, 0, 4}, 3));
        Tensor e = emb.forward(ids);
        assertArrayEquals(emb.weight().data().select(0, 4).toFloatArray(), e.data().select(0, 2).toFloatArray());
        Sequential mlp = new Sequential(new Linear(3, 8, new Generator(1)), Activation.gelu(), new Linear(8, 2, new Generator(2)));
        assertEquals(java.util.List.of("0.weight", "0.bias", "2.weight", "2.bias"),
                java.util.List.copyOf(mlp.namedParameters().keySet()));
        assertEquals(dev.jgrad.tensor.Shape.of(3, 2), mlp.forward(e).shape());
    }

    /** The fused F32 LayerNorm against the F64 composite: forward, first order, and gradients of gradients. */
    @Test
    void fusedLayerNormMatchesTheCompositeToSecondOrder() {
        dev.jgrad.tensor.Generator g = new dev.jgrad.tensor.Generator(31);
        NdArray x = NdArray.randn(g, DType.F64, 3, 5, 37).mul(2).add(1);
        NdArray up = NdArray.randn(g, DType.F64, 3, 5, 37);
        for (boolean bias : new boolean[] {true, false}) {
            LayerNorm l64 = new LayerNorm(37, 1e-5, bias, DType.F64);
            LayerNorm l32 = new LayerNorm(37, 1e-5, bias, DType.F32);
            NdArray w = NdArray.randn(g, DType.F64, 37);
            l64.parameters().get(0).assign(w);
            l32.parameters().get(0).assign(w.to(DType.F32));
            float[][] grads = new float[2][];
            for (int simd = 0; simd < 2; simd++) {
                dev.jgrad.tensor.cpu.CpuBackend.useSimd(simd == 1);
                try {
                    Tensor x64 = Tensor.param(x);
                    Tensor x32 = Tensor.param(x.to(DType.F32));
                    Tensor y64 = l64.forward(x64);
                    Tensor y32 = l32.forward(x32);
                    assertArrayEquals(y64.data().to(DType.F32).toFloatArray(), y32.data().toFloatArray(), 2e-5f);
                    // Second order: d/dx of sum(dL/dx * up) through create_graph.
                    Tensor gx64 = Tensor.grad(y64, new Tensor[] {x64}, Tensor.of(up), true, true)[0];
                    Tensor gx32 = Tensor.grad(y32, new Tensor[] {x32}, Tensor.of(up.to(DType.F32)), true, true)[0];
                    assertArrayEquals(gx64.data().to(DType.F32).toFloatArray(), gx32.data().toFloatArray(), 5e-5f);
                    Tensor hv64 = Tensor.grad(gx64.mul(Tensor.of(up)).sum(), x64)[0];
                    Tensor hv32 = Tensor.grad(gx32.mul(Tensor.of(up.to(DType.F32))).sum(), x32)[0];
                    assertArrayEquals(hv64.data().to(DType.F32).toFloatArray(), hv32.data().toFloatArray(), 5e-4f);
                    // First order through the fused kernel (no create_graph), parameters included.
                    l32.zeroGrad();
                    l64.zeroGrad();
                    Tensor a32 = Tensor.param(x.to(DType.F32));
                    Tensor a64 = Tensor.param(x);
                    l32.forward(a32).backward(Tensor.of(up.to(DType.F32)));
                    l64.forward(a64).backward(Tensor.of(up));
                    assertArrayEquals(a64.grad().data().to(DType.F32).toFloatArray(), a32.grad().data().toFloatArray(), 5e-5f);
                    for (int p = 0; p < l32.parameters().size(); p++) {
                        assertArrayEquals(l64.parameters().get(p).grad().to(DType.F32).toFloatArray(),
                                l32.parameters().get(p).grad().toFloatArray(), 2e-4f, "parameter " + p);
                    }
                    grads[simd] = a32.grad().data().toFloatArray();
                } finally {
                    dev.jgrad.tensor.cpu.CpuBackend.useSimd(true);
                }
            }
            assertArrayEquals(grads[0], grads[1], 2e-6f, "SIMD and scalar-twin LayerNorm backward");
        }
    }

    /**
     * LayerNorm's dw and db are summed in blocks of rows fixed by the shape (250 rows: seven blocks
     * of 32 and one of 26) and added up by columns across threads (300 columns: a scalar tail of
     * 4): the same bits on one thread as on two, with and without the bias; the scalar twin,
     * which sums the rows in order, agrees to rounding.
     */
    @Test
    void layerNormParameterGradientsAreTheSameBitsOnAnyThreadCount() {
        Generator g = new Generator(41);
        NdArray x = NdArray.randn(g, DType.F32, 250, 300);
        NdArray up = NdArray.randn(g, DType.F32, 250, 300);
        NdArray w = NdArray.randn(g, DType.F32, 300);
        int previous = dev.jgrad.tensor.cpu.Parallel.threads();
        for (boolean bias : new boolean[] {true, false}) {
            int params = bias ? 2 : 1;
            float[][][] got = new float[3][params][];
            try {
                for (int run = 0; run < 3; run++) {
                    dev.jgrad.tensor.cpu.Parallel.setThreads(run == 1 ? 2 : 1);
                    dev.jgrad.tensor.cpu.CpuBackend.useSimd(run != 2);
                    LayerNorm ln = new LayerNorm(300, 1e-5, bias, DType.F32);
                    ln.parameters().get(0).assign(w);
                    ln.forward(Tensor.param(x)).backward(Tensor.of(up));
                    for (int p = 0; p < params; p++) {
                        got[run][p] = ln.parameters().get(p).grad().toFloatArray();
                    }
                }
            } finally {
                dev.jgrad.tensor.cpu.Parallel.setThreads(previous);
                dev.jgrad.tensor.cpu.CpuBackend.useSimd(true);
            }
            for (int p = 0; p < params; p++) {
                assertArrayEquals(got[0][p], got[1][p], 0f, "bias " + bias + ", parameter " + p + ": one thread against two");
                assertArrayEquals(got[2][p], got[0][p], 1e-4f, "bias " + bias + ", parameter " + p + ": scalar twin against SIMD");
            }
        }
    }
}
