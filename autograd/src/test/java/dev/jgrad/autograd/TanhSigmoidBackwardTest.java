package dev.jgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Outside createGraph, tanh's and sigmoid's backward run in place on one or two arrays instead of
 * the composite of four ops the graph needs for second derivatives. Both ways must give the same
 * bits, saturated outputs (y = +-1, y = 0 or 1, where the factor is a signed zero) and a
 * transposed gradient included.
 */
class TanhSigmoidBackwardTest {
    private final Generator gen = new Generator(9);

    private void sameBitsBothWays(String name, UnaryOperator<Tensor> op, NdArray xData, NdArray up) {
        Tensor x = Tensor.of(xData).requiresGrad(true);
        Tensor[] fast = Tensor.grad(op.apply(x), new Tensor[] {x}, Tensor.of(up), false, false);
        Tensor[] graph = Tensor.grad(op.apply(x), new Tensor[] {x}, Tensor.of(up), false, true);
        assertArrayEquals(graph[0].data().toFloatArray(), fast[0].data().toFloatArray(), name);
    }

    private NdArray inputs(int rows, int cols) {
        NdArray x = NdArray.randn(gen, DType.F32, rows, cols).mul(4.0);
        float[] v = x.toFloatArray();
        float[] edge = {0f, -0f, 30f, -30f, 100f, -100f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        System.arraycopy(edge, 0, v, 0, edge.length);
        return NdArray.of(v, rows, cols);
    }

    @Test
    void fastBackwardHasTheCompositesBits() {
        NdArray x = inputs(16, 24);
        List<UnaryOperator<Tensor>> ops = List.of(Tensor::tanh, Tensor::sigmoid);
        for (int o = 0; o < ops.size(); o++) {
            String name = o == 0 ? "tanh" : "sigmoid";
            UnaryOperator<Tensor> op = ops.get(o);
            sameBitsBothWays(name, op, x, NdArray.randn(gen, DType.F32, 16, 24));
            sameBitsBothWays(name, op, x, NdArray.randn(gen, DType.F32, 24, 16).transpose(0, 1));
            sameBitsBothWays(name, op, x.transpose(0, 1), NdArray.randn(gen, DType.F32, 24, 16).mul(-1.0));
        }
    }
}
