package dev.jgrad.nn;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;

/** A (V, D) table of vectors looked up by I32 ids of any shape: (*ids, D). Init N(0, 1) as PyTorch. */
public final class Embedding extends Module {
    private final Parameter weight;

    public Embedding(int vocab, int dim, Generator g, DType dtype) {
        if (vocab <= 0 || dim <= 0) {
            throw new IllegalArgumentException("Embedding: sizes must be positive, got (" + vocab + ", " + dim + ")");
        }
        this.weight = parameter("weight", Init.normal(g, dtype, 1.0, vocab, dim));
    }

    public Parameter weight() {
        return weight;
    }

    public Tensor forward(Tensor ids) {
        return Tensor.embedding(weight.tensor(), ids);
    }
}
