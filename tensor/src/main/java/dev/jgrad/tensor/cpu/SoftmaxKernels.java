package dev.jgrad.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax, log-softmax and logsumexp of contiguous rows on the Vector API: a row's maximum, its
 * exps and their sum, then the division (or the subtraction of the logsumexp), with short rows
 * taken L at a time. {@link ScalarKernels} holds their scalar twins.
 */
public final class SoftmaxKernels {
    private static final VectorSpecies<Float> S = SimdKernels.S;
    private static final int L = SimdKernels.L;

    private SoftmaxKernels() {
    }

    /**
     * Softmax or log-softmax of {@code rows} contiguous rows of n floats, max-subtracted: row r
     * from x at off + r n into out at oo + r n, the softmax multiplied by {@code scale} (cross-
     * entropy's gradient folds its 1/N in here, sparing a pass over the logits; 1 leaves softmax's
     * bits as they are; log-softmax must pass 1), and its logsumexp into lse[lo + r] when lse is
     * not null (cross-entropy's loss needs it). Each row is computed on its own, exactly as alone;
     * the loop only finds the next row's maximum before finishing this one, so that reduction
     * runs while this row's sum of exps is still in flight (one row at a time left both chains of
     * dependent reductions exposed: 3072 x 64 into an existing array 375 -> 331 µs, one Zen 3
     * core). One call site each for shiftMax and expSum, as before: a second copy of either
     * pushes this compile unit over C2's node budget. A softmax's logsumexps wait for L rows and
     * take their logs as one vector ({@link #logNormal}; unused lanes hold log 1, so a row's bits
     * do not depend on its neighbours): a Math.log a row was 28 of 229 µs at 3072 x 64. Log-
     * softmax needs its row's log before its last pass and keeps Math.log.
     */
    public static void softmaxRows(float[] x, int off, float[] out, int oo, int rows, int n, boolean log,
                                   float scale, float[] lse, int lo) {
        int done = 0;
        if (!log && n <= SHORT_ROW && rows >= L) {
            done = softmaxBlocks(x, off, out, oo, rows, n, scale, lse, lo);
            off += done * n;
            oo += done * n;
            lo += done;
            rows -= done;
        }
        // rows waiting for their logsumexp: maxima in the first L slots, sums in the next L
        float[] pending = lse != null && !log ? new float[2 * L] : null;
        int waiting = 0;
        float next = 0f;
        for (int r = 0; r <= rows; r++) {
            float m = next;
            float s = 0f;
            if (r > 0) {
                s = expSum(x, off + (r - 1) * n, m, log ? null : out, oo + (r - 1) * n, n);
            }
            if (r < rows) {
                next = shiftMax(x, off + r * n, n);
            }
            if (r > 0) {
                finishRow(x, off + (r - 1) * n, out, oo + (r - 1) * n, n, log, m, s, scale, log ? lse : null,
                        lo + r - 1);
                if (pending != null) {
                    pending[waiting] = m;
                    pending[L + waiting] = s;
                    if (++waiting == L) {
                        logsumexps(pending, waiting, lse, lo + r - L);
                        waiting = 0;
                    }
                }
            }
        }
        if (waiting > 0) {
            logsumexps(pending, waiting, lse, lo + rows - waiting);
        }
    }

    /**
     * Rows at most this long take {@link #softmaxBlocks}: a block of L of them is at most 16 L^2
     * floats (16 KB with AVX-512).
     */
    static final int SHORT_ROW = 16 * L;

    /**
     * Softmax (not log-softmax) of the first rows / L * L rows, L at a time: each pass runs over
     * the block's L rows before the next pass starts, and the rows' maxima and sums are reduced
     * together, L vectors into one whose lane r belongs to row r ({@link #transposeMax},
     * {@link #transposeSum}), where a row at a time waits on its own two reductions (a butterfly
     * of four dependent swap-and-op steps each) before its last pass can start. One division
     * for L rows' factors, one {@link #logNormal} for their logsumexps. Every row gets the bits
     * it gets alone: the same vector chains, the same butterfly (lane r of the transposed one
     * adds the same pairs as lane 0 of {@link SimdKernels#hsum}, operands swapped), its last
     * n mod L terms added after it as {@link #expSum} adds them. Returns the number of rows done.
     */
    private static int softmaxBlocks(float[] x, int off, float[] out, int oo, int rows, int n, float scale,
                                     float[] lse, int lo) {
        float[] t = new float[L * L + 2 * L];   // a vector per row, then the maxima, then the sums
        int mAt = L * L;
        int sAt = mAt + L;
        int whole = S.loopBound(n);
        int blocks = rows / L * L;
        for (int b = 0; b < blocks; b += L) {
            int xb = off + b * n;
            int ob = oo + b * n;
            maxRows(x, xb, n, t);
            transposeMax(t);
            System.arraycopy(t, 0, t, mAt, L);
            expRows(x, xb, n, whole, out, ob, t, mAt);
            transposeSum(t);
            System.arraycopy(t, 0, t, sAt, L);
            if (whole < n) {
                for (int r = 0; r < L; r++) {
                    float m = t[mAt + r];
                    float s = t[sAt + r];
                    for (int i = whole; i < n; i++) {
                        float e = SimdKernels.expLow(x[xb + r * n + i] - m);
                        out[ob + r * n + i] = e;
                        s += e;
                    }
                    t[sAt + r] = s;
                }
            }
            FloatVector sum = FloatVector.fromArray(S, t, sAt);
            if (lse != null) {
                FloatVector.fromArray(S, t, mAt).add(logNormal(sum)).intoArray(lse, lo + b);
            }
            FloatVector.broadcast(S, scale).div(sum).intoArray(t, sAt);
            scaleRows(out, ob, n, t, sAt);
        }
        return blocks;
    }

    /**
     * For each of the L rows from off (n apart), {@link #shiftMax}'s four chains and masked tail
     * merged into one vector (no butterfly), stored at t[r L]. Written again rather than shared
     * with shiftMax: a shared helper would shrink shiftMax under C2's inlining limit, which (see
     * there) puts softmaxRows over its node budget. No vector crosses a call in this
     * kernel: returned from a method C2 did not inline, each was boxed on the heap (a version
     * that returned them allocated 380 KB per 768 x 65 softmax and ran 1.6 times as long).
     */
    private static void maxRows(float[] x, int off, int n, float[] t) {
        int bound4 = n - 4 * L + 1;
        int bound = S.loopBound(n);
        for (int r = 0; r < L; r++) {
            int xr = off + r * n;
            FloatVector a0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int i = 0;
            for (; i < bound4; i += 4 * L) {
                a0 = greater(a0, FloatVector.fromArray(S, x, xr + i));
                a1 = greater(a1, FloatVector.fromArray(S, x, xr + i + L));
                a2 = greater(a2, FloatVector.fromArray(S, x, xr + i + 2 * L));
                a3 = greater(a3, FloatVector.fromArray(S, x, xr + i + 3 * L));
            }
            for (; i < bound; i += L) {
                a0 = greater(a0, FloatVector.fromArray(S, x, xr + i));
            }
            if (i < n) {
                VectorMask<Float> in = S.indexInRange(i, n);
                a0 = greater(a0, FloatVector.fromArray(S, x, xr + i, in).blend(a1, in.not()));
            }
            greater(greater(a0, a1), greater(a2, a3)).intoArray(t, r * L);
        }
    }

    /**
     * For each of the L rows, {@link #expSum}'s vector loop over its first {@code whole}
     * elements, shifted by its maximum t[mAt + r], the sums' vector stored at t[r L].
     */
    private static void expRows(float[] x, int off, int n, int whole, float[] out, int oo, float[] t, int mAt) {
        for (int r = 0; r < L; r++) {
            int xr = off + r * n;
            int or = oo + r * n;
            FloatVector vm = FloatVector.broadcast(S, t[mAt + r]);
            FloatVector acc = FloatVector.zero(S);
            for (int i = 0; i < whole; i += L) {
                FloatVector e = SimdKernels.expLow(FloatVector.fromArray(S, x, xr + i).sub(vm));
                e.intoArray(out, or + i);
                acc = acc.add(e);
            }
            acc.intoArray(t, r * L);
        }
    }

    /** {@link #finishRow}'s softmax pass for each of the L rows, row r's factor at t[at + r]. */
    private static void scaleRows(float[] out, int oo, int n, float[] t, int at) {
        int bound = S.loopBound(n);
        for (int r = 0; r < L; r++) {
            int or = oo + r * n;
            float f = t[at + r];
            FloatVector vf = FloatVector.broadcast(S, f);
            int i = 0;
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, out, or + i).mul(vf).intoArray(out, or + i);
            }
            for (; i < n; i++) {
                out[or + i] *= f;
            }
        }
    }

    /**
     * The L vectors at t[0, L * L) reduced by {@link #greater} into one whose lane r is the
     * largest lane of vector r. Step by step (half = L/2, L/4, ..., 1) vectors r and r + half
     * merge into one: lanes with bit half clear take row r's pairs (lane i and i ^ half), lanes
     * with it set row r + half's, as {@link #shiftMax}'s butterfly pairs them. The result is
     * left at t[0, L); the rest of t is overwritten.
     */
    private static void transposeMax(float[] t) {
        if (L >= 64) {
            maxStep(t, 32, SimdKernels.SWAP32, HIGH32);
        }
        if (L >= 32) {
            maxStep(t, 16, SimdKernels.SWAP16, HIGH16);
        }
        if (L >= 16) {
            maxStep(t, 8, SimdKernels.SWAP8, HIGH8);
        }
        if (L >= 8) {
            maxStep(t, 4, SimdKernels.SWAP4, HIGH4);
        }
        if (L >= 4) {
            maxStep(t, 2, SimdKernels.SWAP2, HIGH2);
        }
        if (L >= 2) {
            maxStep(t, 1, SimdKernels.SWAP1, HIGH1);
        }
    }

    private static void maxStep(float[] t, int half, VectorShuffle<Float> swap, VectorMask<Float> high) {
        for (int r = 0; r < half; r++) {
            FloatVector a = FloatVector.fromArray(S, t, r * L);
            FloatVector b = FloatVector.fromArray(S, t, (r + half) * L);
            greater(a.blend(b, high), b.blend(a, high).rearrange(swap)).intoArray(t, r * L);
        }
    }

    /**
     * {@link #transposeMax} with adds: lane r is {@link SimdKernels#hsum} of vector r, bit for
     * bit. A copy, not one method with a flag: C2 leaves a vector merged from two branches boxed
     * (see {@link #shiftMax}).
     */
    private static void transposeSum(float[] t) {
        if (L >= 64) {
            sumStep(t, 32, SimdKernels.SWAP32, HIGH32);
        }
        if (L >= 32) {
            sumStep(t, 16, SimdKernels.SWAP16, HIGH16);
        }
        if (L >= 16) {
            sumStep(t, 8, SimdKernels.SWAP8, HIGH8);
        }
        if (L >= 8) {
            sumStep(t, 4, SimdKernels.SWAP4, HIGH4);
        }
        if (L >= 4) {
            sumStep(t, 2, SimdKernels.SWAP2, HIGH2);
        }
        if (L >= 2) {
            sumStep(t, 1, SimdKernels.SWAP1, HIGH1);
        }
    }

    private static void sumStep(float[] t, int half, VectorShuffle<Float> swap, VectorMask<Float> high) {
        for (int r = 0; r < half; r++) {
            FloatVector a = FloatVector.fromArray(S, t, r * L);
            FloatVector b = FloatVector.fromArray(S, t, (r + half) * L);
            a.blend(b, high).add(b.blend(a, high).rearrange(swap)).intoArray(t, r * L);
        }
    }

    private static final VectorMask<Float> HIGH32 = high(32);
    private static final VectorMask<Float> HIGH16 = high(16);
    private static final VectorMask<Float> HIGH8 = high(8);
    private static final VectorMask<Float> HIGH4 = high(4);
    private static final VectorMask<Float> HIGH2 = high(2);
    private static final VectorMask<Float> HIGH1 = high(1);

    /** The lanes whose index has bit k set. */
    private static VectorMask<Float> high(int k) {
        boolean[] bits = new boolean[L];
        for (int i = 0; i < L; i++) {
            bits[i] = (i & k) != 0;
        }
        return VectorMask.fromArray(S, bits, 0);
    }

    /** lse[at + j] = m + log(sum) for the first count rows waiting in pending. */
    private static void logsumexps(float[] pending, int count, float[] lse, int at) {
        for (int j = count; j < L; j++) {
            pending[j] = 0f;
            pending[L + j] = 1f;
        }
        FloatVector m = FloatVector.fromArray(S, pending, 0);
        FloatVector s = FloatVector.fromArray(S, pending, L);
        m.add(logNormal(s)).intoArray(lse, at, S.indexInRange(0, count));
    }

    /**
     * Natural log of positive normal floats (a softmax row's sum of exps is at least 1, its
     * largest term being exactly 1); NaN gives NaN. s = 2^k f with f in [sqrt(1/2), sqrt(2)) and
     * u = f - 1 (exact); log(1 + u) = 2 atanh(z) with z = u / (2 + u), |z| <= 0.172, written as
     * u - u^2/2 + z (u^2/2 + R) so that the large term u is exact and only a correction rounds;
     * R = 2z^2/3 + 2z^4/5 + 2z^6/7 + 2z^8/9 is the atanh series (the next term is 2e-9 of the
     * result); k ln 2 in two parts, the first exact for any exponent. At most 0.86 ulp from the
     * correctly rounded log: 0.854 over 26 million random normal floats and the edges in a probe;
     * SimdTwinTest holds the bound over about 100,000 of them.
     */
    static FloatVector logNormal(FloatVector s) {
        IntVector ix = s.reinterpretAsInts().sub(SQRT_HALF_BITS);
        FloatVector k = ix.lanewise(VectorOperators.ASHR, 23).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
        FloatVector u = ix.and(0x007fffff).add(SQRT_HALF_BITS).reinterpretAsFloats().sub(1f);
        FloatVector z = u.div(u.add(2f));
        FloatVector z2 = z.mul(z);
        FloatVector z4 = z2.mul(z2);
        FloatVector r = z2.mul(z4.fma(z2.fma(2f / 9, 2f / 7), z2.fma(2f / 5, 2f / 3)));
        FloatVector h = u.mul(u).mul(0.5f);
        FloatVector c = z.fma(h.add(r), k.mul(LN2_LO));
        return k.mul(LN2_HI).sub(h.sub(c).sub(u)).blend(s, s.compare(VectorOperators.NE, s));
    }

    private static final int SQRT_HALF_BITS = Float.floatToRawIntBits((float) Math.sqrt(0.5));
    // ln 2 = LN2_HI + LN2_LO, LN2_HI with 12 significant bits so that k LN2_HI is exact
    private static final float LN2_HI = Float.intBitsToFloat(Float.floatToRawIntBits((float) Math.log(2)) & 0xfffff000);
    private static final float LN2_LO = (float) (Math.log(2) - LN2_HI);

    /**
     * The last pass of a softmax row: times scale / (the sum of exps), or minus the logsumexp
     * (log-softmax, which also stores it to lse[at] when lse is not null).
     */
    private static void finishRow(float[] x, int off, float[] out, int oo, int n, boolean log, float m, float s,
                                  float scale, float[] lse, int at) {
        int bound = S.loopBound(n);
        float logSum = log ? m + (float) Math.log(s) : Float.NaN;
        if (lse != null) {
            lse[at] = logSum;
        }
        int i = 0;
        if (log) {
            FloatVector vs = FloatVector.broadcast(S, logSum);
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, x, off + i).sub(vs).intoArray(out, oo + i);
            }
            for (; i < n; i++) {
                out[oo + i] = x[off + i] - logSum;
            }
        } else {
            float f = scale / s;
            FloatVector vi = FloatVector.broadcast(S, f);
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, out, oo + i).mul(vi).intoArray(out, oo + i);
            }
            for (; i < n; i++) {
                out[oo + i] *= f;
            }
        }
    }

    /**
     * The largest element of a row, as softmax's shift. Unlike {@link SimdKernels#max} it does not follow
     * Java's NaN rule (compare and blend, one instruction each, where Java's max compiles to a
     * dependent chain; 64 columns took 20 ns a row against 6 for a sum): a NaN in the row makes
     * every exp(x - m), hence the whole output, NaN whatever m is.
     */
    static float shiftMax(float[] x, int off, int n) {
        // Built here, not a static final: a loop accumulator that starts from a constant vector
        // object was left boxed by C2 (every blend took the Vector API's fallback).
        FloatVector a0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        int bound4 = n - 4 * L + 1;
        for (; i < bound4; i += 4 * L) {
            a0 = greater(a0, FloatVector.fromArray(S, x, off + i));
            a1 = greater(a1, FloatVector.fromArray(S, x, off + i + L));
            a2 = greater(a2, FloatVector.fromArray(S, x, off + i + 2 * L));
            a3 = greater(a3, FloatVector.fromArray(S, x, off + i + 3 * L));
        }
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            a0 = greater(a0, FloatVector.fromArray(S, x, off + i));
        }
        if (i < n) {
            // lanes past the row take a1's, which are row elements or -inf already
            VectorMask<Float> in = S.indexInRange(i, n);
            a0 = greater(a0, FloatVector.fromArray(S, x, off + i, in).blend(a1, in.not()));
        }
        // hsum's butterfly with greater for the add, written out here: a shared method taking
        // a flag merges two vectors in a branch, which C2 leaves boxed, and a separate hmax
        // shrinks this method under C2's inlining limit, which puts it in softmax's compile
        // unit and that unit over its node budget (both measured: 96 bytes boxed per row).
        FloatVector v = greater(greater(a0, a1), greater(a2, a3));
        if (L >= 64) {
            v = greater(v, v.rearrange(SimdKernels.SWAP32));
        }
        if (L >= 32) {
            v = greater(v, v.rearrange(SimdKernels.SWAP16));
        }
        if (L >= 16) {
            v = greater(v, v.rearrange(SimdKernels.SWAP8));
        }
        if (L >= 8) {
            v = greater(v, v.rearrange(SimdKernels.SWAP4));
        }
        if (L >= 4) {
            v = greater(v, v.rearrange(SimdKernels.SWAP2));
        }
        if (L >= 2) {
            v = greater(v, v.rearrange(SimdKernels.SWAP1));
        }
        return v.lane(0);
    }

    private static FloatVector greater(FloatVector a, FloatVector b) {
        return a.blend(b, a.lt(b));
    }

    /**
     * Sum of exp(x - m) over a row, also stored to out unless out is null: whole vectors, then the
     * last n mod L elements one at a time through the scalar {@link #SimdKernels.expLow(float)}, which gives
     * each the bits its lane would have had. One vector exp call site: with a second for a masked
     * tail, softmax's compile unit outgrew C2's budget and the tail ran boxed (a 65-column row
     * allocated 288 bytes); and masking every vector, as this loop did before, cost its masked
     * load, store and add on each (softmax into an existing array, 768 rows, one core, medians
     * of 21 alternating rounds: 64 columns 65.2 -> 55.6 µs, 128 115.0 -> 97.0, 65 100.5 -> 69.5).
     */
    private static float expSum(float[] x, int off, float m, float[] out, int oo, int n) {
        FloatVector vm = FloatVector.broadcast(S, m);
        FloatVector acc = FloatVector.zero(S);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector e = SimdKernels.expLow(FloatVector.fromArray(S, x, off + i).sub(vm));
            if (out != null) {
                e.intoArray(out, oo + i);
            }
            acc = acc.add(e);
        }
        float sum = SimdKernels.hsum(acc);
        for (; i < n; i++) {
            float e = SimdKernels.expLow(x[off + i] - m);
            if (out != null) {
                out[oo + i] = e;
            }
            sum += e;
        }
        return sum;
    }

    /** log(sum(exp(x))) of a contiguous row; an infinite maximum is not subtracted (as PyTorch). */
    public static float logsumexp(float[] x, int off, int n) {
        float m = shiftMax(x, off, n);
        if (m == Float.POSITIVE_INFINITY) {
            // exp(+inf) = +inf, beyond expLow's range: the sum is +inf unless a NaN makes it NaN
            for (int i = 0; i < n; i++) {
                if (Float.isNaN(x[off + i])) {
                    return Float.NaN;
                }
            }
            return Float.POSITIVE_INFINITY;
        }
        float shift = m == Float.NEGATIVE_INFINITY ? 0f : m;
        return shift + (float) Math.log(expSum(x, off, shift, null, 0, n));
    }
}
