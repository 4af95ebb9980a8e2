package dev.jgrad.tensor.cpu;

import dev.jgrad.tensor.backend.BinaryOp;
import dev.jgrad.tensor.backend.UnaryOp;

/**
 * Plain scalar loops: the F64 and I32 kernels, and the slow twin of every F32 SIMD kernel,
 * kept forever as its test oracle. Math is done in double, then rounded once to the output
 * type, so the F32 twin is at least as accurate as the SIMD kernel it checks.
 */
public final class ScalarKernels {
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    private static final double SQRT1_2 = 0.7071067811865476;
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double INV_SQRT_PI = 0.5641895835477563;

    private ScalarKernels() {
    }

    // ------------------------------------------------------------------ element functions

    /** The oracle for {@link FusedKernels#adamw}: same float operations in the same order. */
    static void adamw(float[] w, int wo, float[] g, int go, float[] m, int mo, float[] v, int vo, int n,
                      dev.jgrad.tensor.backend.AdamStep st) {
        float c1 = 1f - st.beta1();
        float c2 = 1f - st.beta2();
        for (int i = 0; i < n; i++) {
            float gi = g[go + i];
            float mi = m[mo + i] * st.beta1() + gi * c1;
            float vi = v[vo + i] * st.beta2() + gi * gi * c2;
            m[mo + i] = mi;
            v[vo + i] = vi;
            float upd = mi / st.bc1() / ((float) Math.sqrt(vi / st.bc2()) + st.eps()) * st.lr();
            w[wo + i] = w[wo + i] * st.decay() - upd;
        }
    }

    /** The oracle for {@link FusedKernels#sgd}: same float operations in the same order. */
    static void sgd(float[] w, int wo, float[] g, int go, float[] v, int vo, int n,
                    dev.jgrad.tensor.backend.SgdStep st) {
        for (int i = 0; i < n; i++) {
            float d = g[go + i];
            if (st.weightDecay() != 0) {
                d = d + st.weightDecay() * w[wo + i];
            }
            if (v != null) {
                d = st.first() ? d : v[vo + i] * st.momentum() + d;
                v[vo + i] = d;
            }
            w[wo + i] = w[wo + i] - st.lr() * d;
        }
    }

    /** The oracle for {@link FusedKernels#layerNormRows}, in double. */
    static void layerNormRow(float[] x, int xo, float[] w, int wo, float[] b, int bo, float eps, float[] y, int yo,
                             float[] mean, float[] rstd, int row, int c) {
        double m = 0;
        for (int j = 0; j < c; j++) {
            m += x[xo + j];
        }
        m /= c;
        double ss = 0;
        for (int j = 0; j < c; j++) {
            ss += (x[xo + j] - m) * (x[xo + j] - m);
        }
        double rs = 1 / Math.sqrt(ss / c + eps);
        mean[row] = (float) m;
        rstd[row] = (float) rs;
        for (int j = 0; j < c; j++) {
            double v = (x[xo + j] - m) * rs * w[wo + j];
            y[yo + j] = (float) (b != null ? v + b[bo + j] : v);
        }
    }

    /** The oracle for {@link FusedKernels#layerNormBackwardRow}, in double. */
    static void layerNormBackwardRow(float[] g, int go, float[] x, int xo, float[] w, int wo, float m, float rs,
                                     float[] dx, int dxo, int c) {
        double s1 = 0;
        double s2 = 0;
        for (int j = 0; j < c; j++) {
            double gw = (double) g[go + j] * w[wo + j];
            s1 += gw;
            s2 += gw * ((x[xo + j] - (double) m) * rs);
        }
        for (int j = 0; j < c; j++) {
            double gw = (double) g[go + j] * w[wo + j];
            double xh = (x[xo + j] - (double) m) * rs;
            dx[dxo + j] = (float) ((gw - s1 / c - xh * s2 / c) * rs);
        }
    }

    /**
     * The oracle for {@link FusedKernels#attentionForward}: the textbook loops in double, the
     * whole row of probabilities at once (no tiles, no running maximum).
     */
    static void attentionForward(float[] q, int qo, int qr, float[] k, int ko, int kr, float[] v, int vo, int vr,
                                 int tq, int tk, int hs, double scale, float[] out, int oo, int or, float[] lse,
                                 int lo) {
        double[] p = new double[tk];
        for (int i = 0; i < tq; i++) {
            double z = probabilities(q, qo + i * qr, k, ko, kr, i + tk - tq + 1, hs, scale, p);
            lse[lo + i] = (float) z;
            for (int d = 0; d < hs; d++) {
                double o = 0;
                for (int j = 0; j < i + tk - tq + 1; j++) {
                    o += p[j] * v[vo + j * vr + d];
                }
                out[oo + i * or + d] = (float) o;
            }
        }
    }

    /** p[0, n) := softmax(scale q·k_j) over the first n keys, in double; returns the log-sum-exp. */
    private static double probabilities(float[] q, int qi, float[] k, int ko, int kr, int n, int hs, double scale,
                                        double[] p) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            double dot = 0;
            for (int d = 0; d < hs; d++) {
                dot += (double) q[qi + d] * k[ko + j * kr + d];
            }
            p[j] = dot * scale;
            m = Math.max(m, p[j]);
        }
        double z = 0;
        for (int j = 0; j < n; j++) {
            p[j] = Math.exp(p[j] - m);
            z += p[j];
        }
        for (int j = 0; j < n; j++) {
            p[j] /= z;
        }
        return m + Math.log(z);
    }

    /**
     * The oracle for {@link FusedKernels#attentionBackward}, in double. It recomputes the
     * probabilities from q and k rather than trusting the forward's saved out and lse, which it
     * takes only to share the kernel's signature.
     */
    static void attentionBackward(float[] q, int qo, int qr, float[] k, int ko, int kr, float[] v, int vo, int vr,
                                  float[] out, int oo, int or, float[] lse, int lo, float[] g, int go, int gr, int tq,
                                  int tk, int hs, double scale, float[] dq, int dqo, int dqr, float[] dk, int dko,
                                  int dkr, float[] dv, int dvo, int dvr) {
        double[] dqs = new double[tq * hs];
        double[] dks = new double[tk * hs];
        double[] dvs = new double[tk * hs];
        double[] p = new double[tk];
        double[] dp = new double[tk];
        for (int i = 0; i < tq; i++) {
            int n = i + tk - tq + 1;
            probabilities(q, qo + i * qr, k, ko, kr, n, hs, scale, p);
            double dot = 0;
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int d = 0; d < hs; d++) {
                    acc += (double) g[go + i * gr + d] * v[vo + j * vr + d];
                }
                dp[j] = acc;
                dot += p[j] * acc;
            }
            for (int j = 0; j < n; j++) {
                double dsj = p[j] * (dp[j] - dot) * scale;
                for (int d = 0; d < hs; d++) {
                    dvs[j * hs + d] += p[j] * g[go + i * gr + d];
                    dqs[i * hs + d] += dsj * k[ko + j * kr + d];
                    dks[j * hs + d] += dsj * q[qo + i * qr + d];
                }
            }
        }
        for (int i = 0; i < tq; i++) {
            for (int d = 0; d < hs; d++) {
                dq[dqo + i * dqr + d] = (float) dqs[i * hs + d];
            }
        }
        for (int j = 0; j < tk; j++) {
            for (int d = 0; d < hs; d++) {
                dk[dko + j * dkr + d] = (float) dks[j * hs + d];
                dv[dvo + j * dvr + d] = (float) dvs[j * hs + d];
            }
        }
    }

    static double sumOfSquares(float[] x, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) x[off + i] * x[off + i];
        }
        return s;
    }

    public static double unary(UnaryOp op, double x) {
        return switch (op) {
            case COPY -> x;
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1.0 / Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
            case RELU -> x > 0 || Double.isNaN(x) ? x : 0.0;
            case GELU -> 0.5 * x * erfc(-x * SQRT1_2);
            case GELU_GRAD -> 0.5 * erfc(-x * SQRT1_2) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI;
            case ERF -> erf(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
        };
    }

    public static double binary(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
        };
    }

    static int binaryInt(BinaryOp op, int a, int b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            case DIV, POW -> throw new IllegalStateException(op + " is not an integer op");
            default -> (int) binary(op, a, b);
        };
    }

    static int unaryInt(UnaryOp op, int x) {
        return switch (op) {
            case COPY -> x;
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Integer.signum(x);
            case RELU -> Math.max(x, 0);
            default -> throw new IllegalStateException(op + " is not an integer op");
        };
    }

    /**
     * The error function to double precision: a positive-term series (no cancellation) for
     * |x| < 3, and the complementary function's continued fraction beyond.
     */
    public static double erf(double x) {
        double z = Math.abs(x);
        if (Double.isNaN(x)) {
            return x;
        }
        double r = z < 3 ? erfSeries(z) : 1.0 - erfcFraction(z);
        return x < 0 ? -r : r;
    }

    /** 1 - erf(x), accurate in relative terms far into the upper tail. */
    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < 0) {
            return 2.0 - erfc(-x);
        }
        return x < 3 ? 1.0 - erfSeries(x) : erfcFraction(x);
    }

    // erf(z) = 2/sqrt(pi) * exp(-z^2) * sum_n 2^n z^(2n+1) / (1*3*...*(2n+1)); every term positive.
    private static double erfSeries(double z) {
        double term = z;
        double sum = z;
        double z2 = 2 * z * z;
        for (int n = 1; n < 200; n++) {
            term *= z2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) {
                break;
            }
        }
        return TWO_OVER_SQRT_PI * Math.exp(-z * z) * sum;
    }

    // erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), evaluated from the tail.
    private static double erfcFraction(double z) {
        if (z > 27) {
            return 0.0;
        }
        double f = z;
        for (int k = 80; k >= 1; k--) {
            f = z + (k * 0.5) / f;
        }
        return INV_SQRT_PI * Math.exp(-z * z) / f;
    }

    // ------------------------------------------------------------------ strided rows

    public static void unaryF32(UnaryOp op, float[] x, int ox, int sx, float[] out, int oo, int n) {
        if (op == UnaryOp.COPY) {
            for (int i = 0; i < n; i++) {
                out[oo + i] = x[ox + i * sx];
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            out[oo + i] = (float) unary(op, x[ox + i * sx]);
        }
    }

    public static void unaryF64(UnaryOp op, double[] x, int ox, int sx, double[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = unary(op, x[ox + i * sx]);
        }
    }

    public static void unaryI32(UnaryOp op, int[] x, int ox, int sx, int[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = unaryInt(op, x[ox + i * sx]);
        }
    }

    public static void binaryF32(BinaryOp op, float[] a, int oa, int sa, float[] b, int ob, int sb,
                                 float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = (float) binary(op, a[oa + i * sa], b[ob + i * sb]);
        }
    }

    public static void binaryF64(BinaryOp op, double[] a, int oa, int sa, double[] b, int ob, int sb,
                                 double[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = binary(op, a[oa + i * sa], b[ob + i * sb]);
        }
    }

    public static void binaryI32(BinaryOp op, int[] a, int oa, int sa, int[] b, int ob, int sb,
                                 int[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = binaryInt(op, a[oa + i * sa], b[ob + i * sb]);
        }
    }

    public static void compareF32(BinaryOp op, float[] a, int oa, int sa, float[] b, int ob, int sb,
                                  int[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = (int) binary(op, a[oa + i * sa], b[ob + i * sb]);
        }
    }

    public static void compareF64(BinaryOp op, double[] a, int oa, int sa, double[] b, int ob, int sb,
                                  int[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = (int) binary(op, a[oa + i * sa], b[ob + i * sb]);
        }
    }

    public static void compareI32(BinaryOp op, int[] a, int oa, int sa, int[] b, int ob, int sb,
                                  int[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = (int) binary(op, a[oa + i * sa], b[ob + i * sb]);
        }
    }

    // ------------------------------------------------------------------ contiguous row reductions

    public static double sum(float[] x, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    public static double max(float[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    public static double min(float[] x, int off, int n) {
        double m = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.min(m, x[off + i]);
        }
        return m;
    }

    /** The twin of {@link FusedKernels#activationBackward}: tanh g (1 - y^2), sigmoid (g y) (1 - y). */
    static void activationBackward(boolean tanh, float[] y, int yo, float[] g, int go, float[] d, int dO, int n) {
        for (int i = 0; i < n; i++) {
            float v = y[yo + i];
            d[dO + i] = tanh ? (1f - v * v) * g[go + i] : g[go + i] * v * (1f - v);
        }
    }

    /** log(sum(exp(x))) with the maximum subtracted; an infinite maximum is not subtracted (PyTorch). */
    public static double logsumexp(double[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        double shift = Double.isInfinite(m) ? 0 : m;
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.exp(x[off + i] - shift);
        }
        return shift + Math.log(s);
    }

    /** Softmax or log-softmax of one contiguous row, in double; returns the row's logsumexp. */
    public static double softmax(double[] x, int off, double[] out, int oo, int n, boolean log) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.exp(x[off + i] - m);
        }
        if (log) {
            double ls = Math.log(s);
            for (int i = 0; i < n; i++) {
                out[oo + i] = x[off + i] - m - ls;
            }
        } else {
            for (int i = 0; i < n; i++) {
                out[oo + i] = Math.exp(x[off + i] - m) / s;
            }
        }
        return m + Math.log(s);
    }

    /** Softmax of a float row through the double twin (the oracle of the SIMD row kernel). */
    public static float softmaxF32(float[] x, int off, float[] out, int oo, int n, boolean log) {
        double[] row = new double[n];
        for (int i = 0; i < n; i++) {
            row[i] = x[off + i];
        }
        double[] res = new double[n];
        double lse = softmax(row, 0, res, 0, n, log);
        for (int i = 0; i < n; i++) {
            out[oo + i] = (float) res[i];
        }
        return (float) lse;
    }

    /** The oracle for {@link FusedKernels#lstmCellRow}, in double from the float inputs. */
    static void lstmCellRow(float[] z, int zo, float[] p, int po, float[] cp, int cpo, float[] act, int ao,
                            float[] c, int co, float[] tc, int tco, float[] h, int ho, int hid) {
        for (int j = 0; j < 4 * hid; j++) {
            double v = (double) z[zo + j] + p[po + j];
            boolean cell = j >= 2 * hid && j < 3 * hid;
            act[ao + j] = (float) unary(cell ? UnaryOp.TANH : UnaryOp.SIGMOID, v);
        }
        for (int j = 0; j < hid; j++) {
            double cj = (double) act[ao + hid + j] * cp[cpo + j] + (double) act[ao + j] * act[ao + 2 * hid + j];
            double t = Math.tanh(cj);
            c[co + j] = (float) cj;
            tc[tco + j] = (float) t;
            h[ho + j] = (float) (act[ao + 3 * hid + j] * t);
        }
    }

    /** The oracle for {@link FusedKernels#lstmCellBackwardRow}, in double from the float inputs. */
    static void lstmCellBackwardRow(float[] act, int ao, float[] tc, int tco, float[] cp, int cpo, float[] gh, int gho,
                                    float[] gc, int gco, float[] dh, int dho, float[] dcn, int dcno, float[] dg,
                                    int dgo, float[] dco, int dcoo, int hid) {
        for (int j = 0; j < hid; j++) {
            double i = act[ao + j];
            double f = act[ao + hid + j];
            double g = act[ao + 2 * hid + j];
            double o = act[ao + 3 * hid + j];
            double t = tc[tco + j];
            double dhs = (double) gh[gho + j] + dh[dho + j];
            double dcs = (1 - t * t) * o * dhs + gc[gco + j] + dcn[dcno + j];
            dg[dgo + j] = (float) (dcs * g * i * (1 - i));
            dg[dgo + hid + j] = (float) (dcs * cp[cpo + j] * f * (1 - f));
            dg[dgo + 2 * hid + j] = (float) (dcs * i * (1 - g * g));
            dg[dgo + 3 * hid + j] = (float) (dhs * t * o * (1 - o));
            dco[dcoo + j] = (float) (dcs * f);
        }
    }
}
