package dev.jgrad.tensor.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the kernels need to know of the caches and cannot learn from the JVM: the L2's
 * associativity, read once from Linux's sysfs (the cache of cpu0 whose level is 2). Where that
 * is missing or unreadable (another OS, a container without /sys) it is taken to be 8 ways, the
 * smallest of the machines measured: Zen 3 reports 8, Zen 5 16.
 */
final class CacheGeometry {
    /** Ways of the L2 cache. */
    static final int L2_WAYS = l2Ways(Path.of("/sys/devices/system/cpu/cpu0/cache"));
    private static final int DEFAULT_WAYS = 8;

    private CacheGeometry() {
    }

    /** The associativity of the level-2 cache described under {@code caches} (index0, index1, ...). */
    static int l2Ways(Path caches) {
        for (int i = 0; i < 16; i++) {
            Path dir = caches.resolve("index" + i);
            if (!Files.isDirectory(dir)) {
                break;
            }
            try {
                if (Files.readString(dir.resolve("level")).trim().equals("2")) {
                    int ways = Integer.parseInt(Files.readString(dir.resolve("ways_of_associativity")).trim());
                    return ways > 0 ? ways : DEFAULT_WAYS;
                }
            } catch (IOException | NumberFormatException e) {
                return DEFAULT_WAYS;
            }
        }
        return DEFAULT_WAYS;
    }
}
