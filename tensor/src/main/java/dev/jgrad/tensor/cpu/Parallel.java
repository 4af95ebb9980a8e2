package dev.jgrad.tensor.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The one thread pool of the CPU backend. Work is always cut into the same chunks whatever the
 * thread count (the grain is fixed by the caller), and no chunk's result depends on another's,
 * so results are bit-identical for any number of threads.
 */
public final class Parallel {
    private static volatile ForkJoinPool pool = newPool(defaultThreads());

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

    private static ForkJoinPool newPool(int threads) {
        return new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("jgrad-cpu-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    public static int threads() {
        return pool.getParallelism();
    }

    /** Sets the number of worker threads (at least 1); later kernels use the new pool. */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("setThreads: thread count must be at least 1, got " + threads);
        }
        if (threads != threads()) {
            ForkJoinPool old = pool;
            pool = newPool(threads);
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
        ForkJoinPool p = pool;
        if (chunks == 1 || p.getParallelism() == 1 || ForkJoinTask.inForkJoinPool()) {
            body.run(0, n);
            return;
        }
        p.invoke(new Chunks(body, n, g, 0, chunks));
    }

    private static final class Chunks extends RecursiveAction {
        private final Range body;
        private final int n;
        private final int grain;
        private final int from;
        private final int to;

        Chunks(Range body, int n, int grain, int from, int to) {
            this.body = body;
            this.n = n;
            this.grain = grain;
            this.from = from;
            this.to = to;
        }

        @Override
        protected void compute() {
            if (to - from == 1) {
                int lo = from * grain;
                body.run(lo, Math.min(n, lo + grain));
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Chunks(body, n, grain, from, mid), new Chunks(body, n, grain, mid, to));
        }
    }
}
