package dev.jgrad.tensor.cpu;

import static dev.jgrad.tensor.cpu.GemmMicroKernels.load;
import static dev.jgrad.tensor.cpu.GemmMicroKernels.store;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Matrix-multiply kernels, numbered from the obvious to the fast (llm.c keeps its naive kernel
 * beside the tuned one); kernel 2, the packed GEMM, is {@link Gemm}. All compute C (M, N) = A (M, K) x B (K, N) for one matrix, reading A
 * and B through strides and writing a contiguous C with row stride N; each output element is
 * summed in ascending k by one thread, so results never depend on the thread count.
 */
public final class MatmulKernels {
    private static final int L = SimdKernels.L;
    /** Rows of A per micro-tile: 4 rows x 2 vectors = 8 accumulators, 6 registers to spare. */
    private static final int MR = 4;
    /** k-block: keeps one B panel (KC x 2L floats) resident in L1/L2 while A rows stream by. */
    private static final int KC = 256;

    private MatmulKernels() {
    }

    /** Kernel 0, the oracle: i-j-k triple loop, accumulating in double. */
    public static void naive(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk, int sbn,
                             float[] c, int co, int m, int n, int k) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[ao + i * sam + p * sak] * b[bo + p * sbk + j * sbn];
                }
                c[co + i * n + j] = (float) s;
            }
        }
    }

    /** Kernel 0 in float64, also the F64 backend kernel (i-k-j order for locality). */
    public static void naiveF64(double[] a, int ao, int sam, int sak, double[] b, int bo, int sbk, int sbn,
                                double[] c, int co, int m, int n, int k) {
        for (int i = 0; i < m; i++) {
            int crow = co + i * n;
            java.util.Arrays.fill(c, crow, crow + n, 0.0);
            for (int p = 0; p < k; p++) {
                double av = a[ao + i * sam + p * sak];
                int brow = bo + p * sbk;
                for (int j = 0; j < n; j++) {
                    c[crow + j] += av * b[brow + j * sbn];
                }
            }
        }
    }

    /** Integer matmul (wrapping like Java int arithmetic). */
    public static void naiveI32(int[] a, int ao, int sam, int sak, int[] b, int bo, int sbk, int sbn,
                                int[] c, int co, int m, int n, int k) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[ao + i * sam + p * sak] * b[bo + p * sbk + j * sbn];
                }
                c[co + i * n + j] = s;
            }
        }
    }

    /**
     * Kernel 1: register-blocked SIMD for rows [rowLo, rowHi) of C (row stride ldc), reading B's
     * rows in place. {@link Gemm} uses it for products of few rows, where packing B costs more
     * than it saves. B must have unit column stride; A may have any strides (each block of four
     * rows is copied once per k block, rows side by side when they are contiguous and k-major
     * otherwise, so the four-row tile reads it at fixed offsets). Every C element is
     * one FMA chain over k in ascending order, starting from zero or, when accumulating, from C,
     * and continued block after block of {@link #KC} from what the last block left in C: the
     * packed kernel sums the same way, so which of the two runs a product never changes its bits.
     * With AVX-512 the eight-row tiles also take the columns past the last two-vector tile: B's
     * last columns are copied once per k block into zero-padded rows two vectors wide, and an
     * eight-row tile runs on them into a scratch tile whose real columns are copied into C (masked
     * loads and stores in a tile of their own made C1 give up on it, and it ran boxed).
     */
    public static void simd(float[] a, int ao, int sam, int sak, float[] b, int bo, int sbk,
                            float[] c, int co, int ldc, int n, int k, int rowLo, int rowHi, boolean accumulate) {
        if (k == 0 && !accumulate) {
            // No k block to start the chains from zero: C is the empty sum.
            for (int i = rowLo; i < rowHi; i++) {
                java.util.Arrays.fill(c, co + i * ldc, co + i * ldc + n, 0f);
            }
        }
        int whole = n / (2 * L) * (2 * L);   // columns the two-vector tiles cover
        float[] sliver = n >= L && rowHi - rowLo >= MR ? SLIVER.get() : null;
        for (int kb = 0; kb < k; kb += KC) {
            int kc = Math.min(KC, k - kb);
            // The first k block overwrites C (its chains start from zero, not from a zero-filled C).
            boolean acc = accumulate || kb > 0;
            // Row blocks outside, column blocks inside: each block's A values are gathered once
            // for all of its columns. Every C element still gets one FMA chain per k block, so
            // the loop order does not change a bit.
            int i = rowLo;
            if (WIDE) {
                float[] tail = null;
                int tailAt = 0;
                if (whole < n && rowHi - i >= 2 * MR) {
                    // The columns past the two-vector tiles, copied once per k block into rows of
                    // whole vectors, zero-padded, so that eight-row tiles run on them unmasked.
                    tail = TAIL.get();
                    int w = n - whole;
                    for (int p = 0; p < kc; p++) {
                        int src = bo + (kb + p) * sbk + whole;
                        System.arraycopy(b, src, tail, p * 2 * L, w);
                        java.util.Arrays.fill(tail, p * 2 * L + w, (p + 1) * 2 * L, 0f);
                    }
                    tailAt = 2 * L * KC;
                }
                for (; i + 2 * MR <= rowHi; i += 2 * MR) {
                    for (int j = 0; j < whole; j += 2 * L) {
                        tile8x2(a, ao + i * sam + kb * sak, sam, sak, b, bo + kb * sbk + j, sbk, c, co + i * ldc + j,
                                ldc, kc, acc);
                    }
                    if (tail != null) {
                        // C's tail columns of these rows through a scratch tile (2L wide), as the packed
                        // path's edge tiles: only the real columns go in and come out.
                        int w = n - whole;
                        int cp = co + i * ldc + whole;
                        if (acc) {
                            for (int r = 0; r < 2 * MR; r++) {
                                System.arraycopy(c, cp + r * ldc, tail, tailAt + r * 2 * L, w);
                            }
                        }
                        tile8x2(a, ao + i * sam + kb * sak, sam, sak, tail, 0, 2 * L, tail, tailAt, 2 * L, kc, acc);
                        for (int r = 0; r < 2 * MR; r++) {
                            System.arraycopy(tail, tailAt + r * 2 * L, c, cp + r * ldc, w);
                        }
                    }
                }
            }
            int eights = i;   // rows whose every column is done
            // Blocks of four rows; the last one may hold fewer real rows, zero-padded in the copy
            // (the tiles load and store only the real ones), so every row runs four FMA chains
            // at a time instead of one. A last whole vector of columns (n = 200 leaves 8) takes
            // the one-vector tiles from the same copy.
            int wide = n - whole >= L ? whole + L : whole;
            int blocks = i;
            for (; i < rowHi && sliver != null; i += MR) {
                int rows = Math.min(MR, rowHi - i);
                int base = ao + i * sam + kb * sak;
                int cp = co + i * ldc;
                if (sak == 1) {
                    // Rows contiguous (the activations of a Linear): copied row by row, KC apart.
                    int r = 0;
                    for (; r < rows; r++) {
                        System.arraycopy(a, base + r * sam, sliver, r * KC, kc);
                    }
                    for (; r < MR; r++) {
                        java.util.Arrays.fill(sliver, r * KC, r * KC + kc, 0f);
                    }
                    for (int j = 0; j < whole; j += 2 * L) {
                        tile4x2r(sliver, b, bo + kb * sbk + j, sbk, c, cp + j, ldc, kc, rows, acc);
                    }
                    if (wide > whole) {
                        tile4x1r(sliver, b, bo + kb * sbk + whole, sbk, c, cp + whole, ldc, kc, rows, acc);
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        int r = 0;
                        for (; r < rows; r++) {
                            sliver[p * MR + r] = a[base + p * sak + r * sam];
                        }
                        for (; r < MR; r++) {
                            sliver[p * MR + r] = 0f;
                        }
                    }
                    for (int j = 0; j < whole; j += 2 * L) {
                        tile4x2(sliver, b, bo + kb * sbk + j, sbk, c, cp + j, ldc, kc, rows, acc);
                    }
                    if (wide > whole) {
                        tile4x1(sliver, b, bo + kb * sbk + whole, sbk, c, cp + whole, ldc, kc, rows, acc);
                    }
                }
            }
            for (; i < rowHi; i++) {
                for (int j = 0; j < whole; j += 2 * L) {
                    tile1x2(a, ao + i * sam + kb * sak, sak, b, bo + kb * sbk + j, sbk, c, co + i * ldc + j, kc, acc);
                }
            }
            for (int j = whole; j < n; j += L) {
                // The columns no tile covered: whole vectors, then one masked vector for the last
                // n % L. Rows of the four-row blocks have had their last whole vector already.
                VectorMask<Float> in = SimdKernels.S.indexInRange(j, n);
                int end = sliver != null && j < wide ? blocks : rowHi;
                for (int row = eights; row < end; row++) {
                    tile1x1(a, ao + row * sam + kb * sak, sak, b, bo + kb * sbk + j, sbk, c, co + row * ldc + j, kc,
                            in, acc);
                }
            }
        }
    }

    /** Columns per panel of a {@link #panels packed} right-hand side: the width of the widest tile. */
    public static final int PANEL = 2 * L;

    /**
     * B (k, n), any strides, copied as panels of {@link #PANEL} columns: panel p holds columns
     * [p PANEL, p PANEL + w), w = min(PANEL, n - p PANEL), row after row (w floats each) from
     * offset p PANEL k. {@link #panelProduct} then reads B front to back.
     */
    public static float[] panels(float[] b, int bo, int sbk, int sbn, int k, int n) {
        float[] p = new float[k * n];
        for (int j0 = 0; j0 < n; j0 += PANEL) {
            int w = Math.min(PANEL, n - j0);
            for (int kk = 0; kk < k; kk++) {
                int src = bo + kk * sbk + j0 * sbn;
                int dst = j0 * k + kk * w;
                if (sbn == 1) {
                    System.arraycopy(b, src, p, dst, w);
                } else {
                    for (int j = 0; j < w; j++) {
                        p[dst + j] = b[src + j * sbn];
                    }
                }
            }
        }
        return p;
    }

    /** The inverse of {@link #panels}: B (k, n) row-major into {@code out}. */
    public static void unpanel(float[] p, int k, int n, float[] out) {
        for (int j0 = 0; j0 < n; j0 += PANEL) {
            int w = Math.min(PANEL, n - j0);
            for (int kk = 0; kk < k; kk++) {
                System.arraycopy(p, j0 * k + kk * w, out, kk * n + j0, w);
            }
        }
    }

    /**
     * C (m, n) = A x B, or += with accumulate, B given as {@link #panels}: {@link #simd} panel by
     * panel, so the same FMA chains as every other path (the same bits). With the pool, each
     * thread takes one contiguous run of panels, and from one product to the next (an LSTM's
     * time steps) it finds its share of B still in its own L2.
     */
    public static void panelProduct(float[] a, int ao, int sam, int sak, float[] p, int k, int n, float[] c, int co,
                                    int ldc, int m, boolean accumulate, boolean parallel) {
        int count = (n + PANEL - 1) / PANEL;
        // Whole panels are the packed GEMM's B slivers: its micro-kernel runs on them directly
        // (A packed once here for all of them, a last partial sliver of rows included), a
        // narrower last panel runs the unpacked kernel. An LSTM step's products: 114-118 -> 129-138
        // GFLOP/s (B 32, H 384, one thread). Up to MC rows, so A's packed copy stays within one L2
        // block; fewer than MR rows (a decoder's one) run the unpacked kernel.
        int packedRows = PANEL == Gemm.NR && k > 0 && m >= Gemm.MR && m <= Gemm.MC ? m : 0;
        float[] pa = packedRows > 0 ? Gemm.packAllA(a, ao, sam, sak, packedRows, k) : null;
        Parallel.Range run = (lo, hi) -> {
            for (int q = lo; q < hi; q++) {
                int j0 = q * PANEL;
                int w = Math.min(PANEL, n - j0);
                int r = 0;
                if (w == PANEL && packedRows > 0) {
                    Gemm.prepacked(pa, sak == 1, packedRows, p, j0 * k, k, c, co + j0, ldc, accumulate);
                    r = packedRows;
                }
                simd(a, ao, sam, sak, p, j0 * k, w, c, co + j0, ldc, w, k, r, m, accumulate);
            }
        };
        int threads = Parallel.threads();
        if (parallel && threads > 1 && (long) m * n * k >= Gemm.PARALLEL_MIN) {
            Parallel.forRange(count, (count + threads - 1) / threads, run);
        } else {
            run.run(0, count);
        }
    }

    /** Whether the machine has registers for 8 x 2 accumulators (AVX-512's 32; AVX2's 16 do not). */
    private static final boolean WIDE = L >= 16;

    /**
     * {@link #tile4x2} for eight rows: 16 accumulators, the B vectors loaded once for all eight.
     * Written out rather than looped over an array of accumulators, which C2 would keep as boxed
     * objects in memory. Attention's 64 x 32 x 64 products (p v, pᵀ g) went from 3.3 to 2.4-2.6 µs
     * on one AVX-512 core.
     */
    static void tile8x2(float[] a, int ap, int sam, int sak, float[] b, int bp, int sbk,
                                float[] c, int cp, int ldc, int kc, boolean acc) {
        var S = SimdKernels.S;
        FloatVector c00 = load(c, cp, acc), c01 = load(c, cp + L, acc);
        FloatVector c10 = load(c, cp + ldc, acc), c11 = load(c, cp + ldc + L, acc);
        FloatVector c20 = load(c, cp + 2 * ldc, acc), c21 = load(c, cp + 2 * ldc + L, acc);
        FloatVector c30 = load(c, cp + 3 * ldc, acc), c31 = load(c, cp + 3 * ldc + L, acc);
        FloatVector c40 = load(c, cp + 4 * ldc, acc), c41 = load(c, cp + 4 * ldc + L, acc);
        FloatVector c50 = load(c, cp + 5 * ldc, acc), c51 = load(c, cp + 5 * ldc + L, acc);
        FloatVector c60 = load(c, cp + 6 * ldc, acc), c61 = load(c, cp + 6 * ldc + L, acc);
        FloatVector c70 = load(c, cp + 7 * ldc, acc), c71 = load(c, cp + 7 * ldc + L, acc);
        for (int p = 0; p < kc; p++) {
            int bk = bp + p * sbk;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            int ak = ap + p * sak;
            FloatVector a0 = FloatVector.broadcast(S, a[ak]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ak + sam]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ak + 2 * sam]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ak + 3 * sam]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ak + 4 * sam]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ak + 5 * sam]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[ak + 6 * sam]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[ak + 7 * sam]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        c00.intoArray(c, cp);
        c01.intoArray(c, cp + L);
        c10.intoArray(c, cp + ldc);
        c11.intoArray(c, cp + ldc + L);
        c20.intoArray(c, cp + 2 * ldc);
        c21.intoArray(c, cp + 2 * ldc + L);
        c30.intoArray(c, cp + 3 * ldc);
        c31.intoArray(c, cp + 3 * ldc + L);
        c40.intoArray(c, cp + 4 * ldc);
        c41.intoArray(c, cp + 4 * ldc + L);
        c50.intoArray(c, cp + 5 * ldc);
        c51.intoArray(c, cp + 5 * ldc + L);
        c60.intoArray(c, cp + 6 * ldc);
        c61.intoArray(c, cp + 6 * ldc + L);
        c70.intoArray(c, cp + 7 * ldc);
        c71.intoArray(c, cp + 7 * ldc + L);
    }

    /** B's last columns for one k block (2L a row) and then an eight-row C tile: see {@link #simd}. */
    private static final ThreadLocal<float[]> TAIL = ThreadLocal.withInitial(() -> new float[2 * L * (KC + 2 * MR)]);

    /** A's values for one row block and k block, k-major (MR per k): see {@link #tile4x2}. */
    private static final ThreadLocal<float[]> SLIVER = ThreadLocal.withInitial(() -> new float[MR * KC]);

    /**
     * Four rows x two vectors, A from a k-major sliver (MR values per k, as the packed GEMM's).
     * Reading A through its own strides, C2 kept a range check on each of the four A loads, two
     * multiplies for the indices and stack reloads in the loop, about 45 instructions for 8
     * FMAs, and the kernel ran at 37 GFLOP/s (64 x 64 x 32, B rows 384 apart, one Zen 3 core).
     * Eight accumulators as the FMA addend (acc = a.fma(b, acc)): that form reaches the
     * machine's FMA throughput; with the accumulator as a multiplicand it does not.
     */
    private static void tile4x2(float[] ap, float[] b, int bp, int sbk, float[] c, int cp, int ldc, int kc,
                                 int rows, boolean acc) {
        var S = SimdKernels.S;
        FloatVector c00 = load(c, cp, acc), c01 = load(c, cp + L, acc);
        FloatVector c10 = load(c, cp + ldc, acc && rows > 1), c11 = load(c, cp + ldc + L, acc && rows > 1);
        FloatVector c20 = load(c, cp + 2 * ldc, acc && rows > 2), c21 = load(c, cp + 2 * ldc + L, acc && rows > 2);
        FloatVector c30 = load(c, cp + 3 * ldc, acc && rows > 3), c31 = load(c, cp + 3 * ldc + L, acc && rows > 3);
        int bk = bp;
        for (int q = 0, end = kc * MR; q < end; q += MR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            bk += sbk;
            FloatVector a0 = FloatVector.broadcast(S, ap[q]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[q + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[q + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[q + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        store(c00, c10, c20, c30, null, c, cp, ldc, rows);
        store(c01, c11, c21, c31, null, c, cp + L, ldc, rows);
    }

    /**
     * {@link #tile4x2} with A's four rows side by side, {@link #KC} apart (a plain copy of
     * contiguous rows, where the k-major copy would be a scalar transpose). A second copy of the
     * loop rather than the step as a parameter: with a variable step C2 no longer sees a counted
     * loop and keeps the range checks this form removes (as GemmMicroKernels' micro5/micro5r).
     */
    private static void tile4x2r(float[] ap, float[] b, int bp, int sbk, float[] c, int cp, int ldc, int kc,
                                 int rows, boolean acc) {
        var S = SimdKernels.S;
        FloatVector c00 = load(c, cp, acc), c01 = load(c, cp + L, acc);
        FloatVector c10 = load(c, cp + ldc, acc && rows > 1), c11 = load(c, cp + ldc + L, acc && rows > 1);
        FloatVector c20 = load(c, cp + 2 * ldc, acc && rows > 2), c21 = load(c, cp + 2 * ldc + L, acc && rows > 2);
        FloatVector c30 = load(c, cp + 3 * ldc, acc && rows > 3), c31 = load(c, cp + 3 * ldc + L, acc && rows > 3);
        int bk = bp;
        for (int q = 0; q < kc; q++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            bk += sbk;
            FloatVector a0 = FloatVector.broadcast(S, ap[q]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[q + KC]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[q + 2 * KC]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[q + 3 * KC]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        store(c00, c10, c20, c30, null, c, cp, ldc, rows);
        store(c01, c11, c21, c31, null, c, cp + L, ldc, rows);
    }

    /** {@link #tile4x2} for one vector of columns (n = 200 leaves one past the two-vector tiles). */
    private static void tile4x1(float[] ap, float[] b, int bp, int sbk, float[] c, int cp, int ldc, int kc,
                                int rows, boolean acc) {
        var S = SimdKernels.S;
        FloatVector c0 = load(c, cp, acc), c1 = load(c, cp + ldc, acc && rows > 1);
        FloatVector c2 = load(c, cp + 2 * ldc, acc && rows > 2), c3 = load(c, cp + 3 * ldc, acc && rows > 3);
        int bk = bp;
        for (int q = 0, end = kc * MR; q < end; q += MR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            bk += sbk;
            c0 = FloatVector.broadcast(S, ap[q]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, ap[q + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, ap[q + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, ap[q + 3]).fma(b0, c3);
        }
        store(c0, c1, c2, c3, null, c, cp, ldc, rows);
    }

    /** {@link #tile4x1} with A's rows {@link #KC} apart, as {@link #tile4x2r}. */
    private static void tile4x1r(float[] ap, float[] b, int bp, int sbk, float[] c, int cp, int ldc, int kc,
                                 int rows, boolean acc) {
        var S = SimdKernels.S;
        FloatVector c0 = load(c, cp, acc), c1 = load(c, cp + ldc, acc && rows > 1);
        FloatVector c2 = load(c, cp + 2 * ldc, acc && rows > 2), c3 = load(c, cp + 3 * ldc, acc && rows > 3);
        int bk = bp;
        for (int q = 0; q < kc; q++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            bk += sbk;
            c0 = FloatVector.broadcast(S, ap[q]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, ap[q + KC]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, ap[q + 2 * KC]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, ap[q + 3 * KC]).fma(b0, c3);
        }
        store(c0, c1, c2, c3, null, c, cp, ldc, rows);
    }


    private static void tile1x2(float[] a, int ap, int sak, float[] b, int bp, int sbk, float[] c, int cp, int kc,
                                boolean acc) {
        var S = SimdKernels.S;
        FloatVector c0 = load(c, cp, acc), c1 = load(c, cp + L, acc);
        for (int p = 0; p < kc; p++) {
            FloatVector av = FloatVector.broadcast(S, a[ap + p * sak]);
            c0 = av.fma(FloatVector.fromArray(S, b, bp + p * sbk), c0);
            c1 = av.fma(FloatVector.fromArray(S, b, bp + p * sbk + L), c1);
        }
        c0.intoArray(c, cp);
        c1.intoArray(c, cp + L);
    }

    /** One vector of columns, the lanes outside {@code in} neither read nor written. */
    private static void tile1x1(float[] a, int ap, int sak, float[] b, int bp, int sbk, float[] c, int cp, int kc,
                                VectorMask<Float> in, boolean acc) {
        var S = SimdKernels.S;
        FloatVector c0 = acc ? FloatVector.fromArray(S, c, cp, in) : FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            c0 = FloatVector.broadcast(S, a[ap + p * sak]).fma(FloatVector.fromArray(S, b, bp + p * sbk, in), c0);
        }
        c0.intoArray(c, cp, in);
    }
}
