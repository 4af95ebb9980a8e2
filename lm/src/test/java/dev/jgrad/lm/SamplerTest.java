package dev.jgrad.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.lm.models.CountsBigramLM;
import dev.jgrad.lm.sample.Sampler;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final NdArray LOGITS = NdArray.of(new double[] {Math.log(0.5), Math.log(0.3), Math.log(0.15),
        Math.log(0.05)}, 4).to(DType.F32);

    private static int[] histogram(Sampler.Options o, int draws) {
        Generator g = new Generator(o.seed());
        int[] h = new int[4];
        for (int i = 0; i < draws; i++) {
            h[Sampler.pick(LOGITS, o, g)]++;
        }
        return h;
    }

    @Test
    void temperatureOneFollowsTheDistribution() {
        int[] h = histogram(Sampler.Options.defaults(1), 20_000);
        assertEquals(10_000, h[0], 300);
        assertEquals(6_000, h[1], 300);
        assertEquals(1_000, h[3], 150);
    }

    @Test
    void topKTopPAndGreedyCutTheTail() {
        int[] k2 = histogram(Sampler.Options.defaults(2).withTopK(2), 5_000);
        assertEquals(0, k2[2] + k2[3]);
        int[] p = histogram(Sampler.Options.defaults(3).withTopP(0.75), 5_000);
        assertEquals(0, p[2] + p[3]); // 0.5 + 0.3 reaches 0.75
        int[] p2 = histogram(Sampler.Options.defaults(3).withTopP(0.85), 5_000);
        assertTrue(p2[2] > 0 && p2[3] == 0);
        assertEquals(5_000, histogram(Sampler.Options.defaults(4).greedily(), 5_000)[0]);
        int[] cold = histogram(Sampler.Options.defaults(5).withTemperature(0.1), 5_000);
        assertTrue(cold[0] > 4_900);
    }

    @Test
    void samplingIsSeededAndStops() {
        CountsBigramLM m = new CountsBigramLM(4, 1).fit(new int[] {0, 1, 2, 3, 0, 1, 2, 3});
        int[] a = Sampler.sample(m, new int[] {0}, 50, Sampler.Options.defaults(9));
        assertArrayEquals(a, Sampler.sample(m, new int[] {0}, 50, Sampler.Options.defaults(9)));
        int[] stopped = Sampler.sample(m, new int[] {0}, 50, Sampler.Options.defaults(9).withStopToken(3));
        assertEquals(3, stopped[stopped.length - 1]);
        int[] two = Sampler.sample(m, new int[] {0}, 50, Sampler.Options.defaults(9), t -> t.length == 2);
        assertEquals(2, two.length);
        assertThrows(IllegalArgumentException.class, () -> Sampler.sample(m, new int[] {4}, 5, Sampler.Options.defaults(1)));
        assertThrows(IllegalArgumentException.class, () -> Sampler.Options.defaults(1).withTemperature(0));
        assertThrows(IllegalArgumentException.class, () -> Sampler.Options.defaults(1).withTopP(0));
    }
}
