package dev.jgrad.tensor.cpu;

import dev.jgrad.tensor.Layout;
import dev.jgrad.tensor.Shape;

/**
 * Walks several operands of one shape row by row. Dims are coalesced first (size-1 dims
 * dropped, neighbours merged when every operand is contiguous across them), so a contiguous
 * array is one long row and kernels see the longest possible inner runs (candle
 * {@code cpu_backend/utils.rs} does the same).
 */
final class Strided {
    /** Receives one row: the storage offset of each operand and the row length. */
    @FunctionalInterface
    interface Row {
        void run(int[] offsets, int n);
    }

    /** Elements per parallel task; below this, threads cost more than they save. */
    static final int GRAIN = 1 << 15;

    /**
     * Elements from which a kernel that sums rows into columns splits the columns across threads.
     * 2^20 until session 28, when the pool's workers waited longer to park and the column sums
     * kept their columns in registers: bias gradients on two Zen 5 cores, 768 x 128 3.3 -> 2.4
     * µs, 768 x 384 13.1 -> 6.9, 768 x 512 20.0 -> 9.8 (one thread each, before: 3.2, 13.1, 19.9).
     */
    static final long PARALLEL_COLUMNS = 1L << 16;

    /**
     * Columns per task for a kernel that adds {@code elements} values row by row into {@code
     * cols} output columns (column sums, embedding backward): all of them below {@link
     * #PARALLEL_COLUMNS}, where waking another thread costs more than the adds, else one slice of
     * whole vectors per thread. Narrower slices (GRAIN / rows columns) had two threads writing
     * the same rows at once and sharing the cache line at every slice boundary: two threads ran
     * up to 12x slower than one.
     */
    static int columnSlice(long elements, int cols) {
        if (elements < PARALLEL_COLUMNS) {
            return Math.max(cols, 1);
        }
        return Math.ceilDiv(Math.ceilDiv(cols, Parallel.threads()), SimdKernels.L) * SimdKernels.L;
    }

    private final int[] dims;
    private final int[][] strides;
    private final int[] base;
    private final int numel;

    private Strided(int[] dims, int[][] strides, int[] base, int numel) {
        this.dims = dims;
        this.strides = strides;
        this.base = base;
        this.numel = numel;
    }

    /** All layouts must already have {@code shape} (expanded where broadcasting). */
    static Strided plan(Shape shape, Layout... layouts) {
        int k = layouts.length;
        int[] d = shape.dims();
        int[][] s = new int[k][];
        int[] base = new int[k];
        for (int o = 0; o < k; o++) {
            s[o] = layouts[o].strides();
            base[o] = layouts[o].offset();
        }
        int[] cd = new int[Math.max(d.length, 1)];
        int[][] cs = new int[k][cd.length];
        int r = 0;
        for (int i = d.length - 1; i >= 0; i--) {
            if (d[i] == 1) {
                continue;
            }
            boolean merge = r > 0;
            for (int o = 0; o < k && merge; o++) {
                merge = s[o][i] == cs[o][r - 1] * cd[r - 1];
            }
            if (merge) {
                cd[r - 1] *= d[i];
            } else {
                cd[r] = d[i];
                for (int o = 0; o < k; o++) {
                    cs[o][r] = s[o][i];
                }
                r++;
            }
        }
        if (r == 0) {
            // A single element: one row of length 1 (or none at all for an empty shape).
            cd[0] = shape.numel() == 0 ? 0 : 1;
            for (int o = 0; o < k; o++) {
                cs[o][0] = 1;
            }
            r = 1;
        }
        // Collected innermost-first; store outermost-first.
        int[] dims = new int[r];
        int[][] strides = new int[k][r];
        for (int i = 0; i < r; i++) {
            dims[i] = cd[r - 1 - i];
            for (int o = 0; o < k; o++) {
                strides[o][i] = cs[o][r - 1 - i];
            }
        }
        return new Strided(dims, strides, base, shape.numel());
    }

    int innerStride(int operand) {
        return strides[operand][dims.length - 1];
    }

    int inner() {
        return dims[dims.length - 1];
    }

    /** Visits every row, splitting the work across the pool when it is large enough. */
    void forEachRow(Row row) {
        if (numel == 0) {
            return;
        }
        int inner = inner();
        int rows = numel / inner;
        if (rows == 1) {
            // One long row: cut it into fixed chunks (elementwise work does not care).
            int k = base.length;
            Parallel.forRange(inner, elementGrain(inner), (lo, hi) -> {
                int[] off = new int[k];
                for (int o = 0; o < k; o++) {
                    off[o] = base[o] + lo * strides[o][0];
                }
                row.run(off, hi - lo);
            });
            return;
        }
        Parallel.forRange(rows, rowGrain(rows, inner), (lo, hi) -> runRows(lo, hi, row));
    }

    /** {@link #balanced} chunks of whole rows of rowLength elements, about {@link #GRAIN} elements a chunk. */
    static int rowGrain(int rows, int rowLength) {
        return balanced(rows, Math.max(1, GRAIN / Math.max(rowLength, 1)), 1);
    }

    /** {@link #balanced} chunks of one contiguous run of n elements, on whole vectors. */
    static int elementGrain(int n) {
        return balanced(n, GRAIN, SimdKernels.L);
    }

    /**
     * A chunk size near {@code grain} that cuts n into a multiple of the pool's threads (three
     * chunks of a 768 x 128 array on two threads kept one thread busy for two of them), rounded
     * up to {@code multiple} so that chunk boundaries stay on whole vectors: which elements a
     * kernel's vector body or its scalar tail computes never depends on the thread count.
     */
    static int balanced(int n, int grain, int multiple) {
        int threads = Parallel.threads();
        long chunks = ((long) n + grain - 1) / grain;
        if (threads == 1 || chunks <= 1) {
            return grain;
        }
        long even = (chunks + threads - 1) / threads * threads;
        long g = (n + even - 1) / even;
        return (int) Math.max(1, (g + multiple - 1) / multiple * multiple);
    }

    /** Visits every row in order on the calling thread. */
    void forEachRowSequential(Row row) {
        if (numel == 0) {
            return;
        }
        runRows(0, numel / inner(), row);
    }

    private void runRows(int lo, int hi, Row row) {
        int outer = dims.length - 1;
        int k = base.length;
        int[] idx = new int[outer];
        int[] off = base.clone();
        int rem = lo;
        for (int i = outer - 1; i >= 0; i--) {
            idx[i] = rem % dims[i];
            rem /= dims[i];
            for (int o = 0; o < k; o++) {
                off[o] += idx[i] * strides[o][i];
            }
        }
        int inner = inner();
        int[] arg = new int[k];
        for (int r = lo; r < hi; r++) {
            System.arraycopy(off, 0, arg, 0, k);
            row.run(arg, inner);
            for (int i = outer - 1; i >= 0; i--) {
                idx[i]++;
                for (int o = 0; o < k; o++) {
                    off[o] += strides[o][i];
                }
                if (idx[i] < dims[i]) {
                    break;
                }
                for (int o = 0; o < k; o++) {
                    off[o] -= strides[o][i] * dims[i];
                }
                idx[i] = 0;
            }
        }
    }
}
