package dev.jgrad.bench;

import dev.jgrad.tensor.cpu.FmaPeak;
import dev.jgrad.tensor.cpu.Parallel;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The machine's measured ceiling: {@link FmaPeak}'s register-only FMA loop on one thread and on
 * every thread at once. bench/run-all.sh runs it first ({@code -p when=start}) and last ({@code
 * -p when=end}), so the report states how fast the machine was while the other rows ran.
 * GFLOP/s = {@link #FLOPS} x threads / time.
 */
@State(Scope.Benchmark)
public class PeakBench extends JmhDefaults {
    /** Floating-point operations each thread runs per call: 384 x 2^20, about 4 ms at 100 GFLOP/s. */
    public static final long FLOPS = 384L << 20;

    @Param({"1", "2"})
    int threads;

    /** Which end of the report's run this measurement comes from (a label only). */
    @Param({"start"})
    String when;

    private final float[] sink = new float[64];

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
    }

    @Benchmark
    public float fmaLoop() {
        // One chunk per thread; values 16 floats apart, so the threads write separate cache lines.
        Parallel.forRange(threads, 1, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                sink[16 * t] = FmaPeak.run(FLOPS);
            }
        });
        return sink[0] + sink[16];
    }
}
