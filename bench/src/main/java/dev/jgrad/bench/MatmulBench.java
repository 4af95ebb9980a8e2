package dev.jgrad.bench;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Square F32 matmul, n x n times n x n: the naive triple loop a Java programmer writes first,
 * against jgrad's matmul on the same data in the same run. GFLOP/s = 2 n^3 / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class MatmulBench {
    @Param({"128", "256", "512"})
    int n;

    @Param({"1", "2"})
    int threads;

    float[] a;
    float[] b;
    float[] c;
    NdArray x;
    NdArray y;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        Generator g = new Generator(1);
        x = NdArray.randn(g, DType.F32, n, n);
        y = NdArray.randn(g, DType.F32, n, n);
        a = x.toFloatArray();
        b = y.toFloatArray();
        c = new float[n * n];
    }

    /** The textbook i-j-k loop (single-threaded whatever the thread setting). */
    @Benchmark
    public float[] naiveTripleLoop() {
        int n = this.n;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int k = 0; k < n; k++) {
                    s += a[i * n + k] * b[k * n + j];
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    @Benchmark
    public NdArray jgrad() {
        return x.matmul(y);
    }
}
