package dev.jgrad.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The peak loop runs the iterations its flop count asks for: its result is the scalar recurrence's. */
class FmaPeakTest {
    @Test
    void runsOneIterationPerTwelveChainsOfFmas() {
        int lanes = FmaPeak.FLOPS_PER_ITERATION / 2;   // 12 chains x lanes, all with the same value
        // The last count runs past the point where a lane stops growing (2^13, reached after
        // 2^24 - 2^11 iterations), which must hold it there rather than let it run on or round away.
        for (int iterations : new int[] {0, 1, 7, 1000, (1 << 24) + 1000}) {
            float a = 1f;
            for (int i = 0; i < iterations; i++) {
                a = Math.fma(0.5f, 0x1p-10f, a);
            }
            // A few extra flops round down to the same whole number of iterations.
            float got = FmaPeak.run((long) iterations * FmaPeak.FLOPS_PER_ITERATION + FmaPeak.FLOPS_PER_ITERATION - 1);
            // Every lane holds 1 + i 2^-11 (2^13 once saturated), so each partial sum of the final
            // reduction is exact and one iteration more or less (2^-11 a lane) would show.
            assertEquals(lanes * a, got, 0f, "after " + iterations + " iterations");
            if (iterations > 1 << 24) {
                assertEquals(8192f, a, 0f, "a lane saturates at 2^13");
            }
        }
    }
}
