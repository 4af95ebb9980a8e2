package dev.jgrad.autograd.ops;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.Shape;

/** Gather/scatter family and concatenation; index arrays are constants (I32, no gradient). */
public final class Indexing {
    private Indexing() {
    }

    public static final class IndexSelect extends Function {
        private final int dim;
        private final NdArray index;
        private Shape inputShape;

        public IndexSelect(int dim, NdArray index) {
            this.dim = dim;
            this.index = index;
        }

        @Override protected NdArray forward(Tensor... in) {
            inputShape = in[0].shape();
            return in[0].data().indexSelect(dim, index);
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor zeros = Tensor.of(NdArray.zeros(g.dtype(), inputShape));
            return new Tensor[] {new IndexAdd(dim, index).apply(zeros, g)};
        }
    }

    /** base.index_add(dim, index, src): the adjoint of {@link IndexSelect}. */
    public static final class IndexAdd extends Function {
        private final int dim;
        private final NdArray index;

        public IndexAdd(int dim, NdArray index) {
            this.dim = dim;
            this.index = index;
        }

        @Override protected NdArray forward(Tensor... in) {
            return in[0].data().indexAdd(dim, index, in[1].data());
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g, needsGrad(1) ? g.indexSelect(dim, Tensor.of(index)) : null};
        }
    }

    public static final class Gather extends Function {
        private final int dim;
        private final NdArray index;
        private Shape inputShape;

        public Gather(int dim, NdArray index) {
            this.dim = dim;
            this.index = index;
        }

        @Override protected NdArray forward(Tensor... in) {
            inputShape = in[0].shape();
            return in[0].data().gather(dim, index);
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor zeros = Tensor.of(NdArray.zeros(g.dtype(), inputShape));
            return new Tensor[] {new ScatterAdd(dim, index).apply(zeros, g)};
        }
    }

    /** base.scatter_add(dim, index, src): the adjoint of {@link Gather}. */
    public static final class ScatterAdd extends Function {
        private final int dim;
        private final NdArray index;

        public ScatterAdd(int dim, NdArray index) {
            this.dim = dim;
            this.index = index;
        }

        @Override protected NdArray forward(Tensor... in) {
            return in[0].data().scatterAdd(dim, index, in[1].data());
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g, needsGrad(1) ? g.gather(dim, Tensor.of(index)) : null};
        }
    }

    /** cat along a dim; each input gets its own slab of the gradient. */
    public static final class Cat extends Function {
        private final int dim;
        private int[] sizes;
        private int d;

        public Cat(int dim) {
            this.dim = dim;
        }

        @Override protected NdArray forward(Tensor... in) {
            NdArray[] arrays = new NdArray[in.length];
            sizes = new int[in.length];
            for (int i = 0; i < in.length; i++) {
                arrays[i] = in[i].data();
            }
            NdArray out = NdArray.cat(dim, arrays);
            d = Shape.normalizeDim("cat", dim, out.rank());
            for (int i = 0; i < in.length; i++) {
                sizes[i] = in[i].size(d);
            }
            return out;
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor[] out = new Tensor[sizes.length];
            int at = 0;
            for (int i = 0; i < sizes.length; i++) {
                out[i] = needsGrad(i) ? g.narrow(d, at, sizes[i]) : null;
                at += sizes[i];
            }
            return out;
        }
    }
}
