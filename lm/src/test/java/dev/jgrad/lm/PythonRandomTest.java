package dev.jgrad.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jgrad.lm.data.PythonRandom;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Expected values were printed by CPython 3.11.7 ({@code random.seed(s); random.getrandbits(32)},
 * {@code random.shuffle}), an implementation independent of ours.
 */
class PythonRandomTest {
    @Test
    void getrandbitsMatchesCPython() {
        PythonRandom r = new PythonRandom(42);
        assertEquals(2746317213L, r.getrandbits(32));
        assertEquals(478163327L, r.getrandbits(32));
        assertEquals(107420369L, r.getrandbits(32));
        PythonRandom zero = new PythonRandom(0);
        assertEquals(3626764237L, zero.getrandbits(32));
        assertEquals(1654615998L, zero.getrandbits(32));
        // A seed wider than 32 bits is two key words.
        PythonRandom wide = new PythonRandom((1L << 40) + 5);
        assertEquals(2166296868L, wide.getrandbits(32));
        assertEquals(2220160828L, wide.getrandbits(32));
    }

    @Test
    void stateRegenerationMatchesCPython() {
        PythonRandom r = new PythonRandom(42);
        for (int i = 0; i < 700; i++) {   // crosses the 624-word regeneration
            r.getrandbits(32);
        }
        assertEquals(4214005797L, r.getrandbits(32));
    }

    @Test
    void shuffleMatchesCPython() {
        List<Integer> xs = new ArrayList<>(IntStream.range(0, 10).boxed().toList());
        new PythonRandom(7).shuffle(xs);
        assertEquals(List.of(8, 3, 1, 4, 7, 0, 9, 6, 2, 5), xs);
    }

    /** makemore's split: {@code random.seed(42); random.shuffle(words)} over names.txt. */
    @Test
    void makemoreShuffleOfNames() throws IOException {
        List<String> words = new ArrayList<>(Files.readString(BigramTest.NAMES).lines().toList());
        new PythonRandom(42).shuffle(words);
        assertEquals(32033, words.size());
        assertEquals(List.of("yuheng", "diondre", "xavien", "jori", "juanluis"), words.subList(0, 5));
        assertEquals(List.of("opal", "zaylynn", "yovani"), words.subList(words.size() - 3, words.size()));
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new PythonRandom(-1));
        PythonRandom r = new PythonRandom(1);
        assertThrows(IllegalArgumentException.class, () -> r.randbelow(0));
        assertThrows(IllegalArgumentException.class, () -> r.getrandbits(33));
    }
}
