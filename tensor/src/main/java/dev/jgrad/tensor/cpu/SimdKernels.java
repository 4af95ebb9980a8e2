package dev.jgrad.tensor.cpu;

import dev.jgrad.tensor.backend.BinaryOp;
import dev.jgrad.tensor.backend.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * F32 kernels on contiguous runs with the Vector API. Idiom (Lucene's PanamaVectorUtilSupport):
 * species in a static final, {@code loopBound}, vector body, scalar tail through the twin in
 * {@link ScalarKernels}. Strided (non-unit) runs go straight to the twin. No
 * {@code FloatVector} appears in a public signature.
 */
public final class SimdKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    private SimdKernels() {
    }

    /**
     * Ops with a vector form; the rest run through the scalar twin. The Vector API's own
     * transcendental lanewise ops (EXP, LOG, TANH, ...) are not used: their intrinsic and their
     * interpreted fallback round differently, so results would change when the JIT kicks in.
     * exp is written out below with IEEE arithmetic only, which is bit-reproducible.
     */
    static boolean vectorized(UnaryOp op) {
        return switch (op) {
            case SIGN, LOG, SIN, COS -> false;
            default -> true;
        };
    }

    public static void unary(UnaryOp op, float[] x, int ox, int sx, float[] out, int oo, int n) {
        if (sx != 1 || !vectorized(op)) {
            ScalarKernels.unaryF32(op, x, ox, sx, out, oo, n);
            return;
        }
        if (op == UnaryOp.COPY) {
            System.arraycopy(x, ox, out, oo, n);
            return;
        }
        // One loop per op: the vector expression inside each loop is then fixed, which C2 needs
        // to keep vectors in registers (values merged from several branches may get boxed). The
        // transcendental loops live in small methods of their own: inside this big switch, C2 ran
        // out of inlining budget for exp/erfc (NodeCountInliningCutoff), and a vector helper that
        // is not inlined boxes every vector it passes: GELU ran at 4 ns per element instead of 0.3.
        int bound = S.loopBound(n);
        int i = 0;
        switch (op) {
            case NEG -> {
                for (; i < bound; i += L) {
                    FloatVector.fromArray(S, x, ox + i).neg().intoArray(out, oo + i);
                }
            }
            case EXP -> i = loopExp(x, ox, out, oo, bound);
            case SQRT -> {
                for (; i < bound; i += L) {
                    FloatVector.fromArray(S, x, ox + i).sqrt().intoArray(out, oo + i);
                }
            }
            case RSQRT -> {
                FloatVector one = FloatVector.broadcast(S, 1f);
                for (; i < bound; i += L) {
                    one.div(FloatVector.fromArray(S, x, ox + i).sqrt()).intoArray(out, oo + i);
                }
            }
            case ABS -> {
                for (; i < bound; i += L) {
                    FloatVector.fromArray(S, x, ox + i).abs().intoArray(out, oo + i);
                }
            }
            case TANH -> i = loopTanh(x, ox, out, oo, bound);
            case SIGMOID -> i = loopSigmoid(x, ox, out, oo, bound);
            case RELU -> {
                for (; i < bound; i += L) {
                    FloatVector.fromArray(S, x, ox + i).max(0f).intoArray(out, oo + i);
                }
            }
            case GELU -> i = ErfcKernels.gelu(x, ox, out, oo, bound);
            case GELU_GRAD -> i = ErfcKernels.geluGrad(x, ox, out, oo, bound);
            case ERF -> i = ErfcKernels.erf(x, ox, out, oo, bound);
            default -> throw new IllegalStateException(op + " has no vector form");
        }
        ScalarKernels.unaryF32(op, x, ox + i, 1, out, oo + i, n - i);
    }

    private static int loopExp(float[] x, int ox, float[] out, int oo, int bound) {
        int i = 0;
        for (; i < bound; i += L) {
            exp(FloatVector.fromArray(S, x, ox + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int loopTanh(float[] x, int ox, float[] out, int oo, int bound) {
        int i = 0;
        for (; i < bound; i += L) {
            tanh(FloatVector.fromArray(S, x, ox + i)).intoArray(out, oo + i);
        }
        return i;
    }

    private static int loopSigmoid(float[] x, int ox, float[] out, int oo, int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (; i < bound; i += L) {
            one.div(exp(FloatVector.fromArray(S, x, ox + i).neg()).add(1f)).intoArray(out, oo + i);
        }
        return i;
    }

    /**
     * exp(x) from IEEE arithmetic alone: x = k ln2 + r with |r| <= ln2/2 (Cody-Waite), a degree-6
     * minimax polynomial for e^r (relative error 3.1e-9 before rounding), and 2^k built in the
     * exponent bits in two halves so that results down to the smallest subnormal stay exact in range.
     * Relative error about 1 ulp; bit-identical in the interpreter and in compiled code.
     */
    static FloatVector exp(FloatVector x) {
        // Constants are scalars, broadcast where they are used (the scalar forms of fma, sub, lt
        // and blend broadcast too): a broadcast is a pure value that C2 hoists out of the caller's
        // loop, where a static final vector's payload is an array that it reloaded on every
        // iteration (the loop's float[] stores could alias it): two instructions per constant,
        // 16 of them per exp in softmax's row loop (seen with bench/disasm.sh). No clamp and no
        // float-to-int convert: Java's min/max (NaN and signed zero rules) and its saturating F2I
        // each compile to a chain of several instructions. Outside [E_LO, E_HI] the lanes compute
        // garbage that the two blends at the end replace; a NaN stays NaN through r and p.
        FloatVector t = x.fma(E_LOG2E, E_MAGIC);
        FloatVector p = expOfReduced(x, t, 1f);
        // t = 1.5 * 2^23 + k exactly, so its low mantissa bits hold k (two's complement)
        IntVector ki = t.reinterpretAsInts().sub(E_MAGIC_BITS);
        IntVector k1 = ki.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = ki.sub(k1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector result = p.mul(s1).mul(s2);
        result = result.blend(0f, x.lt(E_LO));
        return result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, E_HI));
    }

    /**
     * {@link #exp} for x <= 43, with the same bits there. Every exp inside a kernel (softmax's
     * rows shifted by their maximum, attention's scores, tanh's -2|x|, GELU's -x^2/2) has a
     * non-positive argument, give or take a rounding; only the exp op and sigmoid need the whole
     * range. Below 43 nothing overflows, so there is no test for it, and 2^k is one scale,
     * 2^(k + 64), a normal float for every k in [-190, 63], times 2^-64: the first product is
     * exact and the second rounds once, as exp's two half scales do, so results down to the
     * smallest subnormal are exp's (32 million random floats of [-110, 43] and the edges
     * compared). Seven operations fewer than exp: softmax into an existing array, one Zen 3
     * core, 64 x 50257 4.91 -> 4.24 ms, 768 x 128 113 -> 99 µs, 3072 x 64 273 -> 262 µs. The
     * 2^-64 rides in the polynomial's coefficients (2^-64 e^r, every step exact scaling of the
     * same rounding), so the result is one product, 2^-64 e^r times 2^(k + 64), rounded once as
     * before: same bits, one multiply fewer on the chain each element waits on (softmax's
     * exp-and-sum pass, 3072 x 64 and 64 x 4096, one core: 137 -> 129 and 142 -> 134 µs).
     */
    static FloatVector expLow(FloatVector x) {
        FloatVector t = x.fma(E_LOG2E, E_MAGIC);
        FloatVector p = expOfReduced(x, t, 0x1p-64f);
        FloatVector scale = t.reinterpretAsInts().add(127 + 64 - E_MAGIC_BITS).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        return p.mul(scale).blend(0f, x.lt(E_LO));
    }

    /**
     * One lane of {@link #expLow(FloatVector)}: the same operations in the same order (Math.fma
     * is the fused multiply-add the vector form uses), hence the same bits, for a row's last
     * elements past its whole vectors. SimdTwinTest compares the two over random floats and the
     * edges of the range.
     */
    static float expLow(float x) {
        float t = Math.fma(x, E_LOG2E, E_MAGIC);
        float k = t - E_MAGIC;
        float r = Math.fma(k, E_NLN2_HI, x);
        r = Math.fma(k, E_NLN2_LO, r);
        float r2 = r * r;
        float u = 0x1p-64f;
        float q = Math.fma(r2, Math.fma(r, E_Q5 * u, E_Q4 * u), Math.fma(r, E_Q3 * u, E_Q2 * u));
        q = Math.fma(r2 * r2, E_Q6 * u, q);
        float p = Math.fma(r, q, u);
        p = Math.fma(r, p, u);
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(t) + (127 + 64 - E_MAGIC_BITS)) << 23);
        return x < E_LO ? 0f : p * scale;
    }

    /**
     * unit e^r for x = k ln2 + r, given t = x log2(e) + 1.5 * 2^23 (k = t - 1.5 * 2^23, rounded to
     * an integer by that addition): the part {@link #exp} and {@link #expLow} share. unit is a
     * power of two (a constant at each call site, folded into the coefficients by C2): every
     * step is a fused multiply-add whose addend carries the unit, so each rounds exactly as it
     * would for unit 1 and the result is unit times the bits of e^r.
     */
    private static FloatVector expOfReduced(FloatVector x, FloatVector t, float unit) {
        FloatVector k = t.sub(E_MAGIC);
        FloatVector r = k.fma(FloatVector.broadcast(S, E_NLN2_HI), x);
        r = k.fma(FloatVector.broadcast(S, E_NLN2_LO), r);
        // e^r = 1 + r (1 + r q), q = q2 + q3 r + q4 r^2 + q5 r^3 + q6 r^4. q by Estrin's scheme,
        // three dependent steps instead of Horner's four: the loops that call exp are bound by
        // this chain's latency as much as by throughput (softmax's exp-and-sum pass, 64-50240
        // columns: 0.87-1.18 -> 0.75-0.89 ns an element, session 15). Only the last two steps,
        // Horner's, decide the rounding (q's own error is scaled by r^2 <= 0.12).
        FloatVector r2 = r.mul(r);
        FloatVector q = r2.fma(r.fma(E_Q5 * unit, E_Q4 * unit), r.fma(E_Q3 * unit, E_Q2 * unit));
        q = r2.mul(r2).fma(FloatVector.broadcast(S, E_Q6 * unit), q);
        FloatVector one = FloatVector.broadcast(S, unit);
        FloatVector p = r.fma(q, one);
        p = r.fma(p, one);
        return p;
    }

    private static final int E_MAGIC_BITS = Float.floatToRawIntBits(12582912f);
    private static final float E_LO = -104f;
    private static final float E_HI = 88.7228394f;
    private static final float E_LOG2E = 1.44269504f;
    private static final float E_MAGIC = 12582912f;      // 1.5 * 2^23: adding it rounds to an integer
    private static final float E_NLN2_HI = -0.693359375f; // ln 2 split so k * LN2_HI is exact
    private static final float E_NLN2_LO = 2.12194440e-4f;
    // q's coefficients: the minimax fit of (e^r - 1 - r) / r^2 for the relative error of
    // 1 + r + r^2 q over |r| <= ln2/2 (Remez exchange in 40-digit arithmetic, which
    // bench/exp_minimax.py reruns; 3.1e-9 before rounding the coefficients to float), where
    // sessions 5-17 used the Taylor series one degree higher (truncation 6e-9): one fused
    // multiply-add fewer per exp, and a smaller error against Math.exp: 0.940 -> 0.921 ulp at most
    // over 2^24 random points of [-104, 88.7], 0.947 -> 0.916 over 30 million of [-104, 43] and
    // [-1, 1] (normal results). expLow's loop over 8192 floats, one core, medians of 31
    // alternating rounds: 4.7 -> 4.4 µs.
    private static final float E_Q2 = 0.4999999403953552f;
    private static final float E_Q3 = 0.1666652113199234f;
    private static final float E_Q4 = 0.04166838899254799f;
    private static final float E_Q5 = 0.008368716575205326f;
    private static final float E_Q6 = 0.001381459878757596f;

    /** tanh: the odd Taylor series where |x| < 0.55 (no cancellation), (1 - e^-2|x|)/(1 + e^-2|x|) beyond. */
    static FloatVector tanh(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.mul(-929569f / 638512875f).add(21844f / 6081075f);
        p = x2.fma(p, FloatVector.broadcast(S, -1382f / 155925f));
        p = x2.fma(p, FloatVector.broadcast(S, 62f / 2835f));
        p = x2.fma(p, FloatVector.broadcast(S, -17f / 315f));
        p = x2.fma(p, FloatVector.broadcast(S, 2f / 15f));
        p = x2.fma(p, FloatVector.broadcast(S, -1f / 3f));
        p = x2.fma(p, FloatVector.broadcast(S, 1f));
        FloatVector small = x.mul(p);
        FloatVector a = x.abs();
        FloatVector e = expLow(a.mul(-2f));
        FloatVector big = FloatVector.broadcast(S, 1f).sub(e).div(e.add(1f));
        big = big.blend(big.neg(), x.lt(0f));
        return big.blend(small, a.lt(0.55f));
    }

    public static void binary(BinaryOp op, float[] a, int oa, int sa, float[] b, int ob, int sb,
                              float[] out, int oo, int n) {
        if (sa > 1 || sb > 1 || op == BinaryOp.POW || op.isComparison()) {
            ScalarKernels.binaryF32(op, a, oa, sa, b, ob, sb, out, oo, n);
            return;
        }
        // One method per op: the Vector API only compiles to SIMD instructions when the operator
        // is a compile-time constant, so the op cannot be a parameter of a shared loop. Measured:
        // one lanewise(op, ...) loop called with constant operators from this switch ran 3.5x
        // slower (x.mul(y) on 768 x 512: 2.9 against 0.84 ns per element), C2 not inlining it.
        int i = switch (op) {
            case ADD -> add(a, oa, sa, b, ob, sb, out, oo, n);
            case SUB -> sub(a, oa, sa, b, ob, sb, out, oo, n);
            case MUL -> mul(a, oa, sa, b, ob, sb, out, oo, n);
            case DIV -> div(a, oa, sa, b, ob, sb, out, oo, n);
            case MAXIMUM -> max(a, oa, sa, b, ob, sb, out, oo, n);
            case MINIMUM -> min(a, oa, sa, b, ob, sb, out, oo, n);
            default -> throw new IllegalStateException(op + " has no vector form");
        };
        ScalarKernels.binaryF32(op, a, oa + i * sa, sa, b, ob + i * sb, sb, out, oo + i, n - i);
    }

    private static int add(float[] a, int oa, int sa, float[] b, int ob, int sb, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        if (sa == 1 && sb == 1) {
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).add(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        } else if (sa == 1) {
            FloatVector vb = FloatVector.broadcast(S, b[ob]);
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).add(vb).intoArray(out, oo + i);
            }
        } else if (sb == 1) {
            FloatVector va = FloatVector.broadcast(S, a[oa]);
            for (; i < bound; i += L) {
                va.add(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        }
        return i;
    }

    private static int sub(float[] a, int oa, int sa, float[] b, int ob, int sb, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        if (sa == 1 && sb == 1) {
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).sub(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        } else if (sa == 1) {
            FloatVector vb = FloatVector.broadcast(S, b[ob]);
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).sub(vb).intoArray(out, oo + i);
            }
        } else if (sb == 1) {
            FloatVector va = FloatVector.broadcast(S, a[oa]);
            for (; i < bound; i += L) {
                va.sub(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        }
        return i;
    }

    private static int mul(float[] a, int oa, int sa, float[] b, int ob, int sb, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        if (sa == 1 && sb == 1) {
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).mul(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        } else if (sa == 1) {
            FloatVector vb = FloatVector.broadcast(S, b[ob]);
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).mul(vb).intoArray(out, oo + i);
            }
        } else if (sb == 1) {
            FloatVector va = FloatVector.broadcast(S, a[oa]);
            for (; i < bound; i += L) {
                va.mul(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        }
        return i;
    }

    private static int div(float[] a, int oa, int sa, float[] b, int ob, int sb, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        if (sa == 1 && sb == 1) {
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).div(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        } else if (sa == 1) {
            FloatVector vb = FloatVector.broadcast(S, b[ob]);
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).div(vb).intoArray(out, oo + i);
            }
        } else if (sb == 1) {
            FloatVector va = FloatVector.broadcast(S, a[oa]);
            for (; i < bound; i += L) {
                va.div(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        }
        return i;
    }

    private static int max(float[] a, int oa, int sa, float[] b, int ob, int sb, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        if (sa == 1 && sb == 1) {
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).max(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        } else if (sa == 1) {
            FloatVector vb = FloatVector.broadcast(S, b[ob]);
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).max(vb).intoArray(out, oo + i);
            }
        } else if (sb == 1) {
            FloatVector va = FloatVector.broadcast(S, a[oa]);
            for (; i < bound; i += L) {
                va.max(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        }
        return i;
    }

    private static int min(float[] a, int oa, int sa, float[] b, int ob, int sb, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        if (sa == 1 && sb == 1) {
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).min(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        } else if (sa == 1) {
            FloatVector vb = FloatVector.broadcast(S, b[ob]);
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, a, oa + i).min(vb).intoArray(out, oo + i);
            }
        } else if (sb == 1) {
            FloatVector va = FloatVector.broadcast(S, a[oa]);
            for (; i < bound; i += L) {
                va.min(FloatVector.fromArray(S, b, ob + i)).intoArray(out, oo + i);
            }
        }
        return i;
    }

    /**
     * x[xo, xo + n) += y[yo, yo + n): one row of an embedding's backward. Its own loop rather
     * than {@link #binary}, whose choice of op and strides cost more than the adds on the short
     * rows of small embeddings: 96 rows of 10 (the MLP's contexts) 1.15 -> 0.3 µs, one Zen 5 core.
     */
    static void addInto(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).add(FloatVector.fromArray(S, y, yo + i)).intoArray(x, xo + i);
        }
        for (; i < n; i++) {
            x[xo + i] += y[yo + i];
        }
    }

    /**
     * y[yo, yo + n) := x[xo, xo + n): one row of an embedding's lookup. A loop below a vector's
     * worth, where System.arraycopy's call cost more than the copy (96 rows of 10: 0.8 -> 0.3 µs).
     */
    static void copy(float[] x, int xo, float[] y, int yo, int n) {
        if (n >= L) {
            System.arraycopy(x, xo, y, yo, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            y[yo + i] = x[xo + i];
        }
    }

    /**
     * dst[d0 + j] := the sum over rows r in [0, rows) of src[off + r * ld + j], j in [0, w): each
     * column added row after row from zero, whatever the blocking, so any split of the columns
     * gives the same bits. Eight vectors of columns stay in registers across all the rows (eight
     * add chains in flight), then four, then one, then a masked last vector. The four-vector
     * block repeats the eight's shape on purpose: without it 64 columns ran one chain at a time
     * (3072 x 64: 6.2 -> 10.7 µs, 768 x 65: 2.1 -> 3.0). It was an add of
     * each row into an array, one call per row: a bias gradient over 768 x 512 took 25 µs on one
     * Zen 5 core, most of it the calls and the array's loads and stores.
     */
    static void columnSums(float[] src, int off, int ld, int rows, float[] dst, int d0, int w) {
        FloatVector zero = FloatVector.zero(S);
        int j = 0;
        for (; j + 8 * L <= w; j += 8 * L) {
            FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
            for (int r = 0, o = off + j; r < rows; r++, o += ld) {
                a0 = a0.add(FloatVector.fromArray(S, src, o));
                a1 = a1.add(FloatVector.fromArray(S, src, o + L));
                a2 = a2.add(FloatVector.fromArray(S, src, o + 2 * L));
                a3 = a3.add(FloatVector.fromArray(S, src, o + 3 * L));
                a4 = a4.add(FloatVector.fromArray(S, src, o + 4 * L));
                a5 = a5.add(FloatVector.fromArray(S, src, o + 5 * L));
                a6 = a6.add(FloatVector.fromArray(S, src, o + 6 * L));
                a7 = a7.add(FloatVector.fromArray(S, src, o + 7 * L));
            }
            a0.intoArray(dst, d0 + j);
            a1.intoArray(dst, d0 + j + L);
            a2.intoArray(dst, d0 + j + 2 * L);
            a3.intoArray(dst, d0 + j + 3 * L);
            a4.intoArray(dst, d0 + j + 4 * L);
            a5.intoArray(dst, d0 + j + 5 * L);
            a6.intoArray(dst, d0 + j + 6 * L);
            a7.intoArray(dst, d0 + j + 7 * L);
        }
        for (; j + 4 * L <= w; j += 4 * L) {
            FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
            for (int r = 0, o = off + j; r < rows; r++, o += ld) {
                a0 = a0.add(FloatVector.fromArray(S, src, o));
                a1 = a1.add(FloatVector.fromArray(S, src, o + L));
                a2 = a2.add(FloatVector.fromArray(S, src, o + 2 * L));
                a3 = a3.add(FloatVector.fromArray(S, src, o + 3 * L));
            }
            a0.intoArray(dst, d0 + j);
            a1.intoArray(dst, d0 + j + L);
            a2.intoArray(dst, d0 + j + 2 * L);
            a3.intoArray(dst, d0 + j + 3 * L);
        }
        for (; j < w; j += L) {
            VectorMask<Float> in = S.indexInRange(j, w);
            FloatVector a = zero;
            for (int r = 0, o = off + j; r < rows; r++, o += ld) {
                a = a.add(FloatVector.fromArray(S, src, o, in));
            }
            a.intoArray(dst, d0 + j, in);
        }
    }

    /**
     * Horizontal sum in a fixed order: a butterfly of lane swaps (i with i ^ L/2, then i ^ L/4,
     * ...) and adds, then lane 0. reduceLanes(ADD) leaves the float order unspecified, and its
     * intrinsic and interpreted forms do differ, which would make results depend on JIT timing;
     * swaps and adds are exact lane operations in both. (It was a store and L scalar adds: a
     * matrix-vector product of K = 128, one hsum per output, spent as long summing as multiplying.)
     */
    static float hsum(FloatVector v) {
        // L is a constant, so C2 keeps only the steps this species has; the shuffles are static
        // final constants (a shuffle C2 cannot see as a constant is not intrinsified).
        if (L >= 64) {
            v = v.add(v.rearrange(SWAP32));
        }
        if (L >= 32) {
            v = v.add(v.rearrange(SWAP16));
        }
        if (L >= 16) {
            v = v.add(v.rearrange(SWAP8));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(SWAP4));
        }
        if (L >= 4) {
            v = v.add(v.rearrange(SWAP2));
        }
        if (L >= 2) {
            v = v.add(v.rearrange(SWAP1));
        }
        return v.lane(0);
    }

    static final VectorShuffle<Float> SWAP32 = swap(32);
    static final VectorShuffle<Float> SWAP16 = swap(16);
    static final VectorShuffle<Float> SWAP8 = swap(8);
    static final VectorShuffle<Float> SWAP4 = swap(4);
    static final VectorShuffle<Float> SWAP2 = swap(2);
    static final VectorShuffle<Float> SWAP1 = swap(1);

    /** Lane i takes lane i ^ k (the identity where the species has fewer than 2k lanes). */
    private static VectorShuffle<Float> swap(int k) {
        return VectorShuffle.fromOp(S, i -> k < L ? i ^ k : i);
    }



    /** Sum of a contiguous run; four accumulators hide the FMA/add latency. */
    public static float sum(float[] x, int off, int n) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        int i = 0;
        int bound4 = n - 4 * L + 1;
        for (; i < bound4; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(S, x, off + i));
            a1 = a1.add(FloatVector.fromArray(S, x, off + i + L));
            a2 = a2.add(FloatVector.fromArray(S, x, off + i + 2 * L));
            a3 = a3.add(FloatVector.fromArray(S, x, off + i + 3 * L));
        }
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            a0 = a0.add(FloatVector.fromArray(S, x, off + i));
        }
        float s = hsum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    public static float max(float[] x, int off, int n) {
        return extreme(x, off, n, true);
    }

    public static float min(float[] x, int off, int n) {
        return extreme(x, off, n, false);
    }

    private static float extreme(float[] x, int off, int n, boolean max) {
        float init = max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        // Four chains: Java's max/min (NaN and signed-zero rules) compile to several dependent
        // instructions, so one accumulator leaves the loop latency-bound.
        FloatVector a0 = FloatVector.broadcast(S, init);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        int bound4 = n - 4 * L + 1;
        for (; i < bound4; i += 4 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, off + i);
            FloatVector v1 = FloatVector.fromArray(S, x, off + i + L);
            FloatVector v2 = FloatVector.fromArray(S, x, off + i + 2 * L);
            FloatVector v3 = FloatVector.fromArray(S, x, off + i + 3 * L);
            a0 = max ? a0.max(v0) : a0.min(v0);
            a1 = max ? a1.max(v1) : a1.min(v1);
            a2 = max ? a2.max(v2) : a2.min(v2);
            a3 = max ? a3.max(v3) : a3.min(v3);
        }
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            a0 = max ? a0.max(v) : a0.min(v);
        }
        FloatVector acc = max ? a0.max(a1).max(a2.max(a3)) : a0.min(a1).min(a2.min(a3));
        float m = acc.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
        for (; i < n; i++) {
            m = max ? Math.max(m, x[off + i]) : Math.min(m, x[off + i]);
        }
        return m;
    }
}
