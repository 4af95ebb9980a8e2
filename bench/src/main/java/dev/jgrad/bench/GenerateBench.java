package dev.jgrad.bench;

import dev.jgrad.autograd.NoGrad;
import dev.jgrad.lm.Decoder;
import dev.jgrad.lm.models.GPT;
import dev.jgrad.lm.sample.Sampler;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.cpu.Parallel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * GPT generation at nanoGPT's CPU config (V 65, block 64, 4 layers, 4 heads, 128 embd): 63 new
 * tokens after a one-token prompt (filling the block), sampled at temperature 1, with the KV
 * cache and by re-reading the context every step (what nanoGPT's {@code generate} does).
 * tokens/s = 63 / time. Past the block size a model with learned absolute positions must
 * recompute its cache from the cropped context at every token (equal output to uncached
 * generation is the contract), so the cache only pays within one block.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GenerateBench extends JmhDefaults {
    static final int TOKENS = 63;

    @Param({"1", "2"})
    int threads;

    GPT gpt;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        gpt = new GPT(new GPT.Config(65, 64, 4, 4, 128, 0.0, true), new Generator(1337));
        gpt.train(false);
    }

    @Benchmark
    public int[] kvCache() {
        return generate(gpt.decoder(new int[] {0}));
    }

    @Benchmark
    public int[] rereading() {
        return generate(new Decoder.Rereading(gpt, new int[] {0}));
    }

    /** Sampler's loop over a given decoder. */
    private static int[] generate(Decoder dec) {
        Sampler.Options o = Sampler.Options.defaults(7);
        Generator gen = new Generator(o.seed());
        int[] out = new int[TOKENS];
        try (NoGrad ignored = NoGrad.enter()) {
            for (int i = 0; i < TOKENS; i++) {
                out[i] = Sampler.pick(dec.logits(), o, gen);
                dec.append(out[i]);
            }
        }
        return out;
    }
}
