package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autograd.NoGrad;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import org.junit.jupiter.api.Test;

/**
 * The layers' inference forms (forwardInto, Attention.causalInto), which write into buffers a
 * decoding loop owns: the same bits as the autograd forward they stand in for, and clear errors
 * for buffers of the wrong shape.
 */
class InferenceFormsTest {
    private static void randomize(Module m, Generator g) {
        for (Parameter p : m.parameters()) {
            p.assign(NdArray.randn(g, p.data().dtype(), p.data().shape().dims()));
        }
    }

    private static float[] forward(Layer layer, NdArray x) {
        try (NoGrad ignored = NoGrad.enter()) {
            return layer.forward(Tensor.of(x)).data().toFloatArray();
        }
    }

    @Test
    void linearIntoEqualsForwardForEveryRowCount() {
        Generator g = new Generator(51);
        for (boolean bias : new boolean[] {true, false}) {
            Linear lin = new Linear(37, 21, bias, g, DType.F32);
            randomize(lin, g);
            for (int rows : new int[] {1, 2, 3, 70}) {
                NdArray x = NdArray.randn(g, DType.F32, rows, 37);
                NdArray out = NdArray.zeros(DType.F32, rows, 21);
                assertSame(out, lin.forwardInto(x, out));
                assertArrayEquals(forward(lin, x), out.toFloatArray(), "bias " + bias + ", rows " + rows);
                // A strided out (a transposed buffer) gets the same values.
                NdArray strided = NdArray.zeros(DType.F32, 21, rows).t();
                lin.forwardInto(x, strided);
                assertArrayEquals(forward(lin, x), strided.toFloatArray(), "strided out, rows " + rows);
            }
        }
        Linear lin = new Linear(4, 3, true, g, DType.F32);
        assertThrows(IllegalArgumentException.class, () -> lin.forwardInto(NdArray.ones(DType.F32, 2, 5),
                NdArray.zeros(DType.F32, 2, 3)));
        var wrongOut = assertThrows(IllegalArgumentException.class, () -> lin.forwardInto(NdArray.ones(DType.F32, 2, 4),
                NdArray.zeros(DType.F32, 3, 3)));
        assertTrue(wrongOut.getMessage().contains("addmm"), wrongOut.getMessage());
    }

    @Test
    void layerNormIntoEqualsForward() {
        Generator g = new Generator(52);
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            for (boolean bias : new boolean[] {true, false}) {
                LayerNorm ln = new LayerNorm(45, 1e-5, bias, t);
                randomize(ln, g);
                NdArray x = NdArray.randn(g, DType.F32, 3, 45).to(t);
                NdArray out = NdArray.zeros(t, 3, 45);
                NdArray mean = NdArray.zeros(DType.F32, 3);
                NdArray rstd = NdArray.zeros(DType.F32, 3);
                assertSame(out, ln.forwardInto(x, out, mean, rstd));
                try (NoGrad ignored = NoGrad.enter()) {
                    assertArrayEquals(ln.forward(Tensor.of(x)).data().toDoubleArray(), out.toDoubleArray(),
                            t + ", bias " + bias);
                }
                if (t == DType.F32) {
                    float[] xs = x.toFloatArray();
                    double m = 0;
                    for (int j = 0; j < 45; j++) {
                        m += xs[45 + j];
                    }
                    assertTrue(Math.abs(m / 45 - mean.toFloatArray()[1]) < 1e-5, "row mean");
                    assertTrue(rstd.toFloatArray()[1] > 0, "row rstd");
                }
            }
        }
        LayerNorm ln = new LayerNorm(8);
        assertThrows(IllegalArgumentException.class, () -> ln.forwardInto(NdArray.ones(DType.F32, 2, 8),
                NdArray.zeros(DType.F32, 2, 8), NdArray.zeros(DType.F32, 1), NdArray.zeros(DType.F32, 2)));
        assertThrows(IllegalArgumentException.class, () -> ln.forwardInto(NdArray.ones(DType.F32, 2, 8),
                NdArray.zeros(DType.F32, 8, 2).t(), NdArray.zeros(DType.F32, 2), NdArray.zeros(DType.F32, 2)));
        assertThrows(IllegalArgumentException.class, () -> ln.forwardInto(NdArray.ones(DType.F32, 2, 7),
                NdArray.zeros(DType.F32, 2, 7), NdArray.zeros(DType.F32, 2), NdArray.zeros(DType.F32, 2)));
    }

    @Test
    void attentionIntoEqualsCausalForOneQueryAndForAll() {
        Generator g = new Generator(53);
        int b = 2;
        int nh = 3;
        int hs = 8;
        NdArray k = NdArray.randn(g, DType.F32, b, nh, 11, hs);
        NdArray v = NdArray.randn(g, DType.F32, b, nh, 11, hs);
        for (int tq : new int[] {1, 4, 11}) {
            NdArray q = NdArray.randn(g, DType.F32, b, nh, tq, hs);
            float[] expected;
            try (NoGrad ignored = NoGrad.enter()) {
                expected = Attention.causal(Tensor.of(q), Tensor.of(k), Tensor.of(v)).data().toFloatArray();
            }
            // The heads-merged layout a decoder uses: a (B, Tq, nh, hs) buffer seen as (B, nh, Tq, hs).
            NdArray out = NdArray.zeros(DType.F32, b, tq, nh, hs).transpose(1, 2);
            NdArray lse = NdArray.zeros(DType.F32, b, nh, tq);
            Attention.causalInto(q, k, v, out, lse);
            assertArrayEquals(expected, out.toFloatArray(), "Tq " + tq);
            NdArray dense = NdArray.zeros(DType.F32, b, nh, tq, hs);
            Attention.causalInto(q, k, v, dense, lse);
            assertArrayEquals(expected, dense.toFloatArray(), "dense out, Tq " + tq);
        }
        NdArray q = NdArray.randn(g, DType.F32, b, nh, 1, hs);
        NdArray lse = NdArray.zeros(DType.F32, b, nh, 1);
        assertThrows(IllegalArgumentException.class, () -> Attention.causalInto(q, k, v,
                NdArray.zeros(DType.F32, b, nh, 2, hs), lse));
        assertThrows(IllegalArgumentException.class, () -> Attention.causalInto(q, k, v,
                NdArray.zeros(DType.F32, b, nh, 1, hs), NdArray.zeros(DType.F32, b, nh)));
        assertThrows(IllegalArgumentException.class, () -> Attention.causalInto(q, k, v,
                NdArray.zeros(DType.F32, b, nh, 1, hs, 2).select(4, 0), lse));
        // out may not be one of the inputs.
        assertThrows(IllegalArgumentException.class, () -> Attention.causalInto(q, k, v, q, lse));
    }
}
