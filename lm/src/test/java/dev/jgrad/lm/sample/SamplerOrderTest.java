package dev.jgrad.lm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.jgrad.tensor.Generator;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The sampler's int merge sort orders tokens exactly as a stable boxed sort by Double.compare does. */
class SamplerOrderTest {
    private static int[] boxed(double[] p) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void orderEqualsTheStableBoxedSortWithTies() {
        Generator g = new Generator(21);
        // Few distinct values so most elements tie; lengths with odd merge widths.
        double[] pool = {0.0, -0.0, 1e-300, 0.25, 0.25 + 1e-17, 0.5, 1.0, Double.NaN, Double.MIN_VALUE};
        for (int n : new int[] {0, 1, 2, 3, 7, 64, 65, 100, 1000, 4097}) {
            for (int rep = 0; rep < 5; rep++) {
                double[] p = new double[n];
                for (int i = 0; i < n; i++) {
                    p[i] = rep == 0 ? g.nextDouble() : pool[(int) (g.nextDouble() * pool.length)];
                }
                assertArrayEquals(boxed(p), Sampler.byDescendingProbability(p), "n = " + n + ", rep " + rep);
            }
        }
    }
}
