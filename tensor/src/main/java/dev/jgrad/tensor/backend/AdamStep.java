package dev.jgrad.tensor.backend;

/**
 * Coefficients of one AdamW update: {@code w = w * decay - lr * (m / bc1) / (sqrt(v / bc2) + eps)}
 * after {@code m = beta1 m + (1 - beta1) g} and {@code v = beta2 v + (1 - beta2) g^2}.
 *
 * @param decay 1 - lr * weightDecay for decayed parameters, 1 otherwise
 * @param bc1   bias correction 1 - beta1^t
 * @param bc2   bias correction 1 - beta2^t
 */
public record AdamStep(float lr, float beta1, float beta2, float eps, float decay, float bc1, float bc2) {
}
