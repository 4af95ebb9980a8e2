package dev.jgrad.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.lm.models.NextTokenLM;
import dev.jgrad.lm.text.CharTokenizer;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.Generator;
import org.junit.jupiter.api.Test;

class NextTokenLMTest {
    @Test
    void predictsTopKWithSaliencyAndLeavesTheModelUntouched() {
        CharTokenizer tok = CharTokenizer.of("abcde ");
        NextTokenLM m = new NextTokenLM(tok.vocabSize(), 8, 16, new Generator(2));
        float[] before = m.parameters().getFirst().data().toFloatArray();
        NextTokenLM.Prediction p = m.predict(tok, "abca", 3);
        assertEquals(3, p.top().size());
        assertTrue(p.top().get(0).probability() >= p.top().get(1).probability());
        double sum = 0;
        for (double s : p.saliency()) {
            assertTrue(s >= 0);
            sum += s;
        }
        assertEquals(1.0, sum, 1e-9);
        assertEquals(4, p.inputTokens().size());
        assertTrue(m.isTraining(), "mode restored");
        for (Parameter q : m.parameters()) {
            assertNull(q.grad(), "no gradient left behind");
        }
        assertArrayEquals(before, m.parameters().getFirst().data().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> m.predict(tok, "abx", 2));
        assertTrue(m.isTraining());
        assertThrows(IllegalArgumentException.class, () -> m.predict(tok, "", 2));
    }

    @Test
    void withoutContextualizerOnlyTheLastTokenMatters() {
        CharTokenizer tok = CharTokenizer.of("abcde ");
        NextTokenLM m = new NextTokenLM(tok.vocabSize(), 8, 0, new Generator(2));
        NextTokenLM.Prediction p = m.predict(tok, "abcd", 2);
        assertEquals(0.0, p.saliency()[0], 1e-12);
        assertEquals(1.0, p.saliency()[3], 1e-12);
        assertEquals(p.top(), m.predict(tok, "ccd", 2).top());
    }
}
