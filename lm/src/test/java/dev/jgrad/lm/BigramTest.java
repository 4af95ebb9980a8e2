package dev.jgrad.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.lm.eval.Evaluation;
import dev.jgrad.lm.models.CountsBigramLM;
import dev.jgrad.lm.text.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The counts bigram on makemore's names.txt reproduces the published mean NLL. */
class BigramTest {
    static final Path NAMES = Path.of("..", "..", "shared", "data", "names.txt");

    /** ".emma.olivia.ava." — one '.' between names gives exactly makemore's bigrams. */
    static int[] namesStream(CharTokenizer tok) throws IOException {
        String text = Files.readString(NAMES);
        return tok.encode("." + String.join(".", text.strip().split("\n")) + ".");
    }

    static CharTokenizer namesTokenizer() {
        return CharTokenizer.of(".abcdefghijklmnopqrstuvwxyz");
    }

    @Test
    void countsBigramMatchesPublishedNll() throws IOException {
        CharTokenizer tok = namesTokenizer();
        int[] ids = namesStream(tok);
        CountsBigramLM mle = new CountsBigramLM(27, 0).fit(ids);
        CountsBigramLM addOne = new CountsBigramLM(27, 1).fit(ids);
        assertEquals(2.4540, Evaluation.evaluate(mle, ids, 4096).meanNll(), 1e-4);
        assertEquals(2.4546, Evaluation.evaluate(addOne, ids, 4096).meanNll(), 1e-4);
        assertEquals(228146, Evaluation.evaluate(mle, ids, 4096).tokens());
    }

    @Test
    void fitAccumulatesAndZeroSmoothingGivesMinusInfinity() {
        CountsBigramLM m = new CountsBigramLM(3, 0).fit(new int[] {0, 1, 0, 1}).fit(new int[] {0, 2});
        assertEquals(2, m.count(0, 1));
        assertEquals(1, m.count(0, 2));
        assertEquals(Math.log(2.0 / 3), m.logProbs().getDouble(0, 1), 1e-12);
        assertEquals(Double.NEGATIVE_INFINITY, m.logProbs().getDouble(0, 0));
        assertEquals(-Math.log(3), m.logProbs().getDouble(2, 1), 1e-12); // unseen row: uniform
        assertTrue(Double.isInfinite(Evaluation.evaluate(m, new int[] {0, 0}, 8).meanNll()));
        assertThrows(IllegalArgumentException.class, () -> m.fit(new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> new CountsBigramLM(3, -1));
    }
}
