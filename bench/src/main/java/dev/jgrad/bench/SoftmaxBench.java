package dev.jgrad.bench;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.cpu.CpuBackend;
import dev.jgrad.tensor.cpu.Parallel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Row softmax at LM shapes: the SIMD kernel against its scalar twin, same data, same run. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class SoftmaxBench {
    @Param({"768x65", "64x50257"})
    String shape;

    @Param({"true", "false"})
    boolean simd;

    NdArray x;

    @Setup
    public void setup() {
        Parallel.setThreads(1);
        CpuBackend.useSimd(simd);
        String[] p = shape.split("x");
        x = NdArray.randn(new Generator(2), DType.F32, Integer.parseInt(p[0]), Integer.parseInt(p[1]));
    }

    @TearDown
    public void restore() {
        CpuBackend.useSimd(true);
    }

    @Benchmark
    public NdArray softmax() {
        return x.softmax(1);
    }
}
