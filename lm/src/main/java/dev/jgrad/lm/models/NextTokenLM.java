package dev.jgrad.lm.models;

import dev.jgrad.autograd.NoGrad;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.LanguageModel;
import dev.jgrad.lm.text.Tokenizer;
import dev.jgrad.nn.Embedding;
import dev.jgrad.nn.LSTM;
import dev.jgrad.nn.Linear;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Module;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.util.ArrayList;
import java.util.List;

/**
 * After AllenNLP's NextTokenLM: a token embedder, an optional contextualizer (an LSTM here;
 * without one each position sees only its own token) and a linear LM head. Besides the
 * {@link LanguageModel} contract it answers "what comes next?" for a text: the top-k tokens
 * with probabilities, and a saliency per input token (the norm of the gradient of the loss of
 * the top prediction with respect to that token's embedding, normalised to sum to 1, as
 * AllenNLP's simple-gradient interpreter). Prediction never changes the model: parameter
 * gradients are not touched and the train/eval mode is restored even when something fails.
 */
public final class NextTokenLM extends Module implements LanguageModel {
    public record Candidate(int id, String text, double probability) {
    }

    public record Prediction(List<Candidate> top, List<String> inputTokens, double[] saliency) {
    }

    private final int vocab;
    private final Embedding embedder;
    private final LSTM contextualizer;
    private final Linear head;

    /** @param hidden size of the LSTM contextualizer, or 0 for none */
    public NextTokenLM(int vocab, int embed, int hidden, Generator g) {
        this.vocab = vocab;
        embedder = child("embedder", new Embedding(vocab, embed, g, DType.F32));
        contextualizer = hidden > 0 ? child("contextualizer", new LSTM(embed, hidden, 1, g, DType.F32)) : null;
        head = child("head", new Linear(hidden > 0 ? hidden : embed, vocab, true, g, DType.F32));
    }

    @Override
    public String name() {
        return "next-token";
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int contextLength() {
        return contextualizer == null ? 1 : Integer.MAX_VALUE;
    }

    private Tensor fromEmbeddings(Tensor e) {
        Tensor h = contextualizer == null ? e : contextualizer.forward(e, null).output();
        return head.forward(h);
    }

    @Override
    public Tensor logits(Tensor idx) {
        return fromEmbeddings(embedder.forward(idx));
    }

    public Prediction predict(Tokenizer tok, String text, int k) {
        int[] ids = tok.encode(text);
        if (ids.length == 0) {
            throw new IllegalArgumentException("next-token: the text '" + text + "' has no tokens");
        }
        if (k <= 0 || k > vocab) {
            throw new IllegalArgumentException("next-token: k must be in 1.." + vocab + ", got " + k);
        }
        boolean wasTraining = isTraining();
        train(false);
        try {
            Tensor e = embedder.forward(Tensor.of(NdArray.of(ids, 1, ids.length)));  // (1, T, E)
            Tensor logits = fromEmbeddings(e).select(1, ids.length - 1);            // (1, V)
            NdArray probs;
            try (NoGrad ignored = NoGrad.enter()) {
                probs = logits.data().softmax(-1).select(0, 0);
            }
            NdArray[] best = probs.topk(k, 0, true);
            List<Candidate> top = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                int id = (int) best[1].getDouble(i);
                top.add(new Candidate(id, tok.decode(new int[] {id}), best[0].getDouble(i)));
            }
            Tensor target = Tensor.of(NdArray.of(new int[] {top.getFirst().id()}, 1));
            Tensor loss = Losses.crossEntropy(logits, target);
            // Returned, not accumulated: the parameters' .grad stay as they were.
            NdArray grad = Tensor.grad(loss, e)[0].data();                             // (1, T, E)
            double[] sal = new double[ids.length];
            double total = 0;
            for (int t = 0; t < ids.length; t++) {
                NdArray gt = grad.select(0, 0).select(0, t);
                sal[t] = Math.sqrt(gt.mul(gt).sum().item());
                total += sal[t];
            }
            for (int t = 0; t < ids.length; t++) {
                sal[t] = total > 0 ? sal[t] / total : 1.0 / ids.length;
            }
            List<String> inputs = new ArrayList<>();
            for (int id : ids) {
                inputs.add(tok.decode(new int[] {id}));
            }
            return new Prediction(List.copyOf(top), List.copyOf(inputs), sal);
        } finally {
            train(wasTraining);
        }
    }
}
