package dev.jgrad.tensor.cpu;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Packed F32 GEMM in the BLIS layout: C (m, n) = A (m, k) x B (k, n), or C += A x B.
 *
 * <p>C is cut into tiles of at most {@link #MC} rows (fewer when that is what it takes to give
 * every thread work) x {@code nb} columns, one task each, and all tasks run in one parallel
 * region (every extra region costs a pool wake-up, about as much as packing a whole 512 x 512
 * operand). A task walks the k-slabs of {@link #KC} in ascending order; for each it needs its A
 * block (rows x KC, packed into {@code MR}-tall slivers, L2-resident) and its B block (KC x nb,
 * packed into {@code NR}-wide slivers, one sliver L1-resident at a time). A C block whose rows
 * would crowd a few L2 sets (a power-of-two row stride) runs in a scratch block instead, and
 * tasks go row block by row block, or column block by column block when B outgrows the L3.
 * Slivers are packed on demand, each by whichever task claims it first, so tasks sharing a block
 * pack it together and then wait only for slivers still in progress; a packer never waits on
 * anything, so this cannot deadlock, however many threads the pool actually gives us. Packing
 * reads A and B through arbitrary strides, so A x B^T and A^T x B cost no transpose copy
 * ({@link GemmPacking}), and pads partial slivers so the micro-kernel never branches. An A with
 * contiguous rows is packed as rows (a copy; row micro-kernels read it), any other A k-major (MR
 * values per k).
 *
 * <p>Summation order is fixed: every C element is one FMA chain over k in ascending order (a
 * later slab's accumulators start from what the earlier slab left in C), computed by exactly one
 * task. Results are bit-identical for any thread count.
 */
final class Gemm {
    private static final int L = SimdKernels.L;
    /**
     * Micro-tile rows. MR x 2 vectors of accumulators: 12 x 2 = 24 of AVX-512's 32 registers
     * (measured at n = 512 on one core: 6 x 32 reached 131 GFLOP/s, 12 x 32 reached 152), 5 x 2 =
     * 10 of AVX2's 16. Two FMA pipes with a 4-cycle latency need 8 independent sums in flight, so
     * 4 x 16 (8 accumulators, sessions 13-15) left no slack; 5 x 16 keeps 10 accumulators, the two
     * B vectors and the broadcasts in registers (no spill in the disassembly). Kernel alone over
     * 16 A slivers in L2 on a Zen 3 core, three runs of 21 rounds: 4 x 16 80-84, 5 x 16 84-87,
     * 3 x 24 70-76 GFLOP/s (FMA loop 94-96). A 6 x 16 tile (12 accumulators) leaves 4 registers
     * for the B vectors and the broadcasts, of which C2 keeps up to three live: it spilled one
     * accumulator to the stack inside the loop and ran at 40-43; 4 x 24 (12 too) spills as well.
     */
    static final int MR = L >= 16 ? 12 : 5;
    static final int NR = 2 * L;
    /** k-slab: one packed B sliver (KC x NR) stays in L1 while the A slivers stream past. */
    static final int KC = 256;
    /** Rows of one task: its packed A block (MC x KC) stays in L2. */
    static final int MC = 16 * MR;
    /**
     * Floats of C one task owns at most (256 KiB), so its block stays in L2 from one k-slab to
     * the next: every slab reads and writes the whole block, and a 192-row block of a 2048-wide
     * C (1.5 MiB) came back from L3 each time (one core, 2048^3: 87-89 -> 93-96 GFLOP/s; AVX2
     * 54-56 -> 60-64; two cores 184-192 -> 202-204; probe, same sitting).
     */
    static final int C_BLOCK = 1 << 16;
    /**
     * A task's C block whose rows start on the same L2 set more than this many times over (see
     * {@link #aliasedRows}) works in a scratch block with an odd number of cache lines per row,
     * copied back when its last slab is done. With a power-of-two row stride the block's rows
     * fight for a few sets' ways while the rest of L2 sits idle: at 2048^3, 80 rows 8 KiB apart
     * put 10 lines of C on each set they use, of 8 ways. Same sums in the same order, so the
     * same bits. Medians of 21 alternating rounds against working in C: 2048^3 206.0 -> 196.6 ms
     * on one core, 115.2 -> 109.5 on two; 1024^3 26.4 -> 25.6 and 13.3 -> 13.2 (5 rows a set);
     * 512^3 (3 rows a set) 3.14 -> 3.19 with the scratch, so not there; 702^3 (no aliasing)
     * even. All of that on Zen 3's 8-way L2; the threshold is half the L2's ways
     * ({@link CacheGeometry}), at least 4. Zen 5's L2 has 16 ways, and there 768 x 128 x 512 (6
     * rows a set) ran 431 -> 410 µs without the scratch and the GPT step 26.3 -> 26.0 ms (one
     * core, medians of 11-15 alternating rounds), while 1024^3 (12 rows a set) and 2048^3 (24)
     * ran 1.3% and 1.8% slower without it: a threshold of 8 there (session 26).
     */
    static final int ALIASED_ROWS = Math.max(4, CacheGeometry.L2_WAYS / 2);
    /**
     * Floats of packed B above which tasks go column block by column block instead of row block
     * by row block. Rows first reads all of B once per row block, and when B no longer fits the
     * L3 it comes from memory each time; columns first reuses one column block of B across every
     * row block and reads A once per column block instead (A's block for one task is an L2's
     * worth, B's a few MiB). 2048^3 with the scratch block, medians of 21 alternating rounds:
     * one core 198.5 -> 191.3 ms, two 105.8 -> 102.3; at 1024^3 (B 4 MiB) and below, within the
     * noise either way (+2.7% and -3.4% in two runs at 1024^3 on one core).
     */
    static final long COLUMNS_FIRST_B = 1L << 21;
    /**
     * Floats each pack buffer may hold (32 MiB, the size of OpenBLAS's per-thread buffer); larger
     * products are done in super-blocks. A 2048 x 2048 operand, padded to whole slivers, needs a
     * little more than 2^22.
     */
    static final int PACK_BUDGET = 1 << 23;
    /** The diagonal of {@link #sgemmLower} for a product computed whole. */
    static final int ALL = Integer.MAX_VALUE;
    /**
     * At most this many columns past the last whole B sliver are dot products
     * ({@link #edgeColumns}) rather than a register tile of their own, with AVX-512, when k is
     * at least {@link #EDGE_MIN_K}. A tile computes its whole width (16 or 32 columns) for every
     * row, 12 FMAs a step of k, whatever few of them are real; a dot product costs k / 16 FMAs
     * and a horizontal sum per row and column. 768 x 128 x 65 (GPT's vocabulary of 65) spent 14.5
     * of its 70.2 µs on its last column (64 columns: 55.7 µs; one Zen 5 core). These columns are
     * summed in {@link MatrixVector#dot}'s order (lane by lane, then across the lanes), not as one FMA chain:
     * still the same bits for any thread count and either layout of A. AVX2's 5 x 16 tiles waste
     * less, and were not measured with this.
     */
    static final int EDGE_DOTS = 4;
    /** Below this k the horizontal sums cost more than the tile saves. */
    static final int EDGE_MIN_K = 4 * L;

    /** At most this many rows take the matrix-vector path (no packing at all). */
    static final int GEMV_M = 2;
    /**
     * Whether a product whose width is not whole vectors may take the unpacked small-row kernel:
     * with AVX-512, from two vectors wide, where its eight-row tiles cover all but the last
     * columns and those go through a padded copy of B's last columns (see MatmulKernels.simd). On
     * one Zen 5 core the MLP step's two such products (27 x 32 x 200 and 32 x 27 x 200) took 5.77
     * µs packed against 4.94 (a probe in a JVM of its own), and the step 36.6 -> 35.4 µs (medians
     * of 21 alternating rounds; JMH forks of their own 36.0 and 37.9 against 35.0 and 35.4). A
     * first version with masked eight-row tiles ran its tile in C1's code (C1 ran out of virtual
     * registers compiling it, so C2 never did) and boxed 334 KB a call. Not where the packed path
     * would take its last columns as dot products ({@link #EDGE_DOTS}): which path runs depends on
     * the thread count, so both must give the same bits.
     */
    private static boolean smallAnyWidth(int n, int k) {
        int edge = n % NR;
        return L >= 16 && n >= 2 * L && (edge == 0 || edge > EDGE_DOTS || k < EDGE_MIN_K);
    }

    /** At most this many rows take the unpacked kernel. */
    static final int SMALL_M = 64;
    /**
     * Below this many multiply-adds one thread does the whole product. On two cores, with the
     * pool's workers spinning between loops (session 21), 128^3 (2^21) runs 51.0 -> 34.5 µs on
     * two threads against 2^22 here, while 64^3 (2^18) would run 16% slower than on one
     * ({@code ./jgrad bench-ab}, 21 alternating rounds; 256^3, the batched 48 x 256 x 64 x 64 and
     * the training steps unchanged). Sessions 4-21 used 2^22, when waking a parked worker cost more.
     */
    static final long PARALLEL_MIN = 1L << 20;
    /** Matrix-vector products are split across threads from this many multiply-adds (~2 µs of work). */
    static final long GEMV_PARALLEL_MIN = 1L << 15;

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** Pack buffers of one calling thread, grown on demand and reused by every later call. */
    private static final class Buffers {
        float[] a = new float[0];
        float[] b = new float[0];
        float[] c = new float[0];
        float[] cols = new float[0];
        /** The scratch tile of {@link #prepacked}'s last, partial A sliver. */
        final float[] edge = new float[MR * NR];

        float[] a(int size) {
            if (a.length < size) {
                a = new float[size];
            }
            return a;
        }

        float[] b(int size) {
            if (b.length < size) {
                b = new float[size];
            }
            return b;
        }

        float[] c(int size) {
            if (c.length < size) {
                c = new float[size];
            }
            return c;
        }

        float[] edgeColumns(int size) {
            if (cols.length < size) {
                cols = new float[size];
            }
            return cols;
        }
    }

    private Gemm() {
    }

    /**
     * C[co + i*ldc + j] (=|+=) sum_p A[ao + i*sam + p*sak] * B[bo + p*sbk + j*sbn].
     *
     * @param accumulate add into C instead of overwriting it
     * @param parallel   whether this call may use the pool (false inside pool tasks)
     */
    static void sgemm(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, int sbn,
                      float[] c, int co, int ldc, int m, int n, int k, boolean accumulate, boolean parallel) {
        sgemm(a, ao, sam, sak, b, bo, sbk, sbn, c, co, ldc, m, n, k, accumulate, parallel, PACK_BUDGET);
    }

    /**
     * C = bias + A B, the bias broadcast over the rows (C[i, j] starts from bias[biaso + j]):
     * the same bits as writing the bias into C and accumulating, but the packed path writes
     * each block's bias just before that block's first k slab, while the block is about to be
     * read anyway, instead of in a pass over all of C first.
     */
    static void sgemmBias(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, int sbn, float[] bias,
                          int biaso, float[] c, int co, int ldc, int m, int n, int k, boolean parallel) {
        sgemm(a, ao, sam, sak, b, bo, sbk, sbn, c, co, ldc, m, n, k, false, parallel, PACK_BUDGET, true, bias, biaso,
                ALL);
    }

    /**
     * As {@link #sgemm}, on the calling thread, for attention's tile products (bands of a
     * 64 x 64 tile times 32 columns, B rows 3C apart in the qkv projection): packed with AVX2,
     * the small-row kernel with AVX-512 ({@link #SMALL_TILES}).
     */
    static void sgemmTile(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, int sbn,
                          float[] c, int co, int ldc, int m, int n, int k, boolean accumulate) {
        sgemm(a, ao, sam, sak, b, bo, sbk, sbn, c, co, ldc, m, n, k, accumulate, false, PACK_BUDGET, SMALL_TILES,
                null, 0, ALL);
    }

    /**
     * Whether {@link #sgemmTile} may take the unpacked small-row kernel. On the AVX2 machine packing
     * paid: against the small-row kernel as it was (A read through its strides) the two forward
     * products of a tile took 10.0 against 12.1 µs, and attention forward + backward at GPT's
     * shape ran 1-13% faster; against the kernel reading A from a copied sliver, the products tie
     * (10.4 against 10.3 µs) and attention forward + backward still ran 3% faster packed (2.68
     * against 2.77 ms; probes alternating in one JVM). With AVX-512 the small-row kernel has its
     * 8 x 2 tiles, while the packed path's 12-row slivers pad a band of 16 rows to 24 and pack
     * both operands of every band again: in the GPT step (JFR, one Zen 5 core) attention's
     * packing took 8% of the step against 5% in its micro-kernels. Attention forward + backward
     * at GPT's shape, medians of 11 alternating rounds: one core 1154 -> 793 µs, two 803 -> 603;
     * the GPT step on one core 26.5 -> 25.0 ms (session 26).
     */
    static final boolean SMALL_TILES = L >= 16;

    /**
     * As {@link #sgemm}, on the calling thread, never taking the unpacked small-row kernel: the
     * packed path alone, which the tests hold the other paths to.
     */
    static void sgemmPacked(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, int sbn,
                            float[] c, int co, int ldc, int m, int n, int k, boolean accumulate) {
        sgemm(a, ao, sam, sak, b, bo, sbk, sbn, c, co, ldc, m, n, k, accumulate, false, PACK_BUDGET, false, null, 0,
                ALL);
    }

    /** As above, with the pack-buffer bound as a parameter so tests can force super-blocks. */
    static void sgemm(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, int sbn,
                      float[] c, int co, int ldc, int m, int n, int k, boolean accumulate, boolean parallel,
                      int packBudget) {
        sgemm(a, ao, sam, sak, b, bo, sbk, sbn, c, co, ldc, m, n, k, accumulate, parallel, packBudget, true, null, 0,
                ALL);
    }

    /**
     * As {@link #sgemmPacked} writing over C, for products of which only a lower triangle is
     * used, as attention's scores: C[i, j] is computed where j <= i + diag; past that diagonal C
     * may keep what it held. The packed path skips the register tiles wholly past it (those
     * across it are computed whole; the one- and two-row path computes everything). A causal
     * 64 x 64 score tile, 5 x 16 register tiles: 34 of 52 computed.
     * Attention at GPT's shape (12 x 4 heads, T = 64, hs = 32), one core, medians of 41
     * alternating rounds against computing whole tiles: forward 758 -> 706 µs, forward + backward
     * 2504 -> 2374 µs (two cores 2038 -> 1880).
     */
    static void sgemmLower(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, int sbn,
                           float[] c, int co, int ldc, int m, int n, int k, int diag) {
        sgemmLower(a, ao, sam, sak, b, bo, sbk, sbn, c, co, ldc, m, n, k, diag, PACK_BUDGET);
    }

    /** As above, with the pack-buffer bound as a parameter so tests can force super-blocks. */
    static void sgemmLower(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, int sbn,
                           float[] c, int co, int ldc, int m, int n, int k, int diag, int packBudget) {
        sgemm(a, ao, sam, sak, b, bo, sbk, sbn, c, co, ldc, m, n, k, false, false, packBudget, false, null, 0, diag);
    }

    private static void sgemm(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, int sbn,
                              float[] c, int co, int ldc, int m, int n, int k, boolean accumulate, boolean parallel,
                              int packBudget, boolean smallRows, float[] bias, int biaso, int diag) {
        if (m == 0 || n == 0) {
            return;
        }
        boolean par = parallel && Parallel.threads() > 1 && (long) m * n * k >= PARALLEL_MIN;
        boolean gemv = m <= GEMV_M && (sbk == 1 || sbn == 1);
        boolean small = smallRows && !par && m <= SMALL_M && sbn == 1 && (n % L == 0 || smallAnyWidth(n, k));
        if (bias != null && (k == 0 || gemv || small)) {
            // Paths without blocks: the bias into all of C first, then the product added.
            fillBias(bias, biaso, c, co, ldc, 0, m, 0, n);
            sgemm(a, ao, sam, sak, b, bo, sbk, sbn, c, co, ldc, m, n, k, true, parallel, packBudget, smallRows, null, 0,
                    diag);
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(c, co + i * ldc, co + i * ldc + n, 0f);
                }
            }
            return;
        }
        if (gemv) {
            // A few rows (decoding one token at a time): packing B would copy it to use it once.
            Parallel.Range cols = (lo, hi) -> {
                for (int i = 0; i < m; i++) {
                    if (sbk == 1) {
                        MatrixVector.rowTimesTransposed(a, ao + i * sam, sak, b, bo, sbn, c, co + i * ldc, lo, hi, k,
                                accumulate);
                    } else {
                        MatrixVector.rowTimesRows(a, ao + i * sam, sak, b, bo, sbk, c, co + i * ldc, lo, hi, k,
                                accumulate);
                    }
                }
            };
            // One contiguous slice of the weight per thread: a GEMV streams the matrix once, so two
            // cores give it two caches' worth of bandwidth (and, token after token, each core finds its
            // slice still in its own L2). Multiples of 4 keep dot4's groups where one thread puts them.
            int threads = Parallel.threads();
            int grain = (int) Math.max(4 * L, ((long) n + threads - 1) / threads + 3 & ~3L);
            if (threads > 1 && parallel && (long) m * n * k >= GEMV_PARALLEL_MIN) {
                Parallel.forRange(n, grain, cols);
            } else {
                cols.run(0, n);
            }
            return;
        }
        if (small) {
            // Few rows: packing B would cost more than it saves; stream B's rows directly. Same
            // summation order as the packed path, so the choice never shows in the result. Whole
            // vectors only: with a masked last vector on every row (n = 200, the MLP's hidden
            // layer) the MLP step measured 3% slower than with packing.
            MatmulKernels.simd(a, ao, sam, sak, b, bo, sbk, c, co, ldc, n, k, 0, m, accumulate);
            return;
        }
        // A with contiguous rows (the activations of a Linear, the queries of attention) is packed
        // row by row, a plain copy; other layouts are transposed into k-major slivers. See packA.
        boolean rowsA = sak == 1;
        int aRow = rowsA ? (k + KC - 1) / KC * KC : k;
        // Super-blocks keep the packed copies of A (ms x aRow) and B (k x ns) within PACK_BUDGET,
        // as few as that allows and of equal size: every row super-block packs all of B again, and
        // rounding 2048^3 down to whole MC blocks left a 128-row remainder that packed the whole
        // 16 MB of B for 6% of the work.
        Buffers buf = BUFFERS.get();
        Edge edge = edgeColumns(b, bo, sbk, sbn, n, k, diag, buf);
        int main = edge == null ? n : n - edge.count;
        int ms = superBlock(m, Math.max(MR, packBudget / aRow / MR * MR), MR);
        int ns = superBlock(main, Math.max(NR, packBudget / k / NR * NR), NR);
        for (int ic = 0; ic < m; ic += ms) {
            for (int jc = 0; jc < main; jc += ns) {
                region(a, ao + ic * sam, sam, sak, b, bo + jc * sbn, sbk, sbn, c, co + ic * ldc + jc, ldc,
                        Math.min(ms, m - ic), Math.min(ns, main - jc), k, accumulate, par, rowsA, buf, bias,
                        biaso + jc, diag == ALL ? ALL : diag + ic - jc, jc + ns >= main ? edge : null);
            }
        }
    }

    /**
     * The last columns of B when they are to be dot products (see {@link #EDGE_DOTS}): {@code count}
     * columns, column q contiguous along k from {@code off + q * stride} of {@code cols}. B's own
     * storage when its columns are contiguous (A x W^T: they are W's rows), else a copy.
     */
    private record Edge(float[] cols, int off, int stride, int count) {
    }

    /** The edge of a product of width n, or null when it is packed like the rest. */
    private static Edge edgeColumns(float[] b, int bo, int sbk, int sbn, int n, int k, int diag, Buffers buf) {
        int count = n % NR;
        if (L < 16 || diag != ALL || n < NR || count == 0 || count > EDGE_DOTS || k < EDGE_MIN_K) {
            return null;
        }
        int first = bo + (n - count) * sbn;
        if (sbk == 1) {
            return new Edge(b, first, sbn, count);
        }
        float[] cols = buf.edgeColumns(count * k);
        for (int q = 0; q < count; q++) {
            for (int p = 0; p < k; p++) {
                cols[q * k + p] = b[first + q * sbn + p * sbk];
            }
        }
        return new Edge(cols, 0, k, count);
    }

    /** {@code rows} x {@code cols} floats from src (row stride sld) to dst (row stride dld). */
    private static void copyRows(float[] src, int so, int sld, float[] dst, int dOff, int dld, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, so + r * sld, dst, dOff + r * dld, cols);
        }
    }

    /** C rows [r0, r1) x columns [j0, j1) := bias[biaso + j]. */
    private static void fillBias(float[] bias, int biaso, float[] c, int co, int ldc, int r0, int r1, int j0, int j1) {
        for (int i = r0; i < r1; i++) {
            System.arraycopy(bias, biaso + j0, c, co + i * ldc + j0, j1 - j0);
        }
    }

    /**
     * Size of the super-blocks that cut {@code extent} into as few pieces as {@code max} allows,
     * all of one size (a multiple of {@code unit}) but the last.
     */
    static int superBlock(int extent, int max, int unit) {
        int pieces = (extent + max - 1) / max;
        int size = (extent + pieces - 1) / pieces;
        return (size + unit - 1) / unit * unit;
    }

    private static void region(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, int sbn,
                               float[] c, int co, int ldc, int m, int n, int k, boolean accumulate, boolean par,
                               boolean rowsA, Buffers buf, float[] bias, int biaso, int diag, Edge dots) {
        int slabs = (k + KC - 1) / KC;
        int aSlivers = (m + MR - 1) / MR;
        int bSlivers = (n + NR - 1) / NR;
        int mc = rowsPerTask(m, par);
        int nb = sliversPerTask(mc, (m + mc - 1) / mc, bSlivers, par);
        int colTasks = (bSlivers + nb - 1) / nb;
        int[] rowBounds = rowBounds(m, mc, par);
        int rowTasks = rowBounds.length - 1;
        // Packed layout: slab by slab; within a slab, sliver after sliver, each kc deep (A's row
        // slivers keep a stride of KC per row even in a shorter last slab: see packRows).
        int aStride = rowsA ? KC : 0;
        float[] pa = buf.a(aSlivers * MR * (rowsA ? slabs * KC : k));
        float[] pb = buf.b(bSlivers * NR * k);
        Packing packing = new Packing(aSlivers * slabs, bSlivers * slabs, par);
        // A C block whose rows alias in L2 works in a scratch block instead (see ALIASED_ROWS).
        boolean scratch = diag == ALL && aliasedRows(ldc, mc) > ALIASED_ROWS;
        boolean columnsFirst = (long) k * n > COLUMNS_FIRST_B;
        int sld = scratchStride(nb);
        // Aᵀ x B (a weight gradient, A = dy stored k-major) with AVX-512: the 12-row kernel reads
        // each full sliver where it lies, its k steps sak apart, instead of a packed copy; only a
        // last partial sliver is packed. The 12 values of a k step are side by side either way,
        // so one register addresses them; what packing bought (a contiguous sliver) was worth
        // less than the copy. One Zen 5 core, medians of 11 alternating rounds: GPT's weight
        // gradients 384 x 768 x 128 349 -> 305 µs, 512 x 768 x 128 479 -> 417, 128 x 768 x 512
        // 467 -> 457; 512^3 1139 -> 1095, 1024^3 10.57 -> 9.73 ms; two cores 0.87-0.97. Steps
        // (bench-ab, 15-21 rounds): GPT 0.977 on one core, 0.967 on two; LSTM 0.938; MLP 0.986.
        // Larger: 2048 x 512 x 512 0.897, 4096 x 256 x 256 0.895, 2048^3 0.955. The AVX2 kernels
        // (5 rows) keep packing: run as AVX2 on this machine (-XX:UseAVX=2), reading in place
        // took GPT's shapes 0.92-0.95 but 1024^3 1.54 times slower (not tried on a real AVX2
        // machine).
        boolean directA = !rowsA && sam == 1 && MR == 12;
        Parallel.Range tasks = (lo, hi) -> {
            float[] edge = new float[MR * NR];
            // Each chunk is one task, which walks its slabs in order while its C block stays in L2.
            for (int t = lo; t < hi; t++) {
                int rt = columnsFirst ? t % rowTasks : t / colTasks;
                int ct = columnsFirst ? t / rowTasks : t % colTasks;
                int r0 = rowBounds[rt];
                int r1 = rowBounds[rt + 1];
                int s0 = ct * nb;
                int s1 = Math.min(bSlivers, s0 + nb);
                int j0 = s0 * NR;
                int j1 = Math.min(n, s1 * NR);
                // Where the block lives while its slabs run: in C, or at (r0, j0) of the scratch.
                float[] cc = c;
                int cb = co;
                int ld = ldc;
                if (scratch) {
                    cc = BUFFERS.get().c((r1 - r0) * sld);
                    ld = sld;
                    cb = -r0 * sld - j0;
                    if (accumulate) {
                        copyRows(c, co + r0 * ldc + j0, ldc, cc, 0, ld, r1 - r0, j1 - j0);
                    }
                }
                for (int q = 0; q < slabs; q++) {
                    int pc = q * KC;
                    int kc = Math.min(KC, k - pc);
                    int aSlab = pc * aSlivers * MR;
                    int bSlab = pc * bSlivers * NR;
                    // Slivers are claimed one by one, so the tasks that share a block pack it
                    // together instead of one packing while the others wait.
                    int a0 = q * aSlivers + r0 / MR;
                    int a1 = q * aSlivers + (r1 + MR - 1) / MR;
                    for (int x = a0; x < a1; x++) {
                        if (packing.claim(true, x)) {
                            int i = (x - q * aSlivers) * MR;
                            if (directA && i + MR <= m) {
                                packing.done(true, x);   // read in place by block
                                continue;
                            }
                            int dst = aSlab + i * (rowsA ? KC : kc);
                            if (rowsA) {
                                GemmPacking.packRows(a, ao + i * sam + pc, sam, Math.min(MR, r1 - i), kc, pa,
                                        dst);
                            } else {
                                GemmPacking.packA(a, ao + i * sam + pc * sak, sam, sak, Math.min(MR, r1 - i), kc,
                                        pa, dst);
                            }
                            packing.done(true, x);
                        }
                    }
                    for (int x = q * bSlivers + s0; x < q * bSlivers + s1; x++) {
                        if (packing.claim(false, x)) {
                            int j = (x - q * bSlivers) * NR;
                            GemmPacking.packB(b, bo + j * sbn + pc * sbk, sbk, sbn, Math.min(NR, n - j), kc, pb,
                                    bSlab + j * kc);
                            packing.done(false, x);
                        }
                    }
                    for (int x = a0; x < a1; x++) {
                        packing.await(true, x);
                    }
                    for (int x = q * bSlivers + s0; x < q * bSlivers + s1; x++) {
                        packing.await(false, x);
                    }
                    if (bias != null && q == 0) {
                        // This block's first slab: its bias now, while the block is about to be read.
                        fillBias(bias, biaso, cc, cb, ld, r0, r1, j0, j1);
                    }
                    block(pa, aSlab, aStride, directA ? a : null, ao + pc * sak, sak, pb, bSlab, kc, cc, cb, ld, r0, r1,
                            s0, s1, n, accumulate || q > 0 || bias != null, edge, diag);
                }
                if (scratch) {
                    copyRows(cc, 0, ld, c, co + r0 * ldc + j0, ldc, r1 - r0, j1 - j0);
                }
                if (dots != null && s1 == bSlivers) {
                    // The columns past n, this task's rows: the task of the last column block owns them.
                    if (bias != null) {
                        fillBias(bias, biaso + n, c, co + n, ldc, r0, r1, 0, dots.count);
                    }
                    // Contiguous rows of A four at a time against each column (four chains in
                    // flight: one dot at a time waits on its own FMA chain and sum), other rows
                    // copied one at a time; the same values in the same order either way, so
                    // both layouts of A give the same bits here too.
                    boolean acc = accumulate || bias != null;
                    int i0 = r0;
                    if (rowsA) {
                        for (; i0 + 4 <= r1; i0 += 4) {
                            for (int q = 0; q < dots.count; q++) {
                                MatrixVector.dot4(dots.cols, dots.off + q * dots.stride, a, ao + i0 * sam, sam, k, c,
                                        co + i0 * ldc + n + q, ldc, acc);
                            }
                        }
                    }
                    float[] row = rowsA ? a : new float[k];
                    for (int i = i0; i < r1; i++) {
                        int at = ao + i * sam;
                        if (!rowsA) {
                            for (int p = 0; p < k; p++) {
                                row[p] = a[at + p * sak];
                            }
                            at = 0;
                        }
                        MatrixVector.rowTimesTransposed(row, at, 1, dots.cols, dots.off, dots.stride, c,
                                co + i * ldc + n, 0, dots.count, k, acc);
                    }
                }
            }
        };
        int count = rowTasks * colTasks;
        if (par) {
            Parallel.forRange(count, 1, tasks);
        } else {
            for (int t = 0; t < count; t++) {
                tasks.run(t, t + 1);
            }
        }
    }

    /**
     * Pack state of every sliver of every slab: 0 not packed, 1 being packed, 2 ready. Atomic
     * only when tasks run on several threads: each compare-and-set and volatile store is a full
     * fence that waits for the sliver's stores to drain, 40 of them in a 64 x 64 x 32 product
     * (attention's tile), which runs on one thread anyway.
     */
    private static final class Packing {
        private final AtomicIntegerArray a;
        private final AtomicIntegerArray b;
        private final byte[] aSerial;
        private final byte[] bSerial;

        Packing(int aBlocks, int bBlocks, boolean shared) {
            a = shared ? new AtomicIntegerArray(aBlocks) : null;
            b = shared ? new AtomicIntegerArray(bBlocks) : null;
            aSerial = shared ? null : new byte[aBlocks];
            bSerial = shared ? null : new byte[bBlocks];
        }

        /** True when the caller won A's (or B's) sliver i and must pack it now. */
        boolean claim(boolean ofA, int i) {
            AtomicIntegerArray s = ofA ? a : b;
            if (s == null) {
                byte[] t = ofA ? aSerial : bSerial;
                if (t[i] != 0) {
                    return false;
                }
                t[i] = 2;   // one thread: packed before anyone looks again
                return true;
            }
            return s.get(i) == 0 && s.compareAndSet(i, 0, 1);
        }

        void done(boolean ofA, int i) {
            AtomicIntegerArray s = ofA ? a : b;
            if (s != null) {
                s.set(i, 2);
            }
        }

        /** Waits for a sliver another task is packing right now (it never blocks on anything). */
        void await(boolean ofA, int i) {
            AtomicIntegerArray s = ofA ? a : b;
            if (s == null) {
                return;
            }
            while (s.get(i) != 2) {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * Rows per task: {@link #MC}, or fewer (down to 4 slivers) when that is needed for enough
     * tasks to keep every thread busy. Cutting rows before columns keeps tasks from sharing an A
     * block (whose packing the others would wait for) and from writing neighbouring columns of
     * the same C rows (cache lines that would bounce between cores). On two threads, with the
     * sliver-by-sliver packing: 768 x 128 x 128 went from 116-134 to 161-179 GFLOP/s, 768 x 512 x
     * 128 from 141-153 to 196-203, 768 x 128 x 65 from 76-79 to 108-110 (probe, same sitting).
     */
    private static int rowsPerTask(int m, boolean par) {
        int mc = MC;
        if (par) {
            int want = 4 * Parallel.threads();
            while (mc > 4 * MR && (m + mc - 1) / mc < want) {
                mc = (mc / 2 + MR - 1) / MR * MR;
            }
        }
        return mc;
    }

    /**
     * Where the row tasks start, then m. On one thread: blocks of mc rows, the last one shorter.
     * Split across threads: as many tasks as blocks of mc would make, rounded up to a multiple of
     * the thread count, with A's slivers dealt out evenly (task sizes differ by at most one
     * sliver). The pool gives each thread an equal run of consecutive tasks (see {@link
     * Parallel}), so equal tasks are equal work for every thread, and a thread keeps the same
     * rows of A and C from one call to the next. Two threads, against session 30's whole blocks
     * with the last ones halved (made for chunks taken first come first served), both under the
     * pool's runs, medians of 15 alternating rounds: 512^3 0.963, 702^3 0.943, 1024^3 0.950,
     * 2048^3 0.980, 768 x 512 x 128 0.966, 768 x 128 x 65 0.955, 768 x 128 x 128 0.967.
     */
    static int[] rowBounds(int m, int mc, boolean par) {
        int slivers = (m + MR - 1) / MR;
        int blocks = (m + mc - 1) / mc;
        int threads = Parallel.threads();
        if (!par || threads == 1) {
            int[] bounds = new int[blocks + 1];
            for (int i = 0; i < blocks; i++) {
                bounds[i] = i * mc;
            }
            bounds[blocks] = m;
            return bounds;
        }
        int tasks = Math.min(slivers, (blocks + threads - 1) / threads * threads);
        int[] bounds = new int[tasks + 1];
        for (int i = 0; i <= tasks; i++) {
            bounds[i] = (int) Math.min(m, (long) slivers * i / tasks * MR);
        }
        return bounds;
    }

    /**
     * How many rows of a block of {@code rows} rows, {@code ldc} floats apart, start on the same
     * L2 set: rows whose starts are a multiple of the L2's way size apart (64 KiB: 512 KiB of 8
     * ways on Zen 3, 1 MiB of 16 on Intel's server cores) compete for one set's ways.
     */
    static int aliasedRows(int ldc, int rows) {
        int way = 1 << 16;
        int stride = (int) ((long) ldc * Float.BYTES % way);
        // The way is a power of two, so rows repeat after way / (the stride's lowest set bit).
        int period = stride == 0 ? 1 : way / Integer.lowestOneBit(stride);
        return (rows + period - 1) / period;
    }

    /** Row stride of the scratch C block: nb slivers or more, an odd number of cache lines (16 floats). */
    static int scratchStride(int nb) {
        int lines = (nb * NR + 15) / 16;
        return (lines | 1) * 16;
    }

    /**
     * B slivers per task: no more than fit {@link #C_BLOCK} with mc rows, and few enough for
     * enough tasks to keep every thread busy.
     */
    private static int sliversPerTask(int mc, int rowTasks, int bSlivers, boolean par) {
        int nb = Math.max(1, Math.min(bSlivers, C_BLOCK / (mc * NR)));
        if (!par) {
            return nb;
        }
        int want = 4 * Parallel.threads();
        while (nb > 1 && rowTasks * ((bSlivers + nb - 1) / nb) < want) {
            nb = (nb + 1) / 2;
        }
        return nb;
    }

    /**
     * A (m, k) packed slab by slab as {@link #region} packs it (row slivers KC apart when its rows
     * are contiguous, k-major slivers otherwise), into this thread's A buffer, which it returns:
     * for products against a right-hand side packed beforehand ({@link #prepacked}).
     */
    static float[] packAllA(float[] a, int ao, int sam, int sak, int m, int k) {
        boolean rowsA = sak == 1;
        int slabs = (k + KC - 1) / KC;
        int aSlivers = (m + MR - 1) / MR;
        float[] pa = BUFFERS.get().a(aSlivers * MR * (rowsA ? slabs * KC : k));
        for (int q = 0; q < slabs; q++) {
            int pc = q * KC;
            int kc = Math.min(KC, k - pc);
            int aSlab = pc * aSlivers * MR;
            for (int i = 0; i < m; i += MR) {
                if (rowsA) {
                    GemmPacking.packRows(a, ao + i * sam + pc, sam, Math.min(MR, m - i), kc, pa, aSlab + i * KC);
                } else {
                    GemmPacking.packA(a, ao + i * sam + pc * sak, sam, sak, Math.min(MR, m - i), kc, pa,
                            aSlab + i * kc);
                }
            }
        }
        return pa;
    }

    /**
     * C rows [0, m) x columns [0, NR) from co (=|+=) A, packed by
     * {@link #packAllA}, x one B sliver k deep at {@code bo} (NR floats per k, the layout of
     * {@link MatmulKernels#panels}' full panels): the micro-kernel slab by slab, as in
     * {@link #region}, so the same bits.
     */
    static void prepacked(float[] pa, boolean rowsA, int m, float[] b, int bo, int k, float[] c, int co, int ldc,
                          boolean accumulate) {
        int aSlivers = (m + MR - 1) / MR;
        float[] edge = m % MR == 0 ? null : BUFFERS.get().edge;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            block(pa, pc * aSlivers * MR, rowsA ? KC : 0, null, 0, 0, b, bo + pc * NR, kc, c, co, ldc, 0, m, 0, 1,
                    NR, accumulate || pc > 0, edge, ALL);
        }
    }

    /**
     * One task and slab: rows [r0, r1) of packed A against packed B slivers [s0, s1). aStride is
     * {@link #KC} when A was packed by {@link GemmPacking#packRows}, 0 when by {@link GemmPacking#packA} (k-major).
     * Tiles wholly past the diagonal (every column j > row i + diag) are skipped; {@link #ALL}
     * skips none. With {@code da} not null, full slivers are read from A itself (row i at
     * {@code dao + i}, k steps {@code dak} apart) and only a partial one from pa.
     */
    private static void block(float[] pa, int aSlab, int aStride, float[] da, int dao, int dak, float[] pb, int bSlab,
                              int kc, float[] c, int cBase, int ldc, int r0, int r1, int s0, int s1, int nc,
                              boolean acc, float[] edge, int diag) {
        for (int s = s0; s < s1; s++) {
            int j = s * NR;
            int cols = Math.min(NR, nc - j);
            int pbi = bSlab + s * NR * kc;
            for (int i = r0; i < r1; i += MR) {
                int rows = Math.min(MR, r1 - i);
                if (j - (i + rows - 1) > diag) {
                    continue;   // even the tile's last row sees none of its columns
                }
                int pai = aSlab + i * (aStride > 0 ? aStride : kc); // sliver i / MR starts at i * (row length)
                float[] sa = pa;
                int as = MR;
                if (da != null && rows == MR) {
                    // A full k-major sliver read where it lies (see directA in region)
                    sa = da;
                    pai = dao + i;
                    as = dak;
                }
                int cp = cBase + i * ldc + j;
                boolean direct = rows == MR || GemmMicroKernels.PARTIAL_ROWS;
                if (direct && cols == NR) {
                    GemmMicroKernels.micro(sa, pai, aStride > 0, as, pb, pbi, kc, c, cp, ldc, rows, acc);
                } else if (direct && cols == L) {
                    GemmMicroKernels.microHalf(sa, pai, aStride > 0, as, pb, pbi, kc, c, cp, ldc, rows, acc);
                } else {
                    // Edge tile: run the kernel on a scratch tile, copy the valid part back. At most
                    // one vector of real columns (N = 65 leaves one) takes the one-vector kernel.
                    // Only the real part of C goes in: the lanes and rows past it hold whatever an
                    // earlier tile left there, and what the kernel makes of them is never copied
                    // back (the element-by-element copy that zeroed them was a tenth of the MLP's
                    // 200 x 32 x 30 weight gradient; JFR, one core). For the same reason B's
                    // columns past the real ones need not be zero.
                    boolean half = cols <= L;
                    if (acc) {
                        copyRows(c, cp, ldc, edge, 0, NR, rows, cols);
                    }
                    if (half) {
                        GemmMicroKernels.microHalf(sa, pai, aStride > 0, as, pb, pbi, kc, edge, 0, NR, MR, acc);
                    } else {
                        GemmMicroKernels.micro(sa, pai, aStride > 0, as, pb, pbi, kc, edge, 0, NR, MR, acc);
                    }
                    copyRows(edge, 0, NR, c, cp, ldc, rows, cols);
                }
            }
        }
    }
}
