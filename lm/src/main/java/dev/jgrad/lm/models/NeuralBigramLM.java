package dev.jgrad.lm.models;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.LanguageModel;
import dev.jgrad.nn.Embedding;
import dev.jgrad.nn.Linear;
import dev.jgrad.nn.Module;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;

/** The second rung: embed the current token (V, D), map to logits with a linear layer (D, V). */
public final class NeuralBigramLM extends Module implements LanguageModel {
    private final int vocab;
    private final Embedding embed;
    private final Linear head;

    public NeuralBigramLM(int vocab, int dim, Generator g) {
        this.vocab = vocab;
        this.embed = child("embed", new Embedding(vocab, dim, g, DType.F32));
        this.head = child("head", new Linear(dim, vocab, true, g, DType.F32));
    }

    @Override
    public String name() {
        return "neural-bigram";
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int contextLength() {
        return 1;
    }

    @Override
    public Tensor logits(Tensor idx) {
        return head.forward(embed.forward(idx)); // (B, T, D) -> (B, T, V)
    }
}
