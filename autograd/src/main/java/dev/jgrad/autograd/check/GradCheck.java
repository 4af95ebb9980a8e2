package dev.jgrad.autograd.check;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.Shape;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Checks analytic gradients against central differences in float64, at PyTorch's gradcheck
 * defaults (eps 1e-6, atol 1e-5, rtol 1e-3). Small problems compare the full Jacobian; large
 * ones compare random projections {@code uᵀ J v} (gradcheck's fast mode). Every input that
 * requires grad is checked; others (index arrays, masks) are passed through unchanged.
 *
 * <p>No test-library dependency: {@link #assertGradients} throws a plain {@link AssertionError}
 * whose message is the {@link Report}, which names the worst element.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /**
     * @param fullJacobianLimit compare the full Jacobian when inputs and outputs each have at most
     *                          this many elements; otherwise use {@code projections} random ones
     */
    public record Options(double eps, double atol, double rtol, int fullJacobianLimit, int projections, long seed) {
        public Options {
            if (!(eps > 0) || atol < 0 || rtol < 0 || fullJacobianLimit < 0 || projections < 1) {
                throw new IllegalArgumentException("GradCheck.Options: invalid eps " + eps + ", atol " + atol
                        + ", rtol " + rtol + ", fullJacobianLimit " + fullJacobianLimit + ", projections " + projections);
            }
        }

        public static Options defaults() {
            return new Options(1e-6, 1e-5, 1e-3, 256, 6, 1234);
        }

        public Options withTolerances(double atol, double rtol) {
            return new Options(eps, atol, rtol, fullJacobianLimit, projections, seed);
        }
    }

    /** The outcome, with the worst disagreement found. */
    public record Report(boolean passed, String mode, int comparisons, int worstInput, String worstWhere,
                         double analytic, double numeric, double atol, double rtol) {
        @Override
        public String toString() {
            String verdict = passed ? "gradcheck passed" : "gradcheck FAILED";
            if (comparisons == 0) {
                return verdict + " (" + mode + ", nothing to compare)";
            }
            return String.format("%s (%s, %d comparisons); worst: input %d %s analytic=%.9g numeric=%.9g |diff|=%.3g"
                            + " (allowed %.3g = atol %.1g + rtol %.1g * |numeric|)",
                    verdict, mode, comparisons, worstInput, worstWhere, analytic, numeric,
                    Math.abs(analytic - numeric), atol + rtol * Math.abs(numeric), atol, rtol);
        }
    }

    public static Report check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        return check(Options.defaults(), f, inputs);
    }

    /** Throws an AssertionError carrying the report when the check fails. */
    public static Report assertGradients(Function<Tensor[], Tensor> f, Tensor... inputs) {
        return assertGradients(Options.defaults(), f, inputs);
    }

    public static Report assertGradients(Options options, Function<Tensor[], Tensor> f, Tensor... inputs) {
        Report r = check(options, f, inputs);
        if (!r.passed()) {
            throw new AssertionError(r.toString());
        }
        return r;
    }

    public static Report check(Options o, Function<Tensor[], Tensor> f, Tensor... inputs) {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].requiresGrad() && inputs[i].dtype() != DType.F64) {
                throw new IllegalArgumentException("gradcheck: input " + i + " is " + inputs[i].dtype() + " "
                        + inputs[i].shape() + "; finite differences need F64 (convert with to(F64))");
            }
        }
        Tensor y = f.apply(inputs);
        if (y.dtype() != DType.F64) {
            throw new IllegalArgumentException("gradcheck: output is " + y.dtype() + "; the function must compute in F64");
        }
        int nOut = y.numel();
        int maxIn = 0;
        for (Tensor t : inputs) {
            maxIn = Math.max(maxIn, t.requiresGrad() ? t.numel() : 0);
        }
        if (!y.requiresGrad()) {
            return compareConstant(o, f, inputs);
        }
        Worst w = new Worst(o);
        if (nOut <= o.fullJacobianLimit() && maxIn <= o.fullJacobianLimit()) {
            fullJacobian(o, f, inputs, y, w);
            return w.report("full Jacobian");
        }
        projections(o, f, inputs, y, w);
        return w.report(o.projections() + " random projections");
    }

    /** An output that does not require grad is fine only if every numeric derivative is zero. */
    private static Report compareConstant(Options o, Function<Tensor[], Tensor> f, Tensor[] inputs) {
        Worst w = new Worst(o);
        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].requiresGrad()) {
                continue;
            }
            for (int e = 0; e < inputs[i].numel(); e++) {
                double[] col = numericColumn(o, f, inputs, i, e, null);
                for (int j = 0; j < col.length; j++) {
                    w.offer(i, where(inputs[i].shape(), e) + " output[" + j + "]", 0.0, col[j]);
                }
            }
        }
        return w.report("constant output");
    }

    private static void fullJacobian(Options o, Function<Tensor[], Tensor> f, Tensor[] inputs, Tensor y, Worst w) {
        int nOut = y.numel();
        Tensor[] wrt = Arrays.stream(inputs).filter(Tensor::requiresGrad).toArray(Tensor[]::new);
        // analytic[j][k] = gradients of output element j with respect to input k
        double[][][] analytic = new double[nOut][][];
        for (int j = 0; j < nOut; j++) {
            double[] seed = new double[nOut];
            seed[j] = 1;
            Tensor[] g = Tensor.grad(y, wrt, Tensor.of(NdArray.of(seed, y.shape().dims())), true, false);
            analytic[j] = new double[g.length][];
            for (int k = 0; k < g.length; k++) {
                checkGradShape(g[k], wrt[k]);
                analytic[j][k] = g[k].data().toDoubleArray();
            }
        }
        int k = 0;
        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].requiresGrad()) {
                continue;
            }
            for (int e = 0; e < inputs[i].numel(); e++) {
                double[] col = numericColumn(o, f, inputs, i, e, null);
                for (int j = 0; j < nOut; j++) {
                    w.offer(i, where(inputs[i].shape(), e) + " output" + where(y.shape(), j), analytic[j][k][e], col[j]);
                }
            }
            k++;
        }
    }

    private static void projections(Options o, Function<Tensor[], Tensor> f, Tensor[] inputs, Tensor y, Worst w) {
        Generator gen = new Generator(o.seed());
        Tensor[] wrt = Arrays.stream(inputs).filter(Tensor::requiresGrad).toArray(Tensor[]::new);
        for (int p = 0; p < o.projections(); p++) {
            NdArray u = NdArray.randn(gen, DType.F64, y.shape().dims());
            Tensor[] g = Tensor.grad(y, wrt, Tensor.of(u), true, false);
            double[] uv = u.toDoubleArray();
            int k = 0;
            for (int i = 0; i < inputs.length; i++) {
                if (!inputs[i].requiresGrad()) {
                    continue;
                }
                checkGradShape(g[k], inputs[i]);
                NdArray v = NdArray.randn(gen, DType.F64, inputs[i].shape().dims());
                double analytic = dot(g[k].data().toDoubleArray(), v.toDoubleArray());
                double[] dir = numericColumn(o, f, inputs, i, -1, v);
                w.offer(i, "projection " + p, analytic, dot(uv, dir));
                k++;
            }
        }
    }

    private static void checkGradShape(Tensor g, Tensor input) {
        if (!g.shape().equals(input.shape())) {
            throw new AssertionError("gradcheck: gradient has shape " + g.shape() + " but the input has " + input.shape());
        }
    }

    /** (f(x + eps d) - f(x - eps d)) / 2 eps for d = one element (when dir is null) or a direction. */
    private static double[] numericColumn(Options o, Function<Tensor[], Tensor> f, Tensor[] inputs, int i, int element,
                                          NdArray dir) {
        double[] plus = evaluate(f, perturbed(inputs, i, element, dir, o.eps()));
        double[] minus = evaluate(f, perturbed(inputs, i, element, dir, -o.eps()));
        double[] col = new double[plus.length];
        for (int j = 0; j < col.length; j++) {
            col[j] = (plus[j] - minus[j]) / (2 * o.eps());
        }
        return col;
    }

    private static Tensor[] perturbed(Tensor[] inputs, int i, int element, NdArray dir, double delta) {
        Tensor[] copy = inputs.clone();
        double[] values = inputs[i].data().toDoubleArray();
        if (dir == null) {
            values[element] += delta;
        } else {
            double[] d = dir.toDoubleArray();
            for (int k = 0; k < values.length; k++) {
                values[k] += delta * d[k];
            }
        }
        NdArray moved = NdArray.of(values, inputs[i].shape().dims());
        // Perturbed inputs keep requiring grad, so a function that differentiates internally
        // (a gradient used as the function, as in gradgradcheck) still works.
        copy[i] = Tensor.param(moved);
        return copy;
    }

    private static double[] evaluate(Function<Tensor[], Tensor> f, Tensor[] inputs) {
        return f.apply(inputs).data().toDoubleArray();
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) {
            s += a[k] * b[k];
        }
        return s;
    }

    private static String where(Shape shape, int flat) {
        int[] idx = new int[shape.rank()];
        int rem = flat;
        for (int d = shape.rank() - 1; d >= 0; d--) {
            int n = Math.max(shape.size(d), 1);
            idx[d] = rem % n;
            rem /= n;
        }
        return Arrays.toString(idx);
    }

    /**
     * Checks that gradients computed in F32 agree with the F64 ones within {@code atol}/{@code rtol}
     * (for float32, atol 1e-3 and rtol 1e-2 are typical). Inputs are given in F64.
     */
    public static Report compareF32(Function<Tensor[], Tensor> f, double atol, double rtol, Tensor... inputs) {
        Tensor[] in64 = new Tensor[inputs.length];
        Tensor[] in32 = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            boolean g = inputs[i].requiresGrad();
            NdArray d = inputs[i].data();
            in64[i] = g ? Tensor.param(d.to(DType.F64)) : inputs[i];
            in32[i] = g ? Tensor.param(d.to(DType.F32)) : inputs[i];
        }
        Tensor[] g64 = gradsOf(f.apply(in64), in64);
        Tensor[] g32 = gradsOf(f.apply(in32), in32);
        Worst w = new Worst(new Options(1e-6, atol, rtol, 0, 1, 0));
        int k = 0;
        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].requiresGrad()) {
                continue;
            }
            double[] a = g32[k].data().toDoubleArray();
            double[] b = g64[k].data().toDoubleArray();
            for (int e = 0; e < a.length; e++) {
                w.offer(i, where(inputs[i].shape(), e) + " (F32 vs F64)", a[e], b[e]);
            }
            k++;
        }
        return w.report("F32 against F64");
    }

    private static Tensor[] gradsOf(Tensor y, Tensor[] inputs) {
        Tensor[] wrt = Arrays.stream(inputs).filter(Tensor::requiresGrad).toArray(Tensor[]::new);
        Tensor seed = Tensor.of(NdArray.ones(y.dtype(), y.shape().dims()));
        return Tensor.grad(y, wrt, seed, false, false);
    }

    /** Tracks the comparison that is furthest outside (or closest to) its tolerance. */
    private static final class Worst {
        private final Options o;
        private int count;
        private boolean passed = true;
        private double score = Double.NEGATIVE_INFINITY;
        private int input = -1;
        private String where = "";
        private double analytic;
        private double numeric;

        Worst(Options o) {
            this.o = o;
        }

        void offer(int in, String at, double a, double n) {
            count++;
            double allowed = o.atol() + o.rtol() * Math.abs(n);
            double diff = Math.abs(a - n);
            boolean ok = diff <= allowed || (Double.isNaN(a) && Double.isNaN(n)) || a == n;
            double s = Double.isNaN(diff) && !ok ? Double.POSITIVE_INFINITY : (ok ? diff / Math.max(allowed, 1e-300) : 1 + diff / Math.max(allowed, 1e-300));
            passed &= ok;
            if (s > score) {
                score = s;
                input = in;
                where = at;
                analytic = a;
                numeric = n;
            }
        }

        Report report(String mode) {
            return new Report(passed, mode, count, input, where, analytic, numeric, o.atol(), o.rtol());
        }
    }
}
