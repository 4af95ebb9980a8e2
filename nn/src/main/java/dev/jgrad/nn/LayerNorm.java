package dev.jgrad.nn;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;

/**
 * Ba et al. 2016: normalise the last dim to zero mean and unit (biased) variance, then scale
 * and shift. Built from Tensor ops, so its gradient (and second derivative) come from theirs.
 */
public final class LayerNorm extends Module implements Layer {
    private final int size;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    public LayerNorm(int size, double eps, DType dtype) {
        this(size, eps, true, dtype);
    }

    /** @param bias false for a LayerNorm with a gain only (nanoGPT's bias=False) */
    public LayerNorm(int size, double eps, boolean bias, DType dtype) {
        if (size <= 0 || !(eps > 0)) {
            throw new IllegalArgumentException("LayerNorm: need size > 0 and eps > 0, got " + size + ", " + eps);
        }
        this.size = size;
        this.eps = eps;
        this.weight = parameter("weight", NdArray.ones(dtype, size));
        this.bias = bias ? parameter("bias", NdArray.zeros(dtype, size)) : null;
    }

    public LayerNorm(int size) {
        this(size, 1e-5, DType.F32);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() == 0 || x.size(-1) != size) {
            throw new IllegalArgumentException("LayerNorm(" + size + "): input shape " + x.shape()
                    + " does not end in " + size);
        }
        int[] last = {-1};
        Tensor centered = x.sub(x.mean(last, true));
        Tensor var = centered.mul(centered).mean(last, true);
        Tensor y = centered.mul(var.add(eps).rsqrt()).mul(weight.tensor());
        return bias == null ? y : y.add(bias.tensor());
    }
}
