package dev.jgrad.tensor.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one thread pool of the CPU backend, built like an OpenMP runtime rather than a task
 * scheduler: {@code threads - 1} workers plus the calling thread share each parallel loop, and
 * idle workers spin for a short while before they park. A training step runs hundreds of
 * kernels back to back; with a parked-worker pool (ForkJoinPool) every kernel paid a wake-up of
 * tens of microseconds, more than a 768 x 128 x 65 matmul takes on one core. As with OpenMP's
 * static schedule, each thread owns an equal run of a loop's chunks, so it works on the same
 * part of the data loop after loop; unlike it, a thread that finishes early takes what is left
 * of the others' runs, so a worker that wakes late delays nothing.
 *
 * <p>Work is always cut into the same chunks whatever the thread count (the grain is fixed by
 * the caller), and no chunk's result depends on another's or on which thread ran it, so results
 * are bit-identical for any number of threads. Loops started from inside a loop body, or while
 * another application thread holds the pool, run on the calling thread alone.
 */
public final class Parallel {
    /**
     * How long an idle worker keeps polling for the next loop before it parks. A wake-up is paid
     * by the thread that posts the next loop, inside unpark, and on a VM that can outlast the
     * loop: on the 2-vCPU Zen 5 VM, GPT step on two threads, the worker parks 3-6 times a step
     * (the optimizer and the loss run alone for longer than 200 µs), the step's 137 loop starts
     * take 0.9-1.5 ms in all and a fifth of the unparks over 100 µs each. Spinning 2 ms cuts that
     * to 0.3-0.5 parks and 0.24-0.31 ms, 20 ms to none and 5 µs, yet the step gains under 1%
     * (10 ms against 200 µs: 0.994, medians of 41 alternating rounds; sessions 9, 21 and 22
     * found the same), because the worker woken late still joins the loop's later chunks. Not
     * worth a core burning for 10 ms after every burst of loops.
     */
    static final long SPIN_NANOS = 200_000;

    private static volatile Pool pool = new Pool(defaultThreads(), SPIN_NANOS);

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
            pool = new Pool(threads, SPIN_NANOS);
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
        pool.forRange(n, grain, body);
    }

    /**
     * One parallel loop. Thread t (0 the caller, t the t-th worker) owns the t-th of
     * {@code threads} equal runs of chunks and takes them front to back; a thread out of chunks
     * of its own takes the others' from the back. Each thread thus touches the same part of the
     * data in every loop of a step (the same rows of an activation in the forward and in the
     * backward, the same half of a product's result), and keeps it in its own caches, where
     * chunks handed out first come first served went to either thread by chance. The claims are
     * cheaper too: each thread's run sits on its own cache line, where one shared counter
     * crossed between the cores at every chunk. Two threads on the Zen 5 VM, against that
     * counter, medians of alternating rounds: GPT step 0.976 and 1.001 while the VM was in its
     * fast state (80-90 ns round trip between the vCPUs) and 0.823, 0.852 and 0.854 in its slow
     * state (380-420 ns, which every line one thread wrote and the other then reads may cost);
     * one core 1.005 (the pool is not used);
     * attention forward + backward 0.745; LSTM step 0.939; 768 x 128 x 65 0.788, 1024^3 0.949,
     * 300^3 0.818; softmax 64 x 50257 0.896, LayerNorm forward + backward 768 x 128 0.925.
     */
    static final class Job {
        /** Longs between two threads' runs, so that claims on different runs share no cache line. */
        private static final int PAD = 8;

        final Range body;
        final int n;
        final int grain;
        final int chunks;
        final int threads;
        /** Thread t's run at t * PAD: the next chunk in the high half, the end in the low. */
        final AtomicLongArray runs;
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(Range body, int n, int grain, int chunks, int threads) {
            this.body = body;
            this.n = n;
            this.grain = grain;
            this.chunks = chunks;
            this.threads = threads;
            runs = new AtomicLongArray(threads * PAD);
            for (int t = 0; t < threads; t++) {
                long from = (long) chunks * t / threads;
                long to = (long) chunks * (t + 1) / threads;
                runs.set(t * PAD, from << 32 | to);
            }
        }

        /** Runs chunks until none is left: thread {@code self}'s own first, then the others'. */
        void work(int self) {
            int c;
            while ((c = claim(self, true)) >= 0) {
                run(c);
            }
            for (int k = 1; k < threads; k++) {
                int other = (self + k) % threads;
                while ((c = claim(other, false)) >= 0) {
                    run(c);
                }
            }
        }

        /** The first (owner) or last (anyone else) chunk left in thread t's run, or -1. */
        private int claim(int t, boolean front) {
            int i = t * PAD;
            while (true) {
                long r = runs.get(i);
                int next = (int) (r >>> 32);
                int end = (int) r;
                if (next >= end) {
                    return -1;
                }
                long taken = front ? (long) (next + 1) << 32 | end : (long) next << 32 | (end - 1);
                if (runs.compareAndSet(i, r, taken)) {
                    return front ? next : end - 1;
                }
            }
        }

        private void run(int c) {
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

    /** threads - 1 workers; package-private so that tests can build one with their own spin. */
    static final class Pool {
        static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

        final int threads;
        private final long spinNanos;
        final ReentrantLock lock = new ReentrantLock();
        final Thread[] workers;
        /** The current job, null between loops (so a finished loop's body can be collected). */
        volatile Job job;
        /**
         * Loops posted so far. Workers wait for this to change, not for {@code job}: a loop that
         * the caller finished alone before a parked worker woke leaves {@code job} null again,
         * and a worker that waited on {@code job} went straight back to sleep, still counting
         * its idle time from before it parked. It then slept through every later short loop, and
         * each of those paid the wake-up on the caller's side for nothing.
         */
        volatile long posted;
        /** Workers parked or about to park: only then does a new loop need unpark's system call. */
        private final AtomicInteger parked = new AtomicInteger();
        /** Times a worker has parked (each timed-out park counts again). */
        private final AtomicLong parks = new AtomicLong();
        volatile boolean stopped;

        Pool(int threads, long spinNanos) {
            this.threads = threads;
            this.spinNanos = spinNanos;
            workers = new Thread[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                int self = i + 1;
                Thread t = new Thread(() -> workerLoop(self), "jgrad-cpu-" + self);
                t.setDaemon(true);
                workers[i] = t;
                t.start();
            }
        }

        void forRange(int n, int grain, Range body) {
            if (n <= 0) {
                return;
            }
            int g = Math.max(grain, 1);
            int chunks = (int) (((long) n + g - 1) / g);
            if (chunks == 1 || threads == 1 || INSIDE.get() || !lock.tryLock()) {
                body.run(0, n);
                return;
            }
            try {
                run(new Job(body, n, g, chunks, threads));
            } finally {
                lock.unlock();
            }
        }

        /** Workers parked now or about to park. */
        int parkedWorkers() {
            return parked.get();
        }

        long parks() {
            return parks.get();
        }

        /**
         * Makes j the current loop and wakes parked workers. Only the lock holder calls it (and
         * tests, with null for a loop the caller finished before any worker looked).
         */
        void post(Job j) {
            job = j;
            posted = posted + 1;
            // A worker increments parked before its last look at posted, so either it sees this
            // loop or this read sees it parking (both volatile: one total order).
            if (parked.get() > 0) {
                for (Thread w : workers) {
                    LockSupport.unpark(w);
                }
            }
        }

        private void run(Job j) {
            post(j);
            INSIDE.set(true);
            try {
                j.work(0);
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

        private void workerLoop(int self) {
            INSIDE.set(true);
            long seen = posted;
            while (!stopped) {
                // Spin for spinNanos after the last loop seen, then park until the next one.
                long idleSince = System.nanoTime();
                while (!stopped && posted == seen) {
                    if (System.nanoTime() - idleSince < spinNanos) {
                        Thread.onSpinWait();
                    } else {
                        parked.incrementAndGet();
                        if (!stopped && posted == seen) {
                            parks.incrementAndGet();
                            LockSupport.parkNanos(this, 10_000_000L);
                        }
                        parked.decrementAndGet();
                    }
                }
                seen = posted;
                Job j = job;     // may be a later loop's, or null if this one is over: both fine
                if (j != null) {
                    j.work(self);
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
