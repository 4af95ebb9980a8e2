package dev.jgrad.bench;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.nn.Attention;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.cpu.Parallel;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Causal attention forward + backward at the GPT shape: q, k, v of (B 12, nh 4, T 64, hs 32). */
@State(Scope.Benchmark)
public class AttentionBench extends JmhDefaults {
    @Param({"1", "2"})
    int threads;

    Tensor q;
    Tensor k;
    Tensor v;
    Tensor up;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        Generator g = new Generator(3);
        q = Tensor.param(NdArray.randn(g, DType.F32, 12, 4, 64, 32));
        k = Tensor.param(NdArray.randn(g, DType.F32, 12, 4, 64, 32));
        v = Tensor.param(NdArray.randn(g, DType.F32, 12, 4, 64, 32));
        up = Tensor.of(NdArray.randn(g, DType.F32, 12, 4, 64, 32));
    }

    @Benchmark
    public Tensor forwardBackward() {
        q.zeroGrad();
        k.zeroGrad();
        v.zeroGrad();
        Attention.causal(q, k, v).backward(up);
        return q.grad();
    }
}
