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

    // GELU, its derivative and erf go through erfc(z) = t exp(P(t) - z^2), t = 1 / (1 + z/2), the
    // Chebyshev fit of Press et al. (Numerical Recipes 6.2, relative error below 1.2e-7 for every
    // z), so GELU keeps full float accuracy far into the negative tail where 1 + erf would
    // cancel. z^2 = hi + lo is split exactly with an fma and exp(P - z^2) is taken as
    // exp(-hi) exp(P) (1 - lo): rounding P - z^2 to float would cost up to 1e-5 relative once z^2
    // reaches ~60. exp(P) needs no range reduction (P stays in [-1.27, 0.01]), so it is a Taylor
    // polynomial about -0.63 (remainder below 1e-9 relative).
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
    private static final float ERFC_P9 = 0.17087277f;
    private static final float ERFC_P8 = -0.82215223f;
    private static final float ERFC_P7 = 1.48851587f;
    private static final float ERFC_P6 = -1.13520398f;
    private static final float ERFC_P5 = 0.27886807f;
    private static final float ERFC_P4 = -0.18628806f;
    private static final float ERFC_P3 = 0.09678418f;
    private static final float ERFC_P2 = 0.37409196f;
    private static final float ERFC_P1 = 1.00002368f;
    private static final float ERFC_P0 = -1.26551223f;
    private static final float ERFC_T11 = -1f / 1320f;
    private static final float ERFC_T9 = 1f / 216f;
    private static final float ERFC_T7 = -1f / 42f;
    private static final float ERFC_T5 = 1f / 10f;
    private static final float ERFC_T3 = -1f / 3f;
    private static final float EXP063_SCALE = (float) Math.exp(-0.63);
    private static final float EXP063_C10 = 1f / 3628800f;
    private static final float EXP063_C9 = 1f / 362880f;
    private static final float EXP063_C8 = 1f / 40320f;
    private static final float EXP063_C7 = 1f / 5040f;
    private static final float EXP063_C6 = 1f / 720f;
    private static final float EXP063_C5 = 1f / 120f;
    private static final float EXP063_C4 = 1f / 24f;
    private static final float EXP063_C3 = 1f / 6f;
    private static final float EXP063_C2 = 0.5f;

    /** Second pass of GELU and GELU' together, given e = exp(-x^2/2). */
    private static void geluBothTail(float[] x, int ox, float[] e, int from, int to, float[] y, int oy, float[] dy,
                                     int od) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector two = FloatVector.broadcast(S, 2f);
        FloatVector p9 = FloatVector.broadcast(S, ERFC_P9);
        FloatVector p8 = FloatVector.broadcast(S, ERFC_P8);
        FloatVector p7 = FloatVector.broadcast(S, ERFC_P7);
        FloatVector p6 = FloatVector.broadcast(S, ERFC_P6);
        FloatVector p5 = FloatVector.broadcast(S, ERFC_P5);
        FloatVector p4 = FloatVector.broadcast(S, ERFC_P4);
        FloatVector p3 = FloatVector.broadcast(S, ERFC_P3);
        FloatVector p2 = FloatVector.broadcast(S, ERFC_P2);
        FloatVector p1 = FloatVector.broadcast(S, ERFC_P1);
        FloatVector p0 = FloatVector.broadcast(S, ERFC_P0);
        FloatVector expscale = FloatVector.broadcast(S, EXP063_SCALE);
        FloatVector expc10 = FloatVector.broadcast(S, EXP063_C10);
        FloatVector expc9 = FloatVector.broadcast(S, EXP063_C9);
        FloatVector expc8 = FloatVector.broadcast(S, EXP063_C8);
        FloatVector expc7 = FloatVector.broadcast(S, EXP063_C7);
        FloatVector expc6 = FloatVector.broadcast(S, EXP063_C6);
        FloatVector expc5 = FloatVector.broadcast(S, EXP063_C5);
        FloatVector expc4 = FloatVector.broadcast(S, EXP063_C4);
        FloatVector expc3 = FloatVector.broadcast(S, EXP063_C3);
        FloatVector expc2 = FloatVector.broadcast(S, EXP063_C2);
        for (int i = from; i < to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, ox + i);
            FloatVector em = FloatVector.fromArray(S, e, i - from);
            FloatVector xx = v.mul(v);
            FloatVector lo = v.fma(v, xx.neg()).mul(0.5f);
            FloatVector z = v.abs().mul(SQRT1_2);
            FloatVector t = one.div(z.mul(0.5f).add(1f));
            {
                // erfc fit exponent P(t), then exp(P) by its Taylor series about -0.63 (P stays in [-1.27, 0.01])
                FloatVector p = t.fma(p9, p8);
                p = t.fma(p, p7);
                p = t.fma(p, p6);
                p = t.fma(p, p5);
                p = t.fma(p, p4);
                p = t.fma(p, p3);
                p = t.fma(p, p2);
                p = t.fma(p, p1);
                p = t.fma(p, p0);
                FloatVector dd = p.sub(-0.63f);
                FloatVector q = dd.fma(expc10, expc9);
                q = dd.fma(q, expc8);
                q = dd.fma(q, expc7);
                q = dd.fma(q, expc6);
                q = dd.fma(q, expc5);
                q = dd.fma(q, expc4);
                q = dd.fma(q, expc3);
                q = dd.fma(q, expc2);
                q = dd.fma(q, one);
                q = dd.fma(q, one).mul(expscale);
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
        FloatVector p9 = FloatVector.broadcast(S, ERFC_P9);
        FloatVector p8 = FloatVector.broadcast(S, ERFC_P8);
        FloatVector p7 = FloatVector.broadcast(S, ERFC_P7);
        FloatVector p6 = FloatVector.broadcast(S, ERFC_P6);
        FloatVector p5 = FloatVector.broadcast(S, ERFC_P5);
        FloatVector p4 = FloatVector.broadcast(S, ERFC_P4);
        FloatVector p3 = FloatVector.broadcast(S, ERFC_P3);
        FloatVector p2 = FloatVector.broadcast(S, ERFC_P2);
        FloatVector p1 = FloatVector.broadcast(S, ERFC_P1);
        FloatVector p0 = FloatVector.broadcast(S, ERFC_P0);
        FloatVector t11 = FloatVector.broadcast(S, ERFC_T11);
        FloatVector t9 = FloatVector.broadcast(S, ERFC_T9);
        FloatVector t7 = FloatVector.broadcast(S, ERFC_T7);
        FloatVector t5 = FloatVector.broadcast(S, ERFC_T5);
        FloatVector t3 = FloatVector.broadcast(S, ERFC_T3);
        FloatVector expscale = FloatVector.broadcast(S, EXP063_SCALE);
        FloatVector expc10 = FloatVector.broadcast(S, EXP063_C10);
        FloatVector expc9 = FloatVector.broadcast(S, EXP063_C9);
        FloatVector expc8 = FloatVector.broadcast(S, EXP063_C8);
        FloatVector expc7 = FloatVector.broadcast(S, EXP063_C7);
        FloatVector expc6 = FloatVector.broadcast(S, EXP063_C6);
        FloatVector expc5 = FloatVector.broadcast(S, EXP063_C5);
        FloatVector expc4 = FloatVector.broadcast(S, EXP063_C4);
        FloatVector expc3 = FloatVector.broadcast(S, EXP063_C3);
        FloatVector expc2 = FloatVector.broadcast(S, EXP063_C2);
        for (int i = from; i < to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, ox + i);
            FloatVector em = FloatVector.fromArray(S, e, i - from);
            FloatVector za = v.abs();
            FloatVector zz = za.mul(za);
            FloatVector lo = za.fma(za, zz.neg());
            FloatVector z = v.abs();
            FloatVector t = one.div(z.mul(0.5f).add(1f));
            {
                // erfc fit exponent P(t), then exp(P) by its Taylor series about -0.63 (P stays in [-1.27, 0.01])
                FloatVector p = t.fma(p9, p8);
                p = t.fma(p, p7);
                p = t.fma(p, p6);
                p = t.fma(p, p5);
                p = t.fma(p, p4);
                p = t.fma(p, p3);
                p = t.fma(p, p2);
                p = t.fma(p, p1);
                p = t.fma(p, p0);
                FloatVector d = p.sub(-0.63f);
                FloatVector q = d.fma(expc10, expc9);
                q = d.fma(q, expc8);
                q = d.fma(q, expc7);
                q = d.fma(q, expc6);
                q = d.fma(q, expc5);
                q = d.fma(q, expc4);
                q = d.fma(q, expc3);
                q = d.fma(q, expc2);
                q = d.fma(q, one);
                q = d.fma(q, one).mul(expscale);
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
