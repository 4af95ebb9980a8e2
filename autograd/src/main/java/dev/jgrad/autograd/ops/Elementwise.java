package dev.jgrad.autograd.ops;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.GradMode;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.ArrayPool;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.Backends;
import dev.jgrad.tensor.backend.UnaryOp;

/**
 * Elementwise ops. Each backward sits under its forward and is written with Tensor ops, so it
 * can itself be differentiated. Gradients are returned in the broadcast shape; the engine sums
 * them back to each input's shape.
 */
public final class Elementwise {
    private Elementwise() {
    }

    private static final double SQRT1_2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    /** A constant (no grad) with {@code mask}'s 0/1 values in {@code like}'s dtype. */
    static Tensor maskOf(NdArray mask, Tensor like) {
        return Tensor.of(mask.to(like.dtype()));
    }

    public static final class Add extends Function {
        @Override protected NdArray forward(Tensor... in) {
            return in[0].data().add(in[1].data());
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g, g};
        }
    }

    public static final class Sub extends Function {
        @Override protected NdArray forward(Tensor... in) {
            return in[0].data().sub(in[1].data());
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g, needsGrad(1) ? g.neg() : null};
        }
    }

    public static final class Mul extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0], in[1]);
            return in[0].data().mul(in[1].data());
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {
                needsGrad(0) ? g.mul(saved(1)) : null,
                needsGrad(1) ? g.mul(saved(0)) : null};
        }
    }

    public static final class Div extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0], in[1]);
            return in[0].data().div(in[1].data());
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor a = saved(0);
            Tensor b = saved(1);
            Tensor ga = g.div(b);
            return new Tensor[] {needsGrad(0) ? ga : null, needsGrad(1) ? ga.mul(a).div(b).neg() : null};
        }
    }

    /** a ** b for two tensors. */
    public static final class Pow extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0], in[1]);
            saveResult();
            return in[0].data().pow(in[1].data());
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor a = saved(0);
            Tensor b = saved(1);
            Tensor ga = needsGrad(0) ? g.mul(b).mul(a.pow(b.sub(1))) : null;
            Tensor gb = null;
            if (needsGrad(1)) {
                // d/db a^b = a^b log a; PyTorch defines it as 0 where a == 0 and b >= 0.
                NdArray zero = a.data().eq(0).mul(b.data().ge(0)).broadcastTo(result().shape());
                gb = Tensor.where(Tensor.of(zero), Tensor.scalar(a.dtype(), 0), g.mul(result()).mul(a.log()));
            }
            return new Tensor[] {ga, gb};
        }
    }

    /** a ** p for a constant exponent. */
    public static final class PowScalar extends Function {
        private final double p;

        public PowScalar(double p) {
            this.p = p;
        }

        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().pow(p);
        }

        @Override protected Tensor[] backward(Tensor g) {
            if (p == 0) {
                return new Tensor[] {g.mul(0)};
            }
            return new Tensor[] {g.mul(saved(0).pow(p - 1)).mul(p)};
        }
    }

    public static final class Neg extends Function {
        @Override protected NdArray forward(Tensor... in) {
            return in[0].data().neg();
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.neg()};
        }
    }

    public static final class Exp extends Function {
        @Override protected NdArray forward(Tensor... in) {
            saveResult();
            return in[0].data().exp();
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.mul(result())};
        }
    }

    public static final class Log extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().log();
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.div(saved(0))};
        }
    }

    public static final class Sqrt extends Function {
        @Override protected NdArray forward(Tensor... in) {
            saveResult();
            return in[0].data().sqrt();
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.div(result().mul(2))};
        }
    }

    public static final class Rsqrt extends Function {
        @Override protected NdArray forward(Tensor... in) {
            saveResult();
            return in[0].data().rsqrt();
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor y = result();
            return new Tensor[] {g.mul(y.mul(y).mul(y)).mul(-0.5)};
        }
    }

    public static final class Abs extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().abs();
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.mul(Tensor.of(saved(0).data().sign()))};
        }
    }

    /** sign(x): piecewise constant, so its gradient is zero everywhere (as in PyTorch). */
    public static final class Sign extends Function {
        @Override protected NdArray forward(Tensor... in) {
            return in[0].data().sign();
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.mul(0)};
        }
    }

    public static final class Tanh extends Function {
        @Override protected NdArray forward(Tensor... in) {
            saveResult();
            return in[0].data().tanh();
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor y = result();
            if (!GradMode.isEnabled() && g.shape().equals(y.shape()) && g.dtype() == y.dtype()) {
                // Outside createGraph: one array and (on the CPU, F32) one pass instead of four
                // ops. 1 - y^2 equals -(y^2) + 1 and the product commutes, so the same bits.
                NdArray d = NdArray.empty(y.dtype(), y.shape());
                Backends.get().activationBackward(UnaryOp.TANH, y.data(), g.data(), d);
                return new Tensor[] {Tensor.of(d)};
            }
            return new Tensor[] {g.mul(y.mul(y).neg().add(1))};
        }
    }

    public static final class Sigmoid extends Function {
        @Override protected NdArray forward(Tensor... in) {
            saveResult();
            return in[0].data().sigmoid();
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor y = result();
            if (!GradMode.isEnabled() && g.shape().equals(y.shape()) && g.dtype() == y.dtype()) {
                // Outside createGraph: one array and (on the CPU, F32) one pass instead of four
                // ops, the same operations in the same order ((g y) (1 - y), with 1 - y equal
                // to -y + 1), so the same bits.
                NdArray d = NdArray.empty(y.dtype(), y.shape());
                Backends.get().activationBackward(UnaryOp.SIGMOID, y.data(), g.data(), d);
                return new Tensor[] {Tensor.of(d)};
            }
            return new Tensor[] {g.mul(y).mul(y.neg().add(1))};
        }
    }

    public static final class Relu extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().relu();
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.mul(maskOf(saved(0).data().gt(0), g))};
        }
    }

    /** Exact GELU, x * Phi(x); d/dx = Phi(x) + x * phi(x). */
    public static final class Gelu extends Function {
        /** GELU'(x), made by a recorded F32 forward in the same pass; the first backward takes it. */
        private NdArray slope;

        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            NdArray x = in[0].data();
            if (recorded() && x.dtype() == DType.F32 && x.isContiguous()) {
                // The backward's factor costs little more here (the exp and erfc are shared)
                // than the whole GELU' pass it would take there. Contiguous input only: a strided
                // one runs the scalar kernel, and the output must not depend on recording.
                NdArray y = NdArray.empty(DType.F32, x.shape());
                slope = NdArray.empty(DType.F32, x.shape());
                Backends.get().geluWithGrad(x, y, slope);
                return y;
            }
            return x.gelu();
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            if (slope != null && !GradMode.isEnabled() && g.shape().equals(x.shape())) {
                // Multiplied in place and handed to the backward pass's recording (this node
                // keeps no reference), so a leaf may keep it or the pool take it back.
                NdArray d = slope;
                slope = null;
                ArrayPool.adopt(d);
                return new Tensor[] {Tensor.of(d.mul(g.data(), d))};
            }
            if (!GradMode.isEnabled() && g.shape().equals(x.shape())) {
                // Outside createGraph: GELU'(x) times g in place, one array of the input's size
                // instead of two (the same products, so the same bits).
                NdArray d = x.data().geluGrad();
                return new Tensor[] {Tensor.of(d.mul(g.data(), d))};
            }
            return new Tensor[] {g.mul(x.geluGrad())};
        }
    }

    /** GELU'(x) = Phi(x) + x phi(x) as one kernel; its own derivative is phi(x) (2 - x^2). */
    public static final class GeluGrad extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().geluGrad();
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            Tensor pdf = x.mul(x).mul(-0.5).exp().mul(INV_SQRT_2PI);
            return new Tensor[] {g.mul(pdf.mul(x.mul(x).neg().add(2)))};
        }
    }

    public static final class Erf extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().erf();
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            return new Tensor[] {g.mul(x.mul(x).neg().exp().mul(TWO_OVER_SQRT_PI))};
        }
    }

    public static final class Sin extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().sin();
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.mul(saved(0).cos())};
        }
    }

    public static final class Cos extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().cos();
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.mul(saved(0).sin()).neg()};
        }
    }

    /** maximum/minimum: the larger (smaller) input takes the gradient; ties split it in half (PyTorch). */
    public static final class Extremum extends Function {
        private final boolean max;

        public Extremum(boolean max) {
            this.max = max;
        }

        @Override public String name() {
            return max ? "Maximum" : "Minimum";
        }

        @Override protected NdArray forward(Tensor... in) {
            save(in[0], in[1]);
            return max ? in[0].data().maximum(in[1].data()) : in[0].data().minimum(in[1].data());
        }

        @Override protected Tensor[] backward(Tensor g) {
            NdArray a = saved(0).data();
            NdArray b = saved(1).data();
            NdArray wins = (max ? a.gt(b) : a.lt(b)).to(g.dtype());
            NdArray ties = a.eq(b).to(g.dtype()).mul(0.5);
            Tensor wa = Tensor.of(wins.add(ties));
            Tensor wb = Tensor.of((max ? a.lt(b) : a.gt(b)).to(g.dtype()).add(ties));
            return new Tensor[] {needsGrad(0) ? g.mul(wa) : null, needsGrad(1) ? g.mul(wb) : null};
        }
    }

    /** clamp(x, min, max): gradient passes where min <= x <= max (PyTorch). */
    public static final class Clamp extends Function {
        private final double min;
        private final double max;

        public Clamp(double min, double max) {
            this.min = min;
            this.max = max;
        }

        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().clamp(min, max);
        }

        @Override protected Tensor[] backward(Tensor g) {
            NdArray x = saved(0).data();
            return new Tensor[] {g.mul(maskOf(x.ge(min).mul(x.le(max)), g))};
        }
    }

    /** where(cond, a, b) with a constant I32 condition. */
    public static final class Where extends Function {
        private final NdArray cond;

        public Where(NdArray cond) {
            this.cond = cond;
        }

        @Override protected NdArray forward(Tensor... in) {
            return NdArray.where(cond, in[0].data(), in[1].data());
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor c = Tensor.of(cond);
            Tensor zero = Tensor.scalar(g.dtype(), 0);
            return new Tensor[] {
                needsGrad(0) ? Tensor.where(c, g, zero) : null,
                needsGrad(1) ? Tensor.where(c, zero, g) : null};
        }
    }
}
