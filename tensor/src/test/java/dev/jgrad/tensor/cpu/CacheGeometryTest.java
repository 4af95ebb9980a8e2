package dev.jgrad.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The L2's associativity from a sysfs-shaped tree, and the fallback where it cannot be read. */
class CacheGeometryTest {
    private static void cache(Path caches, int index, String level, String ways) throws IOException {
        Path dir = Files.createDirectories(caches.resolve("index" + index));
        Files.writeString(dir.resolve("level"), level + "\n");
        Files.writeString(dir.resolve("ways_of_associativity"), ways + "\n");
    }

    @Test
    void readsTheWaysOfTheLevelTwoCache(@TempDir Path caches) throws IOException {
        cache(caches, 0, "1", "12");
        cache(caches, 1, "1", "8");
        cache(caches, 2, "2", "16");
        cache(caches, 3, "3", "16");
        assertEquals(16, CacheGeometry.l2Ways(caches));
    }

    @Test
    void takesEightWaysWhereTheTreeSaysNothingUsable(@TempDir Path caches) throws IOException {
        assertEquals(8, CacheGeometry.l2Ways(caches.resolve("absent")), "no tree");
        cache(caches, 0, "1", "12");
        assertEquals(8, CacheGeometry.l2Ways(caches), "no level-2 cache");
        cache(caches, 1, "2", "sixteen");
        assertEquals(8, CacheGeometry.l2Ways(caches), "unparsable ways");
        cache(caches, 1, "2", "0");
        assertEquals(8, CacheGeometry.l2Ways(caches), "zero ways");
    }
}
