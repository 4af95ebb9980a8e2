package dev.jgrad.bench;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.nn.LayerNorm;
import dev.jgrad.nn.Losses;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.cpu.CpuBackend;
import dev.jgrad.tensor.cpu.Parallel;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The fused kernels at LM shapes (rows x columns): softmax, cross-entropy forward + backward,
 * LayerNorm forward + backward ({@link AttentionBench} has attention). bench/pytorch_bench.py
 * times the same workloads. {@code -p simd=false} runs the scalar twins on the same data.
 */
@State(Scope.Benchmark)
public class KernelBench extends JmhDefaults {
    @Param({"3072x64", "768x65", "768x128", "64x50257", "4096x4096"})
    String shape;

    @Param({"1", "2"})
    int threads;

    @Param({"true"})
    boolean simd;

    NdArray x;
    Tensor targets;
    LayerNorm ln;
    Tensor up;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        CpuBackend.useSimd(simd);
        String[] p = shape.split("x");
        int rows = Integer.parseInt(p[0]);
        int cols = Integer.parseInt(p[1]);
        Generator g = new Generator(2);
        x = NdArray.randn(g, DType.F32, rows, cols);
        targets = Tensor.of(NdArray.randint(g, 0, cols, rows));
        ln = new LayerNorm(cols);
        up = Tensor.of(NdArray.randn(g, DType.F32, rows, cols));
    }

    @TearDown
    public void restore() {
        CpuBackend.useSimd(true);
    }

    @Benchmark
    public NdArray softmax() {
        return x.softmax(1);
    }

    @Benchmark
    public Tensor crossEntropyForwardBackward() {
        Tensor logits = Tensor.param(x);
        Losses.crossEntropy(logits, targets).backward();
        return logits.grad();
    }

    @Benchmark
    public Tensor layerNormForwardBackward() {
        Tensor in = Tensor.param(x);
        ln.zeroGrad();
        ln.forward(in).backward(up);
        return in.grad();
    }
}
