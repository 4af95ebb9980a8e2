package dev.jgrad.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.lm.text.BpeTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TokenizerTest {
    static final Path GPT2 = Path.of("..", "..", "shared", "data", "gpt2");

    @Test
    void loadsGpt2AndProducesItsIds() throws IOException {
        BpeTokenizer t = BpeTokenizer.loadGpt2(GPT2.resolve("encoder.json"), GPT2.resolve("vocab.bpe"));
        assertEquals(50257, t.vocabSize());
        assertEquals(50000, t.merges());
        // Ids as GPT-2 assigns them ("Hello" 15496, " world" 995, "hello" 31373, "<|endoftext|>" is 50256).
        assertArrayEquals(new int[] {15496, 995}, t.encode("Hello world"));
        assertArrayEquals(new int[] {31373, 995}, t.encode("hello world"));
        assertEquals("<|endoftext|>", t.decode(new int[] {50256}));
        String tricky = "Héllo, wörld! 1234 ✓ 🙂\n\n  tabs\there's 'quoted' — done";
        assertEquals(tricky, t.decode(t.encode(tricky)));
    }

    @Test
    void trainedBpeRoundTripsAnyText() throws IOException {
        String corpus = Files.readString(Path.of("..", "..", "shared", "data", "tinyshakespeare.txt")).substring(0, 50_000);
        BpeTokenizer t = BpeTokenizer.train(corpus, 300);
        assertEquals(300, t.vocabSize());
        int[] ids = t.encode(corpus.substring(0, 2000));
        assertTrue(ids.length < 2000 * 0.8, "merges compress the text: " + ids.length);
        assertEquals(corpus.substring(0, 2000), t.decode(ids));
        String unseen = "Ωmega 🙂 never seen ŋ";
        assertEquals(unseen, t.decode(t.encode(unseen)));
        assertArrayEquals(ids, BpeTokenizer.train(corpus, 300).encode(corpus.substring(0, 2000)), "deterministic");
        assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.train(corpus, 100));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {300}));
    }

    @Test
    void trainedBpeTravelsAsItsMerges() throws IOException {
        String corpus = Files.readString(Path.of("..", "..", "shared", "data", "tinyshakespeare.txt")).substring(0, 30_000);
        BpeTokenizer t = BpeTokenizer.train(corpus, 320);
        BpeTokenizer back = BpeTokenizer.fromMerges(t.mergeList());
        assertEquals(t.vocabSize(), back.vocabSize());
        assertEquals(t.mergeList(), back.mergeList());
        String text = Files.readString(Path.of("..", "..", "shared", "data", "tinyshakespeare.txt")).substring(50_000, 53_000);
        assertArrayEquals(t.encode(text), back.encode(text));
        for (int id = 0; id < t.vocabSize(); id++) {
            assertEquals(t.decode(new int[] {id}), back.decode(new int[] {id}), "token " + id);
        }
        var bad = assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.fromMerges(java.util.List.of("ab")));
        assertTrue(bad.getMessage().contains("'ab'"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.fromMerges(java.util.List.of("a b", "a b")));
        // GPT-2's ids follow encoder.json, not bytes-then-merges: its merges alone would mean other ids.
        BpeTokenizer gpt2 = BpeTokenizer.loadGpt2(GPT2.resolve("encoder.json"), GPT2.resolve("vocab.bpe"));
        assertThrows(IllegalStateException.class, gpt2::mergeList);
    }
}
