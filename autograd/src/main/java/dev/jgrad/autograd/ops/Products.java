package dev.jgrad.autograd.ops;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.NdArray;

/** Matrix products. */
public final class Products {
    private Products() {
    }

    /**
     * Batched matmul of operands of rank >= 2 (1-D operands are promoted by {@link Tensor#matmul}).
     * dA = dC Bᵀ and dB = Aᵀ dC; broadcast batch dims are summed away by the engine.
     */
    public static final class MatMul extends Function {
        @Override protected NdArray forward(Tensor... in) {
            save(in[0], in[1]);
            return in[0].data().matmul(in[1].data());
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor a = saved(0);
            Tensor b = saved(1);
            return new Tensor[] {
                needsGrad(0) ? g.matmul(b.transpose(-1, -2)) : null,
                needsGrad(1) ? a.transpose(-1, -2).matmul(g) : null};
        }
    }

    /**
     * {@code y = x Wᵀ + b} for x (R, in), W (out, in), b (out): PyTorch's {@code F.linear}. The
     * GEMM starts from the bias instead of adding it in a second pass over a fresh (R, out) array.
     * dx = dy W, dW = dyᵀ x, db = column sums of dy.
     */
    public static final class Linear extends Function {
        @Override protected NdArray forward(Tensor... in) {
            NdArray x = in[0].data();
            NdArray w = in[1].data();
            NdArray b = in[2].data();
            if (x.rank() != 2 || w.rank() != 2 || b.rank() != 1 || x.size(1) != w.size(1) || b.size(0) != w.size(0)) {
                throw new IllegalArgumentException("linear: expects x (R, in), weight (out, in), bias (out), got "
                        + x.shape() + ", " + w.shape() + ", " + b.shape());
            }
            save(in[0], in[1]);
            return NdArray.addmm(b, x, w.t());
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            Tensor w = saved(1);
            return new Tensor[] {
                needsGrad(0) ? g.matmul(w) : null,
                needsGrad(1) ? g.t().matmul(x) : null,
                needsGrad(2) ? g.sum(new int[] {0}, false) : null};
        }
    }
}
