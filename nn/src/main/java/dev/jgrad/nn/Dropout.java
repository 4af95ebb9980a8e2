package dev.jgrad.nn;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;

/**
 * Inverted dropout: in training, zero each element with probability p and scale the rest by
 * 1/(1-p); in evaluation, the identity. The mask comes from this layer's own seeded generator.
 */
public final class Dropout extends Module implements Layer {
    private final double p;
    private final Generator gen;

    public Dropout(double p, Generator gen) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("Dropout: probability must be in [0, 1), got " + p);
        }
        this.p = p;
        this.gen = randomSource("rng", gen);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0) {
            return x;
        }
        NdArray keep = NdArray.rand(gen, x.dtype(), x.shape().dims()).ge(p).to(x.dtype()).div(1 - p);
        return x.mul(Tensor.of(keep));
    }
}
