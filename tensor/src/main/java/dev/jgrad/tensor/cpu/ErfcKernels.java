package dev.jgrad.tensor.cpu;

import dev.jgrad.tensor.backend.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU, its derivative and erf over contiguous F32 runs: the two-pass loops around erfc (see the
 * note above the constants), split from {@link SimdKernels}, whose {@code unary} dispatches here
 * for the whole vectors; the scalar tails stay with the twins in {@link ScalarKernels}.
 */
final class ErfcKernels {
    private static final VectorSpecies<Float> S = SimdKernels.S;
    private static final int L = SimdKernels.L;
    private static final float SQRT1_2 = 0.70710678f;
    private static final float INV_SQRT_2PI = 0.39894228f;

    private ErfcKernels() {
    }

    // GELU and GELU' alone run the pass that makes both and leave the other in an L1 scratch
    // chunk: a few operations more than a pass of their own, and one copy of the polynomial text
    // instead of two more (why the text is repeated at all: the note on the two passes below).
    // The scratch's first CHUNK holds exp(-x^2/2) (a scratch, so out may alias x), its second
    // the output nobody asked for.
    static int gelu(float[] x, int ox, float[] out, int oo, int bound) {
        float[] e = SCRATCH.get();
        for (int c = 0; c < bound; c += CHUNK) {
            int end = Math.min(bound, c + CHUNK);
            expOfMinusHalfSquare(x, ox, e, c, end);
            geluBothTail(x, ox, e, c, end, out, oo, e, CHUNK - c);
        }
        return bound;
    }

    static int geluGrad(float[] x, int ox, float[] out, int oo, int bound) {
        float[] e = SCRATCH.get();
        for (int c = 0; c < bound; c += CHUNK) {
            int end = Math.min(bound, c + CHUNK);
            expOfMinusHalfSquare(x, ox, e, c, end);
            geluBothTail(x, ox, e, c, end, e, CHUNK - c, out, oo);
        }
        return bound;
    }

    /**
     * GELU into y and GELU' into d in one pass over contiguous x (the backward's factor made by
     * the forward): one exp(-x^2/2) and one erfc per element serve both, so the pair costs little
     * more than GELU alone. The same operations as the separate loops, so the same bits.
     */
    static void geluWithGrad(float[] x, int ox, float[] y, int oy, float[] d, int od, int n) {
        int bound = S.loopBound(n);
        float[] e = SCRATCH.get();
        for (int c = 0; c < bound; c += CHUNK) {
            int end = Math.min(bound, c + CHUNK);
            expOfMinusHalfSquare(x, ox, e, c, end);
            geluBothTail(x, ox, e, c, end, y, oy, d, od);
        }
        ScalarKernels.unaryF32(UnaryOp.GELU, x, ox + bound, 1, y, oy + bound, n - bound);
        ScalarKernels.unaryF32(UnaryOp.GELU_GRAD, x, ox + bound, 1, d, od + bound, n - bound);
    }

    static int erf(float[] x, int ox, float[] out, int oo, int bound) {
        float[] e = SCRATCH.get();                       // scratch, so out may alias x
        for (int c = 0; c < bound; c += CHUNK) {
            int end = Math.min(bound, c + CHUNK);
            expOfMinusFullSquare(x, ox, e, c, end);
            erfTail(x, ox, e, c, end, out, oo);
        }
        return bound;
    }

    // GELU, its derivative and erf go through erfc(z) = t exp(-z^2) Q(t), t = 1 / (1 + z/2), Q a
    // polynomial of degree 10 in t (the variable of Press et al.'s fit in Numerical Recipes 6.2):
    // Q(t) = erfc(z) exp(z^2) / t is smooth over t in (0, 1], and its minimax fit
    // (bench/erfc_minimax.py) has a relative error of 1.1e-8 before rounding, 1e-7 evaluated in
    // float, for every z; so GELU keeps full float accuracy far into the negative tail where 1 +
    // erf would cancel. z^2 = hi + lo is split exactly with an fma and exp(-z^2) is taken as
    // exp(-hi) (1 - lo): rounding z^2 to float would cost up to 1e-5 relative once it reaches ~60.
    // Earlier sessions used Press et al.'s t exp(P(t) - z^2), P of degree 9, with exp(P) by a Taylor
    // polynomial of degree 10: Q is one polynomial instead of two chained ones, and against the
    // double twin over every 97th float of [-13, 9] the largest errors fell (GELU 5.5e-7 -> 4.5e-7
    // relative, GELU' 2.8e-7 -> 2.0e-7 relative to max(|GELU'|, 1); erf's, 2.1e-7 where 1 - erfc
    // takes over at 0.5, unchanged), in a third fewer operations. One Zen 3 core, medians of 21-31
    // alternating rounds: 8192 floats into another array GELU 2.7 -> 2.1 ns an element, GELU'
    // 2.6 -> 1.8, erf 3.6 -> 2.4; GELU forward + backward on 768 x 512 through the API 1576 ->
    // 1202 µs.
    //
    // The loops run in two passes: exp(-x^2) first, then everything else in a method
    // written out in full. C2 compiles each as its own unit only because the second is longer
    // than its inlining limit (325 bytes of bytecode): with both in one unit it exceeded its
    // node budget (NodeCountInliningCutoff), left some vector helpers un-inlined, and those run
    // the Vector API's scalar fallback, 10-60x slower depending on JIT timing. That is also why
    // the two second passes (geluBothTail, erfTail) repeat the same polynomial text
    // rather than call a shared helper: the helper would shrink them under the limit again.
    // Their constants are broadcast into locals before the loop, not read from static final
    // vectors: C2 reloads a static vector's payload from its array on every iteration (the
    // loop's stores to float[] could alias it), and on AVX2's 16 registers it also spilled
    // those reloads to the stack, 10 stores a vector (seen with bench/disasm.sh). GELU with its
    // slope on a Zen 3 core: 3.3-3.4 -> 2.8 ns an element.
    private static final float ERFCX_Q0 = 0.282094806432724f;
    private static final float ERFCX_Q1 = 0.2820938527584076f;
    private static final float ERFCX_Q2 = 0.24688059091567993f;
    private static final float ERFCX_Q3 = 0.17537683248519897f;
    private static final float ERFCX_Q4 = 0.09300052374601364f;
    private static final float ERFCX_Q5 = -0.0572320818901062f;
    private static final float ERFCX_Q6 = 0.12708817422389984f;
    private static final float ERFCX_Q7 = -0.44697505235671997f;
    private static final float ERFCX_Q8 = 0.4861763119697571f;
    private static final float ERFCX_Q9 = -0.23085620999336243f;
    private static final float ERFCX_Q10 = 0.042352255433797836f;
    private static final float ERFC_T11 = -1f / 1320f;
    private static final float ERFC_T9 = 1f / 216f;
    private static final float ERFC_T7 = -1f / 42f;
    private static final float ERFC_T5 = 1f / 10f;
    private static final float ERFC_T3 = -1f / 3f;

    /** Second pass of GELU and GELU' together, given e = exp(-x^2/2). */
    private static void geluBothTail(float[] x, int ox, float[] e, int from, int to, float[] y, int oy, float[] dy,
                                     int od) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector two = FloatVector.broadcast(S, 2f);
        FloatVector q10 = FloatVector.broadcast(S, ERFCX_Q10);
        FloatVector q9 = FloatVector.broadcast(S, ERFCX_Q9);
        FloatVector q8 = FloatVector.broadcast(S, ERFCX_Q8);
        FloatVector q7 = FloatVector.broadcast(S, ERFCX_Q7);
        FloatVector q6 = FloatVector.broadcast(S, ERFCX_Q6);
        FloatVector q5 = FloatVector.broadcast(S, ERFCX_Q5);
        FloatVector q4 = FloatVector.broadcast(S, ERFCX_Q4);
        FloatVector q3 = FloatVector.broadcast(S, ERFCX_Q3);
        FloatVector q2 = FloatVector.broadcast(S, ERFCX_Q2);
        FloatVector q1 = FloatVector.broadcast(S, ERFCX_Q1);
        FloatVector q0 = FloatVector.broadcast(S, ERFCX_Q0);
        for (int i = from; i < to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, ox + i);
            FloatVector em = FloatVector.fromArray(S, e, i - from);
            FloatVector xx = v.mul(v);
            FloatVector lo = v.fma(v, xx.neg()).mul(0.5f);
            FloatVector z = v.abs().mul(SQRT1_2);
            FloatVector t = one.div(z.mul(0.5f).add(1f));
            {
                // erfc(z) exp(z^2) / t, a polynomial in t
                FloatVector q = t.fma(q10, q9);
                q = t.fma(q, q8);
                q = t.fma(q, q7);
                q = t.fma(q, q6);
                q = t.fma(q, q5);
                q = t.fma(q, q4);
                q = t.fma(q, q3);
                q = t.fma(q, q2);
                q = t.fma(q, q1);
                q = t.fma(q, q0);
                FloatVector c = t.mul(em).mul(q).mul(one.sub(lo));
                FloatVector phi = c.blend(two.sub(c), v.compare(VectorOperators.GT, 0f));
                v.mul(0.5f).mul(phi).intoArray(y, oy + i);
                FloatVector pdf = em.mul(one.sub(lo)).mul(INV_SQRT_2PI);
                v.fma(pdf, phi.mul(0.5f)).intoArray(dy, od + i);
            }
        }
    }

    /** Second pass of erf, given e = exp(-x^2). */
    private static void erfTail(float[] x, int ox, float[] e, int from, int to, float[] out, int oo) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector two = FloatVector.broadcast(S, 2f);
        FloatVector q10 = FloatVector.broadcast(S, ERFCX_Q10);
        FloatVector q9 = FloatVector.broadcast(S, ERFCX_Q9);
        FloatVector q8 = FloatVector.broadcast(S, ERFCX_Q8);
        FloatVector q7 = FloatVector.broadcast(S, ERFCX_Q7);
        FloatVector q6 = FloatVector.broadcast(S, ERFCX_Q6);
        FloatVector q5 = FloatVector.broadcast(S, ERFCX_Q5);
        FloatVector q4 = FloatVector.broadcast(S, ERFCX_Q4);
        FloatVector q3 = FloatVector.broadcast(S, ERFCX_Q3);
        FloatVector q2 = FloatVector.broadcast(S, ERFCX_Q2);
        FloatVector q1 = FloatVector.broadcast(S, ERFCX_Q1);
        FloatVector q0 = FloatVector.broadcast(S, ERFCX_Q0);
        FloatVector t11 = FloatVector.broadcast(S, ERFC_T11);
        FloatVector t9 = FloatVector.broadcast(S, ERFC_T9);
        FloatVector t7 = FloatVector.broadcast(S, ERFC_T7);
        FloatVector t5 = FloatVector.broadcast(S, ERFC_T5);
        FloatVector t3 = FloatVector.broadcast(S, ERFC_T3);
        for (int i = from; i < to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, ox + i);
            FloatVector em = FloatVector.fromArray(S, e, i - from);
            FloatVector za = v.abs();
            FloatVector zz = za.mul(za);
            FloatVector lo = za.fma(za, zz.neg());
            FloatVector z = v.abs();
            FloatVector t = one.div(z.mul(0.5f).add(1f));
            {
                // erfc(z) exp(z^2) / t, a polynomial in t
                FloatVector q = t.fma(q10, q9);
                q = t.fma(q, q8);
                q = t.fma(q, q7);
                q = t.fma(q, q6);
                q = t.fma(q, q5);
                q = t.fma(q, q4);
                q = t.fma(q, q3);
                q = t.fma(q, q2);
                q = t.fma(q, q1);
                q = t.fma(q, q0);
                FloatVector c = t.mul(em).mul(q).mul(one.sub(lo));
                FloatVector erfc = c.blend(two.sub(c), v.lt(0f));
                FloatVector x2 = v.mul(v);
                FloatVector s = x2.fma(t11, t9);
                s = x2.fma(s, t7);
                s = x2.fma(s, t5);
                s = x2.fma(s, t3);
                s = x2.fma(s, one);
                FloatVector small = v.mul(s).mul(1.12837917f);
                one.sub(erfc).blend(small, v.abs().lt(0.5f)).intoArray(out, oo + i);
            }
        }
    }

    /** Elements per pass of the two-pass loops (stays in L1 between the passes). */
    private static final int CHUNK = 1024;

    /**
     * Two CHUNKs of scratch per thread for the two-pass loops, reused by every call: a fresh
     * pair of arrays is cold memory, about 0.4 µs of a 1.7 µs GELU over 512 elements.
     */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[2 * CHUNK]);

    /** First pass of GELU and its derivative: e = exp(-x^2/2), hi rounded as the second pass rounds it. */
    private static void expOfMinusHalfSquare(float[] x, int ox, float[] e, int from, int to) {
        for (int i = from; i < to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, ox + i);
            SimdKernels.expLow(v.mul(v).mul(-0.5f)).intoArray(e, i - from);
        }
    }

    /** First pass of erf: e = exp(-x^2). */
    private static void expOfMinusFullSquare(float[] x, int ox, float[] e, int from, int to) {
        for (int i = from; i < to; i += L) {
            FloatVector z = FloatVector.fromArray(S, x, ox + i).abs();
            SimdKernels.expLow(z.mul(z).neg()).intoArray(e, i - from);
        }
    }
}
