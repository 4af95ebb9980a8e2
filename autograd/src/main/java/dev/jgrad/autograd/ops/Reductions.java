package dev.jgrad.autograd.ops;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.Shape;

/** Reductions and row-wise normalisations (softmax family, cumsum). */
public final class Reductions {
    private Reductions() {
    }

    /** The input shape with reduced dims set to 1, i.e. the keepdim shape of the result. */
    static int[] keptShape(Shape input, int[] dims) {
        int[] kept = input.dims();
        if (dims == null || dims.length == 0 || kept.length == 0) {
            java.util.Arrays.fill(kept, 1);
            return kept;
        }
        for (int d : dims) {
            kept[Shape.normalizeDim("reduce", d, input.rank())] = 1;
        }
        return kept;
    }

    /** Brings a (possibly keepdim=false) reduced gradient back to the input's shape as a broadcast view. */
    static Tensor expandBack(Tensor g, Shape input, int[] dims) {
        return g.reshape(keptShape(input, dims)).expand(input.dims());
    }

    public static final class Sum extends Function {
        private final int[] dims;
        private final boolean keepdim;
        private Shape inputShape;

        public Sum(int[] dims, boolean keepdim) {
            this.dims = dims;
            this.keepdim = keepdim;
        }

        @Override protected NdArray forward(Tensor... in) {
            inputShape = in[0].shape();
            return in[0].data().sum(dims, keepdim);
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {expandBack(g, inputShape, dims)};
        }
    }

    /** max/min over dims (PyTorch amax/amin): the gradient is shared evenly by tied maxima. */
    public static final class Extreme extends Function {
        private final int[] dims;
        private final boolean keepdim;
        private final boolean max;

        public Extreme(int[] dims, boolean keepdim, boolean max) {
            this.dims = dims;
            this.keepdim = keepdim;
            this.max = max;
        }

        @Override public String name() {
            return max ? "Max" : "Min";
        }

        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            saveResult();
            return max ? in[0].data().max(dims, keepdim) : in[0].data().min(dims, keepdim);
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            NdArray r = result().data().reshape(keptShape(x.shape(), dims));
            NdArray hits = x.data().eq(r).to(g.dtype());
            NdArray share = hits.div(hits.sum(dims, true));
            return new Tensor[] {expandBack(g, x.shape(), dims).mul(Tensor.of(share))};
        }
    }

    public static final class LogSumExp extends Function {
        private final int[] dims;
        private final boolean keepdim;

        public LogSumExp(int[] dims, boolean keepdim) {
            this.dims = dims;
            this.keepdim = keepdim;
        }

        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            saveResult();
            return in[0].data().logsumexp(dims, keepdim);
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            int[] kept = keptShape(x.shape(), dims);
            Tensor softmax = x.sub(result().reshape(kept)).exp();
            return new Tensor[] {g.reshape(kept).mul(softmax)};
        }
    }

    /**
     * prod over dims. The gradient of each element is the product of the others; computed as
     * prod/x where no zero is present, and exactly (without dividing by zero) where one is.
     */
    public static final class Prod extends Function {
        private final int[] dims;
        private final boolean keepdim;

        public Prod(int[] dims, boolean keepdim) {
            this.dims = dims;
            this.keepdim = keepdim;
        }

        @Override protected NdArray forward(Tensor... in) {
            save(in[0]);
            return in[0].data().prod(dims, keepdim);
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            NdArray isZero = x.data().eq(0);
            NdArray zeros = isZero.sum(dims, true);
            Tensor safe = x.maskedFill(isZero, 1);
            Tensor p = safe.prod(dims, true);
            Tensor zero = Tensor.scalar(x.dtype(), 0);
            // no zero in the group: prod / x; one zero: the zero's slot gets the product of the rest.
            Tensor others = Tensor.where(Tensor.of(zeros.eq(0)), p.div(safe),
                    Tensor.where(Tensor.of(zeros.eq(1).mul(isZero)), p.expand(x.shape().dims()), zero));
            return new Tensor[] {expandBack(g, x.shape(), dims).mul(others)};
        }
    }

    public static final class Softmax extends Function {
        private final int dim;

        public Softmax(int dim) {
            this.dim = dim;
        }

        @Override protected NdArray forward(Tensor... in) {
            saveResult();
            return in[0].data().softmax(dim);
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor y = result();
            return new Tensor[] {y.mul(g.sub(g.mul(y).sum(new int[] {dim}, true)))};
        }
    }

    public static final class LogSoftmax extends Function {
        private final int dim;

        public LogSoftmax(int dim) {
            this.dim = dim;
        }

        @Override protected NdArray forward(Tensor... in) {
            saveResult();
            return in[0].data().logSoftmax(dim);
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.sub(result().exp().mul(g.sum(new int[] {dim}, true)))};
        }
    }

    /** cumsum; its gradient is the reversed cumulative sum, written as total - cumsum + g. */
    public static final class Cumsum extends Function {
        private final int dim;

        public Cumsum(int dim) {
            this.dim = dim;
        }

        @Override protected NdArray forward(Tensor... in) {
            return in[0].data().cumsum(dim);
        }

        @Override protected Tensor[] backward(Tensor g) {
            if (g.rank() == 0) {
                return new Tensor[] {g};
            }
            return new Tensor[] {g.sum(new int[] {dim}, true).sub(g.cumsum(dim)).add(g)};
        }
    }
}
