package dev.jgrad.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The packing of {@link Gemm}: A's rows into MR-tall slivers (as rows, or k-major), B's columns
 * into NR-wide slivers, through any strides, so transposed operands cost no copy of their own.
 * Rows and columns past a partial sliver's real ones are padded; what the micro-kernels compute
 * from the padding is never stored.
 */
final class GemmPacking {
    private static final VectorSpecies<Float> S = SimdKernels.S;
    private static final int L = SimdKernels.L;
    private static final int MR = Gemm.MR;
    private static final int NR = Gemm.NR;
    private static final int KC = Gemm.KC;
    /** The first MR lanes: one k-step of a k-major A sliver. */
    private static final VectorMask<Float> SLIVER = S.indexInRange(0, MR);
    /** Eight lanes whatever the machine's width: {@link #packTransposed8} transposes 8 x 8 blocks. */
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    /** Lane l to lane l ^ d, and the lanes whose bit d is set: the stages of {@link #packTransposed8}. */
    private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromValues(S8, 1, 0, 3, 2, 5, 4, 7, 6);
    private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromValues(S8, 2, 3, 0, 1, 6, 7, 4, 5);
    private static final VectorShuffle<Float> SWAP4 = VectorShuffle.fromValues(S8, 4, 5, 6, 7, 0, 1, 2, 3);
    private static final VectorMask<Float> BIT1 = VectorMask.fromLong(S8, 0b10101010);
    private static final VectorMask<Float> BIT2 = VectorMask.fromLong(S8, 0b11001100);
    private static final VectorMask<Float> BIT4 = VectorMask.fromLong(S8, 0b11110000);

    private GemmPacking() {
    }

    /**
     * A rows [0, rows) x k [0, kc), each row contiguous, into one sliver of MR rows at a stride of
     * {@link Gemm#KC} (zero rows past rows). A plain copy: the k-major layout of {@link #packA} needs
     * a scalar transpose here, which cost about a fifth of 768 x 128 x 128 (JFR, one core), and
     * the stride is a constant so the row micro-kernels address all MR rows from one register.
     */
    static void packRows(float[] a, int base, int sam, int rows, int kc, float[] pa, int out) {
        int r = 0;
        for (; r < rows; r++) {
            System.arraycopy(a, base + r * sam, pa, out + r * KC, kc);
        }
        for (; r < MR; r++) {
            java.util.Arrays.fill(pa, out + r * KC, out + r * KC + kc, 0f);
        }
    }

    /** A rows [0, rows) x k [0, kc) into one k-major sliver: for each p, MR values (zero past rows). */
    static void packA(float[] a, int base, int sam, int sak, int rows, int kc, float[] pa, int out) {
        if (rows == MR && sam == 1 && L > MR && L < 16) {
            // A^T x B (a weight gradient): the MR values of each p lie side by side. One unmasked
            // vector per p, each store's lanes past MR overwritten by the next p's store, the
            // last p (which would stray into the neighbouring sliver, maybe another thread's)
            // and any load past the end of a by the scalar loop below. Masked loads and stores
            // are slow on AVX2: they made this loop 6% of a GPT step on a Zen 3 core.
            int fit = a.length - L - base; // p <= fit / sak keeps a load inside a
            int whole = fit < 0 || sak <= 0 ? 0 : (int) Math.min(kc - 1L, fit / sak + 1L);
            for (int p = 0; p < whole; p++) {
                FloatVector.fromArray(S, a, base + p * sak).intoArray(pa, out + p * MR);
            }
            for (int p = whole; p < kc; p++) {
                for (int r = 0; r < MR; r++) {
                    pa[out + p * MR + r] = a[base + p * sak + r];
                }
            }
            return;
        }
        if (rows == MR && sam == 1 && L >= MR) {
            // As above on AVX-512 (MR = 12), for packAllA: Gemm's blocks read such slivers in
            // place instead. Masked, so no lane strays into the neighbouring sliver.
            for (int p = 0; p < kc; p++) {
                FloatVector.fromArray(S, a, base + p * sak, SLIVER).intoArray(pa, out + p * MR, SLIVER);
            }
            return;
        }
        copySliver(a, base, sak, sam, rows, MR, kc, pa, out);
    }

    /**
     * B k [0, kc) x columns [0, cols) into one sliver: for each p, NR values, zero past cols (or,
     * from {@link #packTransposed8}, copies of a real column: never stored, see {@code Gemm.block}).
     */
    static void packB(float[] b, int base, int sbk, int sbn, int cols, int kc, float[] pb, int out) {
        if (cols == NR && sbn == 1) {
            for (int p = 0; p < kc; p++) {
                int src = base + p * sbk;
                int dst = out + p * NR;
                FloatVector.fromArray(S, b, src).intoArray(pb, dst);
                FloatVector.fromArray(S, b, src + L).intoArray(pb, dst + L);
            }
            return;
        }
        if (sbn == 1) {
            // A partial sliver (n = 30 leaves 14 columns): masked loads, so the lanes past cols
            // come in as zeros and nothing past B's last column is read. The scalar copy below
            // was a fifth of a 32 x 30 x 200 product (the MLP's input gradient; JFR, one core).
            VectorMask<Float> lo = S.indexInRange(0, cols);
            VectorMask<Float> hi = S.indexInRange(L, cols);
            for (int p = 0; p < kc; p++) {
                int src = base + p * sbk;
                int dst = out + p * NR;
                FloatVector.fromArray(S, b, src, lo).intoArray(pb, dst);
                FloatVector.fromArray(S, b, src + L, hi).intoArray(pb, dst + L);
            }
            return;
        }
        if (sbk == 1) {
            packTransposed8(b, base, sbn, cols, kc, pb, out);
            return;
        }
        copySliver(b, base, sbk, sbn, cols, NR, kc, pb, out);
    }

    /**
     * The scalar packing both operands fall back to: for each k-step p in [0, kc), {@code count}
     * values {@code across} apart from {@code src + p * along}, then zeros up to {@code width}
     * (MR for an A sliver, whose rows run across; NR for a B sliver, whose columns do).
     */
    private static void copySliver(float[] src, int base, int along, int across, int count, int width, int kc,
                                   float[] dst, int out) {
        for (int p = 0; p < kc; p++) {
            int from = base + p * along;
            int to = out + p * width;
            int i = 0;
            for (; i < count; i++) {
                dst[to + i] = src[from + i * across];
            }
            for (; i < width; i++) {
                dst[to + i] = 0f;
            }
        }
    }

    /**
     * {@link #packB} for a B^T with contiguous rows (A x W^T: B's column q is W's row q), on
     * 8-lane vectors whatever the machine's preferred width. Eight columns x eight k are loaded
     * as eight vectors (one per column) and transposed in registers in three butterfly stages:
     * at stage d, element (column c, lane l) trades places with (c ^ d, l ^ d) wherever bit d of
     * c and of l differ, which after d = 4, 2, 1 leaves vector l holding k-step l of all eight
     * columns. Each trade is one lane
     * permutation and one blend. A k remainder is one more group of eight ending at kc, which
     * rewrites the steps it shares with the group before with the same values; a group with
     * fewer than eight real columns loads its last real column again in their place, so the
     * sliver's columns past {@code cols} repeat it instead of holding zeros (the kernels' results
     * in those columns are never stored; see {@code Gemm.block}). Only slivers less than eight deep
     * and groups wholly past cols go through copyColumns. One Zen 3 core, 16-column slivers of
     * W^T: 0.26-0.29 ns a float at 128-768 deep, against 0.38-1.3 for the scalar copy. The last
     * group of k and the repeated columns, against copyColumns for those (medians of 21
     * alternating rounds): 16 columns 30 deep (the MLP's hidden layer) 195 -> 130 ns a sliver,
     * 11 columns 200 deep (its output layer's last) 925 -> 719 ns. With AVX-512 (32-column
     * slivers) this replaced one gather per 16 values, which had beaten copyColumns on the Intel
     * machine (32 x 1536 x 384, A x B^T: 42 -> 57 GFLOP/s) but not this: one Zen 5 core, medians
     * of 11 alternating rounds, attention forward + backward at GPT's shape (its scores read K and
     * V as B^T) 760 -> 712 µs, the GPT step 25.4 -> 24.5 ms, the MLP step 36.6 -> 34.8 µs
     * (session 26; the Intel machine not measured since).
     */
    private static void packTransposed8(float[] b, int base, int sbn, int cols, int kc, float[] pb, int out) {
        int last = kc - 8;                      // the last group of k steps starts here
        for (int g = 0; g < NR; g += 8) {
            int real = Math.min(8, cols - g);   // W's rows (B's columns) in this group
            if (real <= 0 || last < 0) {
                copyColumns(b, base, sbn, cols, g, g + 8, kc, pb, out);
                continue;
            }
            int w0 = base + g * sbn;
            int w1 = w0 + Math.min(1, real - 1) * sbn;
            int w2 = w0 + Math.min(2, real - 1) * sbn;
            int w3 = w0 + Math.min(3, real - 1) * sbn;
            int w4 = w0 + Math.min(4, real - 1) * sbn;
            int w5 = w0 + Math.min(5, real - 1) * sbn;
            int w6 = w0 + Math.min(6, real - 1) * sbn;
            int w7 = w0 + Math.min(7, real - 1) * sbn;
            for (int p = 0; p <= last; p = p == last ? kc : Math.min(p + 8, last)) {
                FloatVector r0 = FloatVector.fromArray(S8, b, w0 + p);
                FloatVector r1 = FloatVector.fromArray(S8, b, w1 + p);
                FloatVector r2 = FloatVector.fromArray(S8, b, w2 + p);
                FloatVector r3 = FloatVector.fromArray(S8, b, w3 + p);
                FloatVector r4 = FloatVector.fromArray(S8, b, w4 + p);
                FloatVector r5 = FloatVector.fromArray(S8, b, w5 + p);
                FloatVector r6 = FloatVector.fromArray(S8, b, w6 + p);
                FloatVector r7 = FloatVector.fromArray(S8, b, w7 + p);
                FloatVector t0 = r0.blend(r4.rearrange(SWAP4), BIT4);
                FloatVector t4 = r0.rearrange(SWAP4).blend(r4, BIT4);
                FloatVector t1 = r1.blend(r5.rearrange(SWAP4), BIT4);
                FloatVector t5 = r1.rearrange(SWAP4).blend(r5, BIT4);
                FloatVector t2 = r2.blend(r6.rearrange(SWAP4), BIT4);
                FloatVector t6 = r2.rearrange(SWAP4).blend(r6, BIT4);
                FloatVector t3 = r3.blend(r7.rearrange(SWAP4), BIT4);
                FloatVector t7 = r3.rearrange(SWAP4).blend(r7, BIT4);
                FloatVector u0 = t0.blend(t2.rearrange(SWAP2), BIT2);
                FloatVector u2 = t0.rearrange(SWAP2).blend(t2, BIT2);
                FloatVector u1 = t1.blend(t3.rearrange(SWAP2), BIT2);
                FloatVector u3 = t1.rearrange(SWAP2).blend(t3, BIT2);
                FloatVector u4 = t4.blend(t6.rearrange(SWAP2), BIT2);
                FloatVector u6 = t4.rearrange(SWAP2).blend(t6, BIT2);
                FloatVector u5 = t5.blend(t7.rearrange(SWAP2), BIT2);
                FloatVector u7 = t5.rearrange(SWAP2).blend(t7, BIT2);
                int dst = out + p * NR + g;
                u0.blend(u1.rearrange(SWAP1), BIT1).intoArray(pb, dst);
                u0.rearrange(SWAP1).blend(u1, BIT1).intoArray(pb, dst + NR);
                u2.blend(u3.rearrange(SWAP1), BIT1).intoArray(pb, dst + 2 * NR);
                u2.rearrange(SWAP1).blend(u3, BIT1).intoArray(pb, dst + 3 * NR);
                u4.blend(u5.rearrange(SWAP1), BIT1).intoArray(pb, dst + 4 * NR);
                u4.rearrange(SWAP1).blend(u5, BIT1).intoArray(pb, dst + 5 * NR);
                u6.blend(u7.rearrange(SWAP1), BIT1).intoArray(pb, dst + 6 * NR);
                u6.rearrange(SWAP1).blend(u7, BIT1).intoArray(pb, dst + 7 * NR);
            }
        }
    }

    /**
     * The scalar form of {@link #packB} for a B^T with contiguous rows: sliver columns [q0, q1)
     * over k [0, kc), each column read contiguously from W's row (zeros past {@code cols}). Two
     * columns at a time were no faster (0.36 against 0.37 ns a float on a Zen 3 core), four
     * slower (0.46).
     */
    private static void copyColumns(float[] b, int base, int sbn, int cols, int q0, int q1, int kc, float[] pb,
                                    int out) {
        for (int q = q0; q < q1; q++) {
            if (q < cols) {
                int src = base + q * sbn;
                for (int p = 0; p < kc; p++) {
                    pb[out + p * NR + q] = b[src + p];
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    pb[out + p * NR + q] = 0f;
                }
            }
        }
    }
}
