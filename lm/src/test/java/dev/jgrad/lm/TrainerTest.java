package dev.jgrad.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.lm.data.TokenData;
import dev.jgrad.lm.models.CountsBigramLM;
import dev.jgrad.lm.models.MLPLanguageModel;
import dev.jgrad.lm.models.NeuralBigramLM;
import dev.jgrad.lm.text.CharTokenizer;
import dev.jgrad.lm.train.Trainer;
import dev.jgrad.nn.io.SafeTensors;
import dev.jgrad.tensor.Generator;
import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    static int[] names() throws IOException {
        return BigramTest.namesStream(BigramTest.namesTokenizer());
    }

    @Test
    void neuralBigramConvergesToTheCountsModel() throws IOException {
        int[] ids = names();
        double counts = dev.jgrad.lm.eval.Evaluation.evaluate(new CountsBigramLM(27, 0).fit(ids), ids, 4096).meanNll();
        NeuralBigramLM m = new NeuralBigramLM(27, 27, new Generator(1));
        Trainer.Config cfg = Trainer.Config.of(300, 64, 256, 0.05, 1).withEval(0, 0, 0);
        Trainer.train(m, ids, ids, cfg, QUIET);
        double nll = dev.jgrad.lm.eval.Evaluation.evaluate(m, ids, 4096).meanNll();
        assertEquals(counts, nll, 0.02, "a short run gets close; the published 1e-3 needs the full experiment");
    }

    @Test
    void sameSeedSameNumbersAndResumeContinuesExactly(@TempDir Path dir) throws IOException {
        int[] ids = names();
        int[][] split = TokenData.split(ids, 0.9);
        MLPLanguageModel.Config mc = new MLPLanguageModel.Config(27, 3, 4, 32, true);
        Trainer.Config full = Trainer.Config.of(40, 16, 16, 1e-2, 5).withEval(10, 5000, 1.0);
        Trainer.Result a = Trainer.train(new MLPLanguageModel(mc, new Generator(3)), split[0], split[1], full, QUIET);
        Trainer.Result b = Trainer.train(new MLPLanguageModel(mc, new Generator(3)), split[0], split[1], full, QUIET);
        assertEquals(numbers(a.curve()), numbers(b.curve()));

        Path ckpt = dir.resolve("mlp.safetensors");
        Trainer.Config firstHalf = new Trainer.Config(20, 16, 16, full.optimizer(), full.schedule(), 0, 0, 1.0, 10, 5000,
                10, ckpt, dir.resolve("c.csv"), dir.resolve("c.png"), 5);
        Trainer.train(new MLPLanguageModel(mc, new Generator(3)), split[0], split[1], firstHalf, QUIET);
        assertTrue(Files.exists(dir.resolve("c.csv")) && Files.exists(dir.resolve("c.png")));
        assertEquals("20", SafeTensors.read(ckpt).metadata().get("step"));
        Trainer.Config rest = new Trainer.Config(40, 16, 16, full.optimizer(), full.schedule(), 0, 0, 1.0, 10, 5000,
                10, ckpt, null, null, 5);
        MLPLanguageModel resumed = new MLPLanguageModel(mc, new Generator(99)); // different init: all of it is restored
        Trainer.Result r = Trainer.train(resumed, split[0], split[1], rest, QUIET);
        assertEquals(a.curve().getLast().valLoss(), r.valLoss(), 1e-12);
        assertEquals(numbers(a.curve()).get(3), numbers(r.curve()).getLast());
    }

    @Test
    void resumeWithDropoutRestoresTheMaskGenerators(@TempDir Path dir) throws IOException {
        int[] ids = names();
        dev.jgrad.lm.models.GPT.Config gc = new dev.jgrad.lm.models.GPT.Config(27, 8, 1, 2, 16, 0.2);
        Trainer.Config full = Trainer.Config.of(12, 4, 8, 3e-3, 7).withEval(6, 2000, 1.0);
        Trainer.Result a = Trainer.train(new dev.jgrad.lm.models.GPT(gc, new Generator(1)), ids, ids, full, QUIET);
        Path ckpt = dir.resolve("gpt.safetensors");
        Trainer.Config half = new Trainer.Config(6, 4, 8, full.optimizer(), full.schedule(), 0, 0, 1.0, 6, 2000, 6,
                ckpt, null, null, 7);
        Trainer.train(new dev.jgrad.lm.models.GPT(gc, new Generator(1)), ids, ids, half, QUIET);
        Trainer.Config rest = new Trainer.Config(12, 4, 8, full.optimizer(), full.schedule(), 0, 0, 1.0, 6, 2000, 6,
                ckpt, null, null, 7);
        Trainer.Result r = Trainer.train(new dev.jgrad.lm.models.GPT(gc, new Generator(2)), ids, ids, rest, QUIET);
        assertEquals(numbers(a.curve()).getLast(), numbers(r.curve()).getLast());
    }

    /** The curve without its timing column, which is the only thing allowed to differ. */
    static java.util.List<java.util.List<Double>> numbers(java.util.List<Trainer.Point> curve) {
        return curve.stream().map(p -> java.util.List.of((double) p.step(), p.trainLoss(), p.valLoss(), p.lr())).toList();
    }

    @Test
    void shortStreamsAreAClearError() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> TokenData.getBatch(new int[] {1, 2, 3}, 3, 1, new Generator(1)));
        assertTrue(e.getMessage().contains("3 tokens"), e.getMessage());
    }

    @Test
    void charTokenizerRoundTripsAndRejectsUnknownCharacters() {
        CharTokenizer t = CharTokenizer.fromCorpus("hello, wörld ✓");
        assertEquals("hello, wörld ✓", t.decode(t.encode("hello, wörld ✓")));
        assertEquals(11, t.vocabSize());
        var e = assertThrows(IllegalArgumentException.class, () -> t.encode("hex"));
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        assertArrayEquals(new int[] {0, 1}, CharTokenizer.of("ab").encode("ab"));
    }
}
