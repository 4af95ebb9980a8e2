package dev.jgrad.nn;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.Shape;

/**
 * A trainable leaf tensor owned by a {@link Module}. Its own type (as in PyTorch) so that
 * registration is explicit and optimizers can update values in place without going through
 * the tape. The values live in one contiguous array that this parameter owns.
 */
public final class Parameter {
    private final Tensor tensor;

    Parameter(NdArray init) {
        if (!init.dtype().isFloating()) {
            throw new IllegalArgumentException("parameter: must be floating, got " + init.dtype() + " " + init.shape());
        }
        this.tensor = Tensor.param(init.copy());
    }

    /** The leaf tensor to use in forward passes. */
    public Tensor tensor() {
        return tensor;
    }

    public NdArray data() {
        return tensor.data();
    }

    public Shape shape() {
        return tensor.shape();
    }

    public int numel() {
        return tensor.numel();
    }

    /** The accumulated gradient, or null before the first backward (or after {@link #zeroGrad}). */
    public NdArray grad() {
        Tensor g = tensor.grad();
        return g == null ? null : g.data();
    }

    public void zeroGrad() {
        tensor.zeroGrad();
    }

    /** Overwrites the values in place (optimizer steps, checkpoint loading). */
    public void assign(NdArray values) {
        if (!values.shape().equals(shape()) || values.dtype() != tensor.dtype()) {
            throw new IllegalArgumentException("assign: value " + values.dtype() + " " + values.shape()
                    + " does not match parameter " + tensor.dtype() + " " + shape());
        }
        tensor.data().copyFrom(values);
    }
}
