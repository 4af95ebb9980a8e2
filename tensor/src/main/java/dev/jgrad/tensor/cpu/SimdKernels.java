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

    private static final VectorShuffle<Float> SWAP32 = swap(32);
    private static final VectorShuffle<Float> SWAP16 = swap(16);
    private static final VectorShuffle<Float> SWAP8 = swap(8);
    private static final VectorShuffle<Float> SWAP4 = swap(4);
    private static final VectorShuffle<Float> SWAP2 = swap(2);
    private static final VectorShuffle<Float> SWAP1 = swap(1);

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

    /** Rows at most this long take {@link #softmaxBlocks}: a block of L of them is at most 16 L^2 floats (16 KB with AVX-512). */
    static final int SHORT_ROW = 16 * L;

    /**
     * Softmax (not log-softmax) of the first rows / L * L rows, L at a time: each pass runs over
     * the block's L rows before the next pass starts, and the rows' maxima and sums are reduced
     * together, L vectors into one whose lane r belongs to row r ({@link #transposeMax},
     * {@link #transposeSum}), where a row at a time waits on its own two reductions (a butterfly
     * of four dependent swap-and-op steps each) before its last pass can start. One division
     * for L rows' factors, one {@link #logNormal} for their logsumexps. Every row gets the bits
     * it gets alone: the same vector chains, the same butterfly (lane r of the transposed one
     * adds the same pairs as lane 0 of {@link #hsum}, operands swapped), its last n mod L terms
     * added after it as {@link #expSum} adds them. Returns the number of rows done.
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
                        float e = expLow(x[xb + r * n + i] - m);
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
     * merged into one vector (no butterfly), stored at t[r L]. No vector crosses a call in this
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
                FloatVector e = expLow(FloatVector.fromArray(S, x, xr + i).sub(vm));
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
            maxStep(t, 32, SWAP32, HIGH32);
        }
        if (L >= 32) {
            maxStep(t, 16, SWAP16, HIGH16);
        }
        if (L >= 16) {
            maxStep(t, 8, SWAP8, HIGH8);
        }
        if (L >= 8) {
            maxStep(t, 4, SWAP4, HIGH4);
        }
        if (L >= 4) {
            maxStep(t, 2, SWAP2, HIGH2);
        }
        if (L >= 2) {
            maxStep(t, 1, SWAP1, HIGH1);
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
     * {@link #transposeMax} with adds: lane r is {@link #hsum} of vector r, bit for bit. A copy,
     * not one method with a flag: C2 leaves a vector merged from two branches boxed (see
     * {@link #shiftMax}).
     */
    private static void transposeSum(float[] t) {
        if (L >= 64) {
            sumStep(t, 32, SWAP32, HIGH32);
        }
        if (L >= 32) {
            sumStep(t, 16, SWAP16, HIGH16);
        }
        if (L >= 16) {
            sumStep(t, 8, SWAP8, HIGH8);
        }
        if (L >= 8) {
            sumStep(t, 4, SWAP4, HIGH4);
        }
        if (L >= 4) {
            sumStep(t, 2, SWAP2, HIGH2);
        }
        if (L >= 2) {
            sumStep(t, 1, SWAP1, HIGH1);
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
     * The largest element of a row, as softmax's shift. Unlike {@link #max} it does not follow
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
            v = greater(v, v.rearrange(SWAP32));
        }
        if (L >= 32) {
            v = greater(v, v.rearrange(SWAP16));
        }
        if (L >= 16) {
            v = greater(v, v.rearrange(SWAP8));
        }
        if (L >= 8) {
            v = greater(v, v.rearrange(SWAP4));
        }
        if (L >= 4) {
            v = greater(v, v.rearrange(SWAP2));
        }
        if (L >= 2) {
            v = greater(v, v.rearrange(SWAP1));
        }
        return v.lane(0);
    }

    private static FloatVector greater(FloatVector a, FloatVector b) {
        return a.blend(b, a.lt(b));
    }

    /**
     * Sum of exp(x - m) over a row, also stored to out unless out is null: whole vectors, then the
     * last n mod L elements one at a time through the scalar {@link #expLow(float)}, which gives
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
            FloatVector e = expLow(FloatVector.fromArray(S, x, off + i).sub(vm));
            if (out != null) {
                e.intoArray(out, oo + i);
            }
            acc = acc.add(e);
        }
        float sum = hsum(acc);
        for (; i < n; i++) {
            float e = expLow(x[off + i] - m);
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
