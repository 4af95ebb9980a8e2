package dev.jgrad.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pool: every index exactly once, failures reach the caller, nesting and sharing are safe. */
class ParallelTest {
    private int before;

    @BeforeEach
    void threeThreads() {
        before = Parallel.threads();
        Parallel.setThreads(3);
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(before);
    }

    @Test
    void everyIndexRunsExactlyOnce() {
        for (int n : new int[] {1, 2, 7, 1000, 4097}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            Parallel.forRange(n, 3, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < n; i++) {
                assertEquals(1, hits.get(i), "n=" + n + " index " + i);
            }
        }
    }

    @Test
    void chunksAreCutByTheGrainWhateverTheThreadCount() {
        AtomicIntegerArray starts = new AtomicIntegerArray(100);
        Parallel.forRange(100, 30, (lo, hi) -> starts.set(lo, hi - lo));
        assertEquals(30, starts.get(0));
        assertEquals(30, starts.get(30));
        assertEquals(30, starts.get(60));
        assertEquals(10, starts.get(90));
    }

    @Test
    void aThreadRunsItsOwnRunFrontFirstThenTheOthersBackFirst() {
        // 10 chunks over 3 threads: runs [0, 3), [3, 6), [6, 10). Thread 1 alone (the others
        // never came) takes its own run in order, then thread 2's from the back, then thread 0's.
        java.util.List<Integer> order = new java.util.ArrayList<>();
        Parallel.Job job = new Parallel.Job((lo, hi) -> order.add(lo / 4), 38, 4, 10, 3);
        job.work(1);
        assertEquals(java.util.List.of(3, 4, 5, 9, 8, 7, 6, 2, 1, 0), order);
        assertEquals(10, job.done.get());
        // Fewer chunks than threads: runs [0, 0), [0, 1), [1, 2); thread 0 has none of its own.
        order.clear();
        Parallel.Job few = new Parallel.Job((lo, hi) -> order.add(lo), 2, 1, 2, 3);
        few.work(0);
        assertEquals(java.util.List.of(0, 1), order);
    }

    @Test
    void aFailingChunkIsRethrownToTheCallerAndThePoolStillWorks() {
        var e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(64, 1, (lo, hi) -> {
            if (lo == 37) {
                throw new IllegalStateException("chunk 37 failed");
            }
        }));
        assertEquals("chunk 37 failed", e.getMessage());
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        Parallel.forRange(64, 1, (lo, hi) -> hits.incrementAndGet(lo));
        for (int i = 0; i < 64; i++) {
            assertEquals(1, hits.get(i));
        }
    }

    @Test
    void nestedLoopsAndConcurrentCallersComplete() throws Exception {
        AtomicIntegerArray hits = new AtomicIntegerArray(40 * 50);
        Runnable nested = () -> Parallel.forRange(40, 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int row = i;
                Parallel.forRange(50, 7, (l2, h2) -> {
                    for (int j = l2; j < h2; j++) {
                        hits.incrementAndGet(row * 50 + j);
                    }
                });
            }
        });
        Thread other = new Thread(nested);
        other.start();
        nested.run();
        other.join(30_000);
        assertTrue(!other.isAlive(), "second caller finished");
        for (int i = 0; i < hits.length(); i++) {
            assertEquals(2, hits.get(i), "index " + i);
        }
    }

    @Test
    void aWorkerWokenForALoopItMissedSpinsAgainBeforeParking() throws Exception {
        // A loop the caller finished alone before the parked worker looked (posted as null): the
        // worker must count its idle time from that loop, not from before it parked. It used to
        // go straight back to sleep (a park at once, then one every 10 ms timeout), and every
        // later short loop paid a wake-up for nothing.
        Parallel.Pool pool = new Parallel.Pool(2, 300_000_000L);
        try {
            waitUntil(() -> pool.parkedWorkers() == 1, "the idle worker parks after its 300 ms spin");
            long before = pool.parks();
            pool.post(null);
            Thread.sleep(50);
            // at most one: a 10 ms timeout can re-park it just before the post
            long parks = pool.parks() - before;
            assertTrue(parks <= 1, "the woken worker spins for 300 ms, but parked " + parks + " times in 50 ms");
        } finally {
            pool.shutdown();
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition, String what) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(1);
        }
    }

    @Test
    void rejectsANonPositiveThreadCount() {
        var e = assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
        assertTrue(e.getMessage().contains("setThreads"), e.getMessage());
    }
}
