package dev.jgrad.lm.eval;

import dev.jgrad.autograd.NoGrad;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.LanguageModel;
import dev.jgrad.nn.Losses;
import dev.jgrad.tensor.NdArray;
import java.util.Arrays;

/** Held-out metrics: mean cross-entropy over every next-token prediction of a stream. */
public final class Evaluation {
    private Evaluation() {
    }

    /** Mean NLL (nats per token) and what follows from it. */
    public record Result(double meanNll, long tokens) {
        public double perplexity() {
            return Math.exp(meanNll);
        }

        public double bitsPerToken() {
            return meanNll / Math.log(2);
        }
    }

    /**
     * Cuts the stream into consecutive windows of {@code window} tokens (the last may be
     * shorter) so that every token after the first is predicted exactly once; the model runs
     * in evaluation mode without recording gradients.
     */
    public static Result evaluate(LanguageModel model, int[] ids, int window) {
        if (ids.length < 2) {
            throw new IllegalArgumentException("evaluate: need at least 2 tokens, got " + ids.length);
        }
        int w = Math.max(1, Math.min(window, model.blockSize()));
        double total = 0;
        long count = 0;
        model.train(false);
        try (NoGrad ignored = NoGrad.enter()) {
            for (int start = 0; start + 1 < ids.length; start += w) {
                int len = Math.min(w, ids.length - 1 - start);
                int[] x = Arrays.copyOfRange(ids, start, start + len);
                int[] y = Arrays.copyOfRange(ids, start + 1, start + 1 + len);
                Tensor loss = Losses.crossEntropy(model.logits(Tensor.of(NdArray.of(x, 1, len))),
                        Tensor.of(NdArray.of(y, 1, len)), Losses.IGNORE_INDEX, Losses.Reduction.SUM);
                total += loss.item();
                count += len;
            }
        } finally {
            model.train(true);
        }
        return new Result(total / count, count);
    }
}
