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
}
