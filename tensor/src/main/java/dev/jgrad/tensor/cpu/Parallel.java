package dev.jgrad.tensor.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one thread pool of the CPU backend, built like an OpenMP runtime rather than a task
 * scheduler: {@code threads - 1} workers plus the calling thread share each parallel loop, and
 * idle workers spin for a short while before they park. A training step runs hundreds of
 * kernels back to back; with a parked-worker pool (ForkJoinPool) every kernel paid a wake-up of
 * tens of microseconds, more than a 768 x 128 x 65 matmul takes on one core.
 *
 * <p>Work is always cut into the same chunks whatever the thread count (the grain is fixed by
 * the caller), and no chunk's result depends on another's or on which thread ran it, so results
 * are bit-identical for any number of threads. Loops started from inside a loop body, or while
 * another application thread holds the pool, run on the calling thread alone.
 */
public final class Parallel {
    /** How long an idle worker keeps polling for the next loop before it parks. */
    private static final long SPIN_NANOS = 200_000;

    private static volatile Pool pool = new Pool(defaultThreads());

    private Parallel() {
    }

    private static int defaultThreads() {
        String p = System.getProperty("jgrad.threads");
        if (p != null) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the error below
            }
            throw new IllegalArgumentException("jgrad.threads must be a positive integer, got '" + p + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    public static int threads() {
        return pool.threads;
    }

    /** Sets the number of threads (at least 1, the caller included); later kernels use them. */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("setThreads: thread count must be at least 1, got " + threads);
        }
        if (threads != threads()) {
            Pool old = pool;
            pool = new Pool(threads);
            old.shutdown();
        }
    }

    /** A body that handles indices [lo, hi). */
    @FunctionalInterface
    public interface Range {
        void run(int lo, int hi);
    }

    /** Runs {@code body} over [0, n) in chunks of {@code grain}, in parallel when it pays. */
    public static void forRange(int n, int grain, Range body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(grain, 1);
        int chunks = (int) (((long) n + g - 1) / g);
        Pool p = pool;
        if (chunks == 1 || p.threads == 1 || Pool.INSIDE.get() || !p.lock.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            p.run(new Job(body, n, g, chunks));
        } finally {
            p.lock.unlock();
        }
    }

    /** One parallel loop: chunks are handed out by an atomic counter, first come first served. */
    private static final class Job {
        final Range body;
        final int n;
        final int grain;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(Range body, int n, int grain, int chunks) {
            this.body = body;
            this.n = n;
            this.grain = grain;
            this.chunks = chunks;
        }

        /** Runs chunks until none is left. */
        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    if (failure == null) {
                        int lo = c * grain;
                        body.run(lo, Math.min(n, lo + grain));
                    }
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private static final class Pool {
        static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

        final int threads;
        final ReentrantLock lock = new ReentrantLock();
        final Thread[] workers;
        /** The current job; a new object for every loop, so workers see each loop exactly once. */
        volatile Job job;
        volatile boolean stopped;

        Pool(int threads) {
            this.threads = threads;
            workers = new Thread[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                Thread t = new Thread(this::workerLoop, "jgrad-cpu-" + (i + 1));
                t.setDaemon(true);
                workers[i] = t;
                t.start();
            }
        }

        void run(Job j) {
            job = j;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            INSIDE.set(true);
            try {
                j.work();
            } finally {
                INSIDE.set(false);
            }
            // Wait for chunks still running on workers; they are short, so spin.
            while (j.done.get() < j.chunks) {
                Thread.onSpinWait();
            }
            job = null;
            Throwable f = j.failure;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            if (f != null) {
                throw new IllegalStateException("parallel loop failed", f);
            }
        }

        private void workerLoop() {
            INSIDE.set(true);
            Job last = null;
            while (!stopped) {
                Job j = job;
                if (j != null && j != last) {
                    last = j;
                    j.work();
                    continue;
                }
                long idleSince = System.nanoTime();
                while (!stopped && (job == null || job == last)) {
                    if (System.nanoTime() - idleSince < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(this, 10_000_000L);
                    }
                }
            }
        }

        void shutdown() {
            stopped = true;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
        }
    }
}
