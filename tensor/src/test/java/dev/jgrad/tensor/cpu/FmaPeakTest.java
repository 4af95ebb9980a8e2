package dev.jgrad.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The peak loop runs the iterations its flop count asks for: its result is the scalar recurrence's. */
class FmaPeakTest {
    @Test
    void runsOneIterationPerTwelveChainsOfFmas() {
        int chains = FmaPeak.FLOPS_PER_ITERATION / 2;   // 12 chains x lanes, all with the same value
        for (int iterations : new int[] {0, 1, 7, 1000}) {
            float a = 1f;
            for (int i = 0; i < iterations; i++) {
                a = Math.fma(0.999999f, a, 1e-7f);
            }
            // A few extra flops round down to the same whole number of iterations.
            float got = FmaPeak.run((long) iterations * FmaPeak.FLOPS_PER_ITERATION + FmaPeak.FLOPS_PER_ITERATION - 1);
            // One iteration more or less moves the sum by about 9e-7 x chains (8.6e-5 for 96); rounding
            // of the final sum stays well below 2e-5.
            assertEquals(chains * a, got, 2e-5f, "after " + iterations + " iterations");
        }
    }
}
