package dev.jgrad.tensor.backend;

/** Elementwise functions of one tensor. {@code COPY} is the identity (a strided copy). */
public enum UnaryOp {
    COPY, NEG, EXP, LOG, SQRT, RSQRT, ABS, SIGN, TANH, SIGMOID, RELU, GELU, ERF, SIN, COS,
    /** d/dx GELU(x) = Phi(x) + x phi(x), one pass instead of a dozen composite ops in GELU's backward. */
    GELU_GRAD;

    /** Ops defined on I32 (the rest need a floating dtype). */
    public boolean integerOk() {
        return this == COPY || this == NEG || this == ABS || this == SIGN || this == RELU;
    }
}
