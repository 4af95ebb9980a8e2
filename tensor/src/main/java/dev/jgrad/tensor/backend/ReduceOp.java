package dev.jgrad.tensor.backend;

/** Reductions over a set of dims; ARGMAX/ARGMIN produce I32 indices into the flattened reduced dims. */
public enum ReduceOp {
    SUM, PROD, MAX, MIN, ARGMAX, ARGMIN, LOGSUMEXP;

    /** Reductions with no identity element: an empty reduction is an error. */
    public boolean needsElements() {
        return this == MAX || this == MIN || this == ARGMAX || this == ARGMIN;
    }
}
