package dev.jgrad.lm.models;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.LanguageModel;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import java.util.List;

/**
 * The first rung: a table of bigram counts, P(next | current) = (count + k) / (row total + kV).
 * {@link #fit} accumulates across calls; k = 1 is add-one smoothing, k = 0 the maximum-likelihood
 * estimate (unseen pairs get log-probability -inf). A row never seen at all has no estimate
 * and is taken as uniform.
 */
public final class CountsBigramLM implements LanguageModel {
    private final int vocab;
    private final double k;
    private final long[] counts;
    private NdArray logProbs;

    public CountsBigramLM(int vocab, double k) {
        if (vocab <= 0 || !(k >= 0)) {
            throw new IllegalArgumentException("CountsBigramLM: need vocab > 0 and k >= 0, got " + vocab + ", " + k);
        }
        this.vocab = vocab;
        this.k = k;
        this.counts = new long[vocab * vocab];
    }

    public CountsBigramLM(int vocab) {
        this(vocab, 1.0);
    }

    /** Adds the bigrams of a token stream to the counts. */
    public CountsBigramLM fit(int[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("CountsBigramLM.fit: token " + ids[i] + " at position " + i
                        + " is outside the vocabulary of " + vocab);
            }
        }
        for (int i = 0; i + 1 < ids.length; i++) {
            counts[ids[i] * vocab + ids[i + 1]]++;
        }
        logProbs = null;
        return this;
    }

    public long count(int current, int next) {
        return counts[current * vocab + next];
    }

    /** (V, V) log-probabilities, row = current token, in double precision. */
    public NdArray logProbs() {
        if (logProbs == null) {
            double[] lp = new double[vocab * vocab];
            for (int r = 0; r < vocab; r++) {
                long total = 0;
                for (int c = 0; c < vocab; c++) {
                    total += counts[r * vocab + c];
                }
                double denom = total + k * vocab;
                for (int c = 0; c < vocab; c++) {
                    lp[r * vocab + c] = denom == 0 ? -Math.log(vocab) : Math.log((counts[r * vocab + c] + k) / denom);
                }
            }
            logProbs = NdArray.of(lp, vocab, vocab);
        }
        return logProbs;
    }

    @Override
    public String name() {
        return "counts-bigram";
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int contextLength() {
        return 1;
    }

    /** Log-probability rows act as logits (their log-softmax is themselves). */
    @Override
    public Tensor logits(Tensor idx) {
        return Tensor.of(NdArray.embedding(logProbs(), idx.data()));
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public void train(boolean on) {
        // nothing to switch: no dropout, no gradients
    }

    /** The float32 view the trainer and sampler use. */
    public NdArray logProbsF32() {
        return logProbs().to(DType.F32);
    }
}
