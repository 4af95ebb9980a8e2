package dev.jgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import org.junit.jupiter.api.Test;

/**
 * A recorded F32 GELU of a contiguous input makes GELU'(x) in its forward pass for the backward
 * to take. Whichever way the backward runs (first, through a retained graph a second time, under create_graph), the
 * input's gradient must be the bits of g * GELU'(x) from the separate kernel.
 */
class GeluSlopeTest {
    private final Generator gen = new Generator(5);
    private final NdArray wide = NdArray.randn(gen, DType.F32, 64, 48).mul(3.0);
    private final Tensor up = Tensor.of(NdArray.randn(gen, DType.F32, 64, 48));

    /** Contiguous input (the fused pass) and a transposed view of the same shape (the scalar kernel). */
    private NdArray[] inputs() {
        return new NdArray[] {wide, wide.reshape(48, 64).transpose(0, 1)};
    }

    @Test
    void firstAndSecondBackwardGiveTheSeparateKernelsBits() {
        for (NdArray xData : inputs()) {
            float[] want = up.data().mul(xData.geluGrad()).toFloatArray();
            Tensor x = Tensor.of(xData).requiresGrad(true);
            Tensor y = x.gelu();
            assertArrayEquals(xData.gelu().toFloatArray(), y.data().toFloatArray(), "forward");
            y.backward(up, true, false);
            assertArrayEquals(want, x.grad().data().toFloatArray(), "first backward");
            x.zeroGrad();
            y.backward(up);   // the slope was handed over by the first; this one recomputes it
            assertArrayEquals(want, x.grad().data().toFloatArray(), "second backward through the retained graph");
        }
    }

    @Test
    void createGraphGivesTheSameGradient() {
        for (NdArray xData : inputs()) {
            Tensor x = Tensor.of(xData).requiresGrad(true);
            Tensor[] g = Tensor.grad(x.gelu(), new Tensor[] {x}, up, false, true);
            assertArrayEquals(up.data().mul(xData.geluGrad()).toFloatArray(), g[0].data().toFloatArray());
        }
    }
}
