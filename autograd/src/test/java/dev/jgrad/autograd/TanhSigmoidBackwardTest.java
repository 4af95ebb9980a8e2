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
        assertArrayEquals(graph[0].data().toDoubleArray(), fast[0].data().toDoubleArray(), name);
    }

    private NdArray inputs(int rows, int cols) {
        NdArray x = NdArray.randn(gen, DType.F32, rows, cols).mul(4.0);
        float[] v = x.toFloatArray();
        float[] edge = {0f, -0f, 30f, -30f, 100f, -100f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        System.arraycopy(edge, 0, v, 0, Math.min(edge.length, v.length));
        return NdArray.of(v, rows, cols);
    }

    /**
     * The fused one-pass kernel and its scalar tail: sizes that leave a tail after the last
     * vector, one large enough to be split across threads, the scalar twins, and F64 (the
     * backend's default, the composite's ops in place).
     */
    @Test
    void fusedBackwardHasTheCompositesBitsAtEverySize() {
        List<UnaryOperator<Tensor>> ops = List.of(Tensor::tanh, Tensor::sigmoid);
        int previous = dev.jgrad.tensor.cpu.Parallel.threads();
        try {
            for (int threads : new int[] {1, 2, 0}) {
                // 0: one thread, the CPU backend's scalar twins instead of its vector kernels
                dev.jgrad.tensor.cpu.Parallel.setThreads(Math.max(1, threads));
                dev.jgrad.tensor.cpu.CpuBackend.useSimd(threads > 0);
                for (int[] s : new int[][] {{1, 1}, {1, 7}, {5, 13}, {3, 8}, {257, 300}}) {
                    NdArray x = inputs(s[0], s[1]);
                    for (int o = 0; o < ops.size(); o++) {
                        String name = (o == 0 ? "tanh " : "sigmoid ") + s[0] + "x" + s[1] + " threads " + threads;
                        sameBitsBothWays(name, ops.get(o), x, NdArray.randn(gen, DType.F32, s[0], s[1]));
                        sameBitsBothWays(name + " F64", ops.get(o), x.to(DType.F64), NdArray.randn(gen, DType.F64, s[0], s[1]));
                    }
                }
            }
        } finally {
            dev.jgrad.tensor.cpu.Parallel.setThreads(previous);
            dev.jgrad.tensor.cpu.CpuBackend.useSimd(true);
        }
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
