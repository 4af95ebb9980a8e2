package dev.jgrad.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autograd.NoGrad;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.models.GPT;
import dev.jgrad.lm.models.LSTMLanguageModel;
import dev.jgrad.lm.models.MLPLanguageModel;
import dev.jgrad.lm.models.NeuralBigramLM;
import dev.jgrad.lm.sample.Sampler;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelsTest {
    static final int V = 11;

    static GPT gpt() {
        return new GPT(new GPT.Config(V, 8, 2, 2, 16, 0.0), new Generator(3));
    }

    static List<LanguageModel> all() {
        return List.of(new NeuralBigramLM(V, 8, new Generator(1)),
                new MLPLanguageModel(new MLPLanguageModel.Config(V, 3, 4, 16, false), new Generator(2)),
                new LSTMLanguageModel(new LSTMLanguageModel.Config(V, 6, 12, 2), new Generator(4)), gpt());
    }

    static Tensor ids(int... v) {
        return Tensor.of(NdArray.of(v, 1, v.length));
    }

    @Test
    void everyModelMapsBTtoBTV() {
        Tensor idx = Tensor.of(NdArray.randint(new Generator(7), 0, V, 3, 5));
        for (LanguageModel m : all()) {
            assertEquals(dev.jgrad.tensor.Shape.of(3, 5, V), m.logits(idx).shape(), m.name());
            Tensor loss = m.loss(idx, idx);
            assertTrue(Double.isFinite(loss.item()));
            loss.backward();
            m.parameters().forEach(p -> assertTrue(p.grad() != null, m.name()));
        }
    }

    @Test
    void predictionsAreCausal() {
        // Changing a later token must not change the logits of earlier positions.
        for (LanguageModel m : all()) {
            try (NoGrad ignored = NoGrad.enter()) {
                NdArray a = m.logits(ids(1, 2, 3, 4, 5)).data();
                NdArray b = m.logits(ids(1, 2, 3, 9, 0)).data();
                assertArrayEquals(a.narrow(1, 0, 3).toFloatArray(), b.narrow(1, 0, 3).toFloatArray(), 1e-6f, m.name());
            }
        }
    }

    @Test
    void mlpSeesExactlyItsContext() {
        MLPLanguageModel m = new MLPLanguageModel(new MLPLanguageModel.Config(V, 2, 4, 8, false), new Generator(5));
        try (NoGrad ignored = NoGrad.enter()) {
            NdArray a = m.logits(ids(1, 2, 3, 4)).data();
            NdArray b = m.logits(ids(7, 2, 3, 4)).data();
            // Position 3 reads tokens 2..3 only; position 1 reads tokens 0..1.
            assertArrayEquals(a.select(1, 3).toFloatArray(), b.select(1, 3).toFloatArray(), 0f);
            assertTrue(a.select(1, 1).sub(b.select(1, 1)).abs().max().item() > 0);
        }
    }

    @Test
    void gptKvCacheGenerationEqualsUncachedGeneration() {
        GPT m = gpt();
        int[] prompt = {1, 4, 2};
        // Greedy decoding past the block size (8) exercises the cache refill as well.
        Sampler.Options greedy = Sampler.Options.defaults(0).greedily();
        int[] cached = Sampler.sample(m, prompt, 20, greedy);
        LanguageModel uncached = new Uncached(m);
        int[] plain = Sampler.sample(uncached, prompt, 20, greedy);
        assertArrayEquals(plain, cached);
        Decoder c = m.decoder(prompt);
        Decoder u = uncached.decoder(prompt);
        for (int step = 0; step < 12; step++) {
            assertArrayEquals(u.logits().toFloatArray(), c.logits().toFloatArray(), 1e-4f, "step " + step);
            c.append(step % V);
            u.append(step % V);
        }
        assertThrows(IllegalArgumentException.class, () -> m.logits(ids(new int[9])));
    }

    /**
     * The decoder runs one position through the layers' inference forms: with every parameter
     * (biases included) away from its initial value, each step's logits match the full forward's
     * at that position, with and without biases.
     */
    @Test
    void gptDecoderStepsMatchTheFullForwardWithAndWithoutBiases() {
        for (boolean bias : new boolean[] {true, false}) {
            GPT m = new GPT(new GPT.Config(V, 8, 2, 2, 16, 0.0, bias), new Generator(6));
            Generator g = new Generator(7);
            for (var p : m.parameters()) {
                p.assign(p.data().add(NdArray.randn(g, DType.F32, p.data().shape().dims()).mul(0.3)));
            }
            m.eval();
            int[] seq = {3, 1, 4, 1, 5, 9, 2, 6};
            NdArray full;
            try (NoGrad ignored = NoGrad.enter()) {
                full = m.logits(ids(seq)).data();
            }
            Decoder d = m.decoder(new int[] {seq[0]});
            for (int t = 0; t < seq.length; t++) {
                assertArrayEquals(full.select(0, 0).select(0, t).toFloatArray(), d.logits().toFloatArray(), 2e-5f,
                        "bias " + bias + ", position " + t);
                if (t + 1 < seq.length) {
                    d.append(seq[t + 1]);
                }
            }
        }
    }

    @Test
    void gptDecoderAppliesLiveDropoutAndRejectsBadTokens() {
        GPT m = new GPT(new GPT.Config(V, 8, 2, 2, 16, 0.5), new Generator(8));
        m.train(true);
        Decoder training = m.decoder(new int[] {1});
        long[] before = randomStates(m);
        training.append(2);
        assertFalse(Arrays.equals(before, randomStates(m)), "a training-mode step draws dropout masks");
        float[] dropped = training.logits().toFloatArray();
        m.eval();
        Decoder eval = m.decoder(new int[] {1});
        before = randomStates(m);
        eval.append(2);
        assertArrayEquals(before, randomStates(m), "an eval-mode step draws nothing");
        NdArray full;
        try (NoGrad ignored = NoGrad.enter()) {
            full = m.logits(ids(1, 2)).data();
        }
        assertArrayEquals(full.select(0, 0).select(0, 1).toFloatArray(), eval.logits().toFloatArray(), 2e-5f);
        double diff = 0;
        for (int i = 0; i < V; i++) {
            diff += Math.abs(dropped[i] - eval.logits().toFloatArray()[i]);
        }
        assertTrue(diff > 1e-3, "training mode with dropout 0.5 decodes through dropout");
        var high = assertThrows(IndexOutOfBoundsException.class, () -> eval.append(V));
        assertTrue(high.getMessage().contains("token " + V), high.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> eval.append(-1));
    }

    private static long[] randomStates(GPT m) {
        return m.namedRandomSources().values().stream().mapToLong(Generator::state).toArray();
    }

    @Test
    void lstmDecoderCarriesStateLikeTheFullSequence() {
        LSTMLanguageModel m = new LSTMLanguageModel(new LSTMLanguageModel.Config(V, 6, 12, 2), new Generator(4));
        int[] seq = {3, 1, 4, 1, 5, 9};
        NdArray full;
        try (NoGrad ignored = NoGrad.enter()) {
            full = m.logits(ids(seq)).data();
        }
        Decoder d = m.decoder(new int[] {seq[0]});
        for (int t = 0; t < seq.length; t++) {
            assertArrayEquals(full.select(0, 0).select(0, t).toFloatArray(), d.logits().toFloatArray(), 1e-5f);
            if (t + 1 < seq.length) {
                d.append(seq[t + 1]);
            }
        }
    }

    @Test
    void gptParameterNamesAndTiedHead() {
        GPT m = gpt();
        var names = List.copyOf(m.namedParameters().keySet());
        assertEquals("wte.weight", names.get(0));
        assertTrue(names.contains("blocks.1.attn.qkv.weight"));
        assertTrue(names.contains("blocks.0.mlp.proj.bias"));
        assertTrue(names.stream().noneMatch(n -> n.contains("head")), "the head is tied to wte");
    }

    /** The GPT without its cache: re-reads the cropped context at every step. */
    record Uncached(GPT m) implements LanguageModel {
        public String name() {
            return "uncached";
        }

        public int vocabSize() {
            return m.vocabSize();
        }

        public int blockSize() {
            return m.blockSize();
        }

        public int contextLength() {
            return m.contextLength();
        }

        public Tensor logits(Tensor idx) {
            return m.logits(idx);
        }

        public List<dev.jgrad.nn.Parameter> parameters() {
            return m.parameters();
        }

        public void train(boolean on) {
            m.train(on);
        }
    }

    @Test
    void dtypeOfLogitsIsFloat32() {
        assertEquals(DType.F32, gpt().logits(ids(1, 2)).dtype());
    }
}
