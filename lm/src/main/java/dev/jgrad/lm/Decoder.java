package dev.jgrad.lm;

import dev.jgrad.autograd.NoGrad;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.NdArray;
import java.util.Arrays;

/** Next-token logits during generation: {@link #logits()} for the sequence so far, {@link #append} to extend it. */
public interface Decoder {
    /** (V) logits for the token after everything seen so far. */
    NdArray logits();

    void append(int token);

    /** Runs the whole cropped context through {@link LanguageModel#logits} at every step. */
    final class Rereading implements Decoder {
        private final LanguageModel model;
        private int[] tokens;

        public Rereading(LanguageModel model, int[] prompt) {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("decoder: the prompt needs at least one token");
            }
            this.model = model;
            this.tokens = prompt.clone();
        }

        @Override
        public NdArray logits() {
            int window = Math.min(tokens.length, Math.min(model.blockSize(), Math.max(model.contextLength(), 1)));
            int[] ctx = Arrays.copyOfRange(tokens, tokens.length - window, tokens.length);
            try (NoGrad ignored = NoGrad.enter()) {
                Tensor out = model.logits(Tensor.of(NdArray.of(ctx, 1, window)));
                return out.data().select(0, 0).select(0, window - 1);
            }
        }

        @Override
        public void append(int token) {
            tokens = Arrays.copyOf(tokens, tokens.length + 1);
            tokens[tokens.length - 1] = token;
        }
    }
}
