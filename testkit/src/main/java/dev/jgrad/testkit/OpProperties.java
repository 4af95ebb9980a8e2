package dev.jgrad.testkit;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.autograd.check.GradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.util.Arrays;

/**
 * The generic properties every op spec row must satisfy. Each method throws an
 * {@link AssertionError} naming the op, the case and the first bad element; call them from a
 * jqwik {@code @Property} over {@link OpSpec#cases()} (see README, "Testing your own ops").
 */
public final class OpProperties {
    /** F32 kernels (SIMD, approximate exp/erf) against the double reference. */
    public static final double F32_ATOL = 1e-4;
    public static final double F32_RTOL = 1e-4;
    /** F64 kernels against the double reference: only rounding differences. */
    public static final double F64_ATOL = 1e-9;
    public static final double F64_RTOL = 1e-9;

    private OpProperties() {
    }

    static Tensor[] tensors(NdArray[] arrays, boolean requireGrad, DType floatType) {
        Tensor[] t = new Tensor[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            NdArray a = arrays[i];
            if (a.dtype().isFloating()) {
                NdArray v = a.to(floatType);
                t[i] = requireGrad ? Tensor.param(v) : Tensor.of(v);
            } else {
                t[i] = Tensor.of(a);
            }
        }
        return t;
    }

    static RefArray reference(OpCase c) {
        RefArray[] in = Arrays.stream(c.arrays()).map(RefArray::of).toArray(RefArray[]::new);
        return c.spec().reference().apply(in, c.params());
    }

    /** F64 forward equals the plain double reference. */
    public static void forwardMatchesReference(OpCase c) {
        Tensor y = c.spec().op().apply(tensors(c.arrays(), false, DType.F64), c.params());
        assertClose(c, "F64 forward", reference(c), y.data(), F64_ATOL, F64_RTOL);
    }

    /** F32 forward (the fast kernels) equals the double reference within float tolerances. */
    public static void forwardF32MatchesReference(OpCase c) {
        Tensor y = c.spec().op().apply(tensors(c.arrays(), false, DType.F32), c.params());
        if (y.dtype() != DType.F32) {
            throw new AssertionError(c + ": F32 inputs gave a " + y.dtype() + " result");
        }
        assertClose(c, "F32 forward", reference(c), y.data(), F32_ATOL, F32_RTOL);
    }

    /** Analytic gradients agree with float64 central differences. */
    public static void gradcheckPasses(OpCase c) {
        if (!c.spec().differentiable()) {
            return;
        }
        Tensor[] in = tensors(c.arrays(), true, DType.F64);
        GradCheck.Report r = GradCheck.check(x -> c.spec().op().apply(x, c.params()), in);
        if (!r.passed()) {
            throw new AssertionError(c + ": " + r);
        }
    }

    /**
     * Gradients of gradients (PyTorch gradgradcheck): h(x) = sum_i <grad_i f(x), v_i> is built
     * with createGraph, and GradCheck compares its gradient (a Hessian-vector product, computed
     * by differentiating every backward formula) with central differences of h.
     */
    public static void gradgradcheckPasses(OpCase c) {
        if (!c.spec().differentiable()) {
            return;
        }
        Tensor[] in = tensors(c.arrays(), true, DType.F64);
        Generator gen = new Generator(17);
        Tensor probe = c.spec().op().apply(in, c.params());
        if (!probe.requiresGrad()) {
            return;
        }
        NdArray seed = NdArray.randn(gen, DType.F64, probe.shape().dims());
        NdArray[] dirs = new NdArray[in.length];
        for (int i = 0; i < in.length; i++) {
            dirs[i] = in[i].requiresGrad() ? NdArray.randn(gen, DType.F64, in[i].shape().dims()) : null;
        }
        GradCheck.Report r = GradCheck.check(x -> {
            Tensor y = c.spec().op().apply(x, c.params());
            Tensor[] wrt = Arrays.stream(x).filter(Tensor::requiresGrad).toArray(Tensor[]::new);
            if (!y.requiresGrad()) {
                return Tensor.scalar(DType.F64, 0);
            }
            Tensor[] g = Tensor.grad(y, wrt, Tensor.of(seed), true, true);
            Tensor h = Tensor.scalar(DType.F64, 0);
            for (int i = 0, k = 0; i < x.length; i++) {
                if (x[i].requiresGrad()) {
                    h = h.add(g[k++].mul(Tensor.of(dirs[i])).sum());
                }
            }
            return h;
        }, in);
        if (!r.passed()) {
            throw new AssertionError(c + ": second order: " + r);
        }
    }

    /** Results and gradients are the same whether inputs are contiguous or strided views. */
    public static void contiguityDoesNotMatter(OpCase c) {
        NdArray[] strided = Arrays.stream(c.arrays()).map(Generators::nonContiguous).toArray(NdArray[]::new);
        Tensor[] a = tensors(c.arrays(), true, DType.F64);
        Tensor[] b = tensors(strided, true, DType.F64);
        Tensor ya = c.spec().op().apply(a, c.params());
        Tensor yb = c.spec().op().apply(b, c.params());
        assertClose(c, "strided F64 forward", RefArray.of(ya.data()), yb.data(), 0, 0);
        backwardWithSeed(ya, a);
        backwardWithSeed(yb, b);
        for (int i = 0; i < a.length; i++) {
            if (a[i].requiresGrad() && a[i].grad() != null) {
                assertClose(c, "strided gradient of input " + i, RefArray.of(a[i].grad().data()), b[i].grad().data(),
                        1e-12, 1e-12);
            }
        }
        Tensor fa = c.spec().op().apply(tensors(c.arrays(), false, DType.F32), c.params());
        Tensor fb = c.spec().op().apply(tensors(strided, false, DType.F32), c.params());
        assertClose(c, "strided F32 forward", RefArray.of(fa.data()), fb.data(), 1e-5, 1e-5);
    }

    /** After backward every floating input has a gradient of its own shape and dtype (unbroadcast worked). */
    public static void gradientsHaveInputShapes(OpCase c) {
        Tensor[] in = tensors(c.arrays(), true, DType.F64);
        Tensor y = c.spec().op().apply(in, c.params());
        if (!y.requiresGrad()) {
            return;
        }
        backwardWithSeed(y, in);
        for (int i = 0; i < in.length; i++) {
            if (!in[i].requiresGrad()) {
                continue;
            }
            Tensor g = in[i].grad();
            if (g == null) {
                if (y.numel() > 0 && in[i].numel() > 0) {
                    throw new AssertionError(c + ": input " + i + " received no gradient");
                }
                continue;
            }
            if (!g.shape().equals(in[i].shape()) || g.dtype() != in[i].dtype()) {
                throw new AssertionError(c + ": gradient of input " + i + " is " + g.dtype() + " " + g.shape()
                        + " but the input is " + in[i].dtype() + " " + in[i].shape());
            }
        }
    }


    private static void backwardWithSeed(Tensor y, Tensor[] inputs) {
        if (!y.requiresGrad()) {
            return;
        }
        NdArray seed = NdArray.randn(new Generator(99), y.dtype(), y.shape().dims());
        y.backward(Tensor.of(seed));
    }

    /** Compares shape and values; NaN matches NaN and infinities must match exactly. */
    public static void assertClose(Object what, String stage, RefArray expected, NdArray actual, double atol, double rtol) {
        if (!Arrays.equals(expected.shape(), actual.shape().dims())) {
            throw new AssertionError(what + ": " + stage + " has shape " + actual.shape() + ", expected "
                    + Arrays.toString(expected.shape()));
        }
        double[] got = actual.toDoubleArray();
        double[] want = expected.values();
        for (int i = 0; i < got.length; i++) {
            double e = want[i];
            double a = got[i];
            boolean ok = Double.isNaN(e) ? Double.isNaN(a) : Double.isInfinite(e) ? a == e
                    : Math.abs(a - e) <= atol + rtol * Math.abs(e);
            if (!ok) {
                throw new AssertionError(what + ": " + stage + " differs at " + Arrays.toString(
                        RefArray.unravel(i, expected.shape())) + ": got " + a + ", expected " + e
                        + " (atol " + atol + ", rtol " + rtol + ")");
            }
        }
    }
}
