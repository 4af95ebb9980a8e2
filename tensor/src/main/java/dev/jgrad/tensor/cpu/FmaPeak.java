package dev.jgrad.tensor.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * The floating-point ceiling of this core as the Vector API reaches it: twelve independent FMA
 * chains on registers, no memory traffic. Two FMA pipes with a 4-cycle latency need eight chains
 * in flight (AVX2 and AVX-512 alike); twelve leave slack and still fit AVX2's 16 registers. The
 * benchmark report runs it at its start and end: a kernel's GFLOP/s means little without the
 * ceiling the machine had that hour (the VMs these numbers come from run at 60-100% of their
 * nominal speed from one hour to the next).
 */
public final class FmaPeak {
    /** Floating-point operations of one loop iteration: 12 chains x 2 (multiply and add) x lanes. */
    public static final int FLOPS_PER_ITERATION = 12 * 2 * SimdKernels.L;

    private FmaPeak() {
    }

    /**
     * Runs about {@code flops} floating-point operations (rounded down to whole iterations; a
     * multiple of 384 is exact for vectors of 4, 8 or 16 floats) and returns a value that depends
     * on all of them, so the loop cannot be dropped. The chains converge to 0.1 (a = 0.999999 a +
     * 1e-7), so no operand ever turns subnormal.
     */
    public static float run(long flops) {
        var s = SimdKernels.S;
        FloatVector x = FloatVector.broadcast(s, 0.999999f);
        FloatVector y = FloatVector.broadcast(s, 1e-7f);
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
            a0 = x.fma(a0, y);
            a1 = x.fma(a1, y);
            a2 = x.fma(a2, y);
            a3 = x.fma(a3, y);
            a4 = x.fma(a4, y);
            a5 = x.fma(a5, y);
            a6 = x.fma(a6, y);
            a7 = x.fma(a7, y);
            a8 = x.fma(a8, y);
            a9 = x.fma(a9, y);
            a10 = x.fma(a10, y);
            a11 = x.fma(a11, y);
        }
        FloatVector sum = a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).add(a8.add(a9).add(a10.add(a11)));
        return SimdKernels.hsum(sum);
    }
}
