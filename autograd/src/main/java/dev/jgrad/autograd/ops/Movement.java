package dev.jgrad.autograd.ops;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.Shape;

/** View ops: their forward shares storage; their backward moves the gradient back into place. */
public final class Movement {
    private Movement() {
    }

    /** view/reshape/squeeze/unsqueeze/flatten: the gradient is reshaped back. */
    public static final class Reshape extends Function {
        private final int[] shape;
        private final boolean viewOnly;
        private Shape inputShape;

        public Reshape(int[] shape, boolean viewOnly) {
            this.shape = shape;
            this.viewOnly = viewOnly;
        }

        @Override public String name() {
            return viewOnly ? "View" : "Reshape";
        }

        @Override protected NdArray forward(Tensor... in) {
            inputShape = in[0].shape();
            return viewOnly ? in[0].data().view(shape) : in[0].data().reshape(shape);
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.reshape(inputShape.dims())};
        }
    }

    public static final class Permute extends Function {
        private final int[] perm;

        public Permute(int[] perm) {
            this.perm = perm;
        }

        @Override protected NdArray forward(Tensor... in) {
            return in[0].data().permute(perm);
        }

        @Override protected Tensor[] backward(Tensor g) {
            int[] inv = new int[perm.length];
            for (int i = 0; i < perm.length; i++) {
                inv[Shape.normalizeDim("permute", perm[i], perm.length)] = i;
            }
            return new Tensor[] {g.permute(inv)};
        }
    }

    /** expand/broadcastTo: the engine's unbroadcast sums the gradient back. */
    public static final class Expand extends Function {
        private final Shape target;

        public Expand(Shape target) {
            this.target = target;
        }

        @Override protected NdArray forward(Tensor... in) {
            return in[0].data().broadcastTo(target);
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g};
        }
    }

    /** [start:end:step] along one dim; the gradient is scattered into zeros of the input shape. */
    public static final class Slice extends Function implements ViewGradient {
        private final int dim;
        private final int start;
        private final int end;
        private final int step;
        private Shape inputShape;

        public Slice(int dim, int start, int end, int step) {
            this.dim = dim;
            this.start = start;
            this.end = end;
            this.step = step;
        }

        @Override protected NdArray forward(Tensor... in) {
            inputShape = in[0].shape();
            return in[0].data().slice(dim, start, end, step);
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {new SliceScatter(inputShape, dim, start, end, step).apply(g)};
        }

        @Override public NdArray viewOf(NdArray inputShaped) {
            return inputShaped.slice(dim, start, end, step);
        }
    }

    /** Zeros of {@code shape} with the input written at a slice: the adjoint of {@link Slice}. */
    public static final class SliceScatter extends Function {
        private final Shape shape;
        private final int dim;
        private final int start;
        private final int end;
        private final int step;

        public SliceScatter(Shape shape, int dim, int start, int end, int step) {
            this.shape = shape;
            this.dim = dim;
            this.start = start;
            this.end = end;
            this.step = step;
        }

        @Override protected NdArray forward(Tensor... in) {
            NdArray out = NdArray.zeros(in[0].dtype(), shape);
            out.slice(dim, start, end, step).copyFrom(in[0].data());
            return out;
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.slice(dim, start, end, step)};
        }
    }

    public static final class Select extends Function implements ViewGradient {
        private final int dim;
        private final int index;
        private Shape inputShape;

        public Select(int dim, int index) {
            this.dim = dim;
            this.index = index;
        }

        @Override protected NdArray forward(Tensor... in) {
            inputShape = in[0].shape();
            return in[0].data().select(dim, index);
        }

        @Override protected Tensor[] backward(Tensor g) {
            int d = Shape.normalizeDim("select", dim, inputShape.rank());
            int i = index < 0 ? index + inputShape.size(d) : index;
            return new Tensor[] {new SliceScatter(inputShape, d, i, i + 1, 1).apply(g.unsqueeze(d))};
        }

        @Override public NdArray viewOf(NdArray inputShaped) {
            return inputShaped.select(dim, index);
        }
    }

    public static final class Contiguous extends Function {
        @Override protected NdArray forward(Tensor... in) {
            return in[0].data().contiguous();
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g};
        }
    }
}
