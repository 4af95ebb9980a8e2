package dev.jgrad.tensor.backend;

/**
 * Coefficients of one SGD update, PyTorch's rule: {@code d = g + weightDecay * w}; with momentum,
 * {@code buf = d} on the first step and {@code buf = momentum * buf + d} after, then {@code d = buf};
 * finally {@code w = w - lr * d}.
 *
 * @param first whether the momentum buffer is being initialised (its old contents are ignored)
 */
public record SgdStep(float lr, float momentum, float weightDecay, boolean first) {
}
