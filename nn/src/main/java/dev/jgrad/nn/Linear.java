package dev.jgrad.nn;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.autograd.ops.Products;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;

/**
 * y = x Wᵀ + b with W of shape (out, in), as PyTorch's nn.Linear; x is (..., in). Default
 * init is PyTorch's: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
 */
public final class Linear extends Module implements Layer {
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;

    public Linear(int in, int out, boolean bias, Generator g, DType dtype) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: sizes must be positive, got in=" + in + ", out=" + out);
        }
        this.in = in;
        this.out = out;
        double bound = 1 / Math.sqrt(in);
        this.weight = parameter("weight", Init.uniform(g, dtype, bound, out, in));
        this.bias = bias ? parameter("bias", Init.uniform(g, dtype, bound, out)) : null;
    }

    public Linear(int in, int out, Generator g) {
        this(in, out, true, g, DType.F32);
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    /**
     * Inference without autograd into an array the caller owns: out (R, out) = x (R, in) Wᵀ + b,
     * the product accumulated onto the bias as {@link #forward} does it, so the same bits. For
     * decoding loops, which reuse their buffers token after token.
     */
    public NdArray forwardInto(NdArray x, NdArray out) {
        if (x.rank() != 2 || x.size(1) != in) {
            throw new IllegalArgumentException("Linear(" + in + " -> " + this.out + ").forwardInto: expects x (R, " + in
                    + "), got " + x.shape());
        }
        NdArray wt = weight.data().t();
        return bias == null ? x.matmul(wt, out) : NdArray.addmm(bias.data(), x, wt, out);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() == 0 || x.size(-1) != in) {
            throw new IllegalArgumentException("Linear(" + in + " -> " + out + "): input shape " + x.shape()
                    + " does not end in " + in);
        }
        if (bias == null) {
            return x.matmul(weight.tensor().t());
        }
        if (x.rank() == 1) {
            return new Products.Linear().apply(x.unsqueeze(0), weight.tensor(), bias.tensor()).squeeze(0);
        }
        if (x.rank() == 2) {
            return new Products.Linear().apply(x, weight.tensor(), bias.tensor());
        }
        // (..., in): the leading dims fold into rows, one GEMM for all of them.
        int[] dims = x.shape().dims();
        dims[dims.length - 1] = out;
        return new Products.Linear().apply(x.reshape(-1, in), weight.tensor(), bias.tensor()).view(dims);
    }
}
