package dev.jgrad.nn;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;

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

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() == 0 || x.size(-1) != in) {
            throw new IllegalArgumentException("Linear(" + in + " -> " + out + "): input shape " + x.shape()
                    + " does not end in " + in);
        }
        Tensor y = x.matmul(weight.tensor().t());
        return bias == null ? y : y.add(bias.tensor());
    }
}
