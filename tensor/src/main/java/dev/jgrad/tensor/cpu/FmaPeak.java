package dev.jgrad.tensor.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * The floating-point ceiling of this core as the Vector API reaches it: twelve independent FMA
 * chains on registers, no memory traffic. Two FMA pipes with a 4-cycle latency need eight chains
 * in flight (AVX2 and AVX-512 alike); twelve leave slack and still fit AVX2's 16 registers. The
 * benchmark report runs it at its start and end: a kernel's GFLOP/s means little without the
 * ceiling the machine had that hour (the VMs these numbers come from run at 60-100% of their
 * nominal speed from one hour to the next).
 *
 * <p>Each chain carries its sum in the addend ({@code acc = x * y + acc}), as a GEMM micro-kernel
 * does. Until session 24 the chains carried it in a multiplicand ({@code acc = x * acc + y}), and
 * on the Zen 3 VM that form read 84 GFLOP/s a core in the same JVM where this one read 102 (11-14
 * chains alike; 8 chains 88, 10 chains 95): the report's "ceiling" sat below what the kernels
 * could reach, and OpenBLAS beat it.
 */
public final class FmaPeak {
    /** Floating-point operations of one loop iteration: 12 chains x 2 (multiply and add) x lanes. */
    public static final int FLOPS_PER_ITERATION = 12 * 2 * SimdKernels.L;

    private FmaPeak() {
    }

    /**
     * Runs about {@code flops} floating-point operations (rounded down to whole iterations; a
     * multiple of 384 is exact for vectors of 4, 8 or 16 floats) and returns a value that depends
     * on all of them, so the loop cannot be dropped. Every lane counts up from 1 in steps of
     * 2^-11 (a = 0.5 x 2^-10 + a), exactly until it reaches 2^13 (after 2^24 - 2^11 iterations) and then
     * stays there (the step is half an ulp and ties round to even): no operand is ever
     * subnormal or infinite, so the timing never depends on the iteration count.
     */
    public static float run(long flops) {
        var s = SimdKernels.S;
        FloatVector x = FloatVector.broadcast(s, 0.5f);
        FloatVector y = FloatVector.broadcast(s, 0x1p-10f);
        FloatVector a0 = FloatVector.broadcast(s, 1f);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
        FloatVector a8 = a0;
        FloatVector a9 = a0;
        FloatVector a10 = a0;
        FloatVector a11 = a0;
        for (long i = flops / FLOPS_PER_ITERATION; i > 0; i--) {
            a0 = x.fma(y, a0);
            a1 = x.fma(y, a1);
            a2 = x.fma(y, a2);
            a3 = x.fma(y, a3);
            a4 = x.fma(y, a4);
            a5 = x.fma(y, a5);
            a6 = x.fma(y, a6);
            a7 = x.fma(y, a7);
            a8 = x.fma(y, a8);
            a9 = x.fma(y, a9);
            a10 = x.fma(y, a10);
            a11 = x.fma(y, a11);
        }
        FloatVector sum = a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).add(a8.add(a9).add(a10.add(a11)));
        return SimdKernels.hsum(sum);
    }
}
