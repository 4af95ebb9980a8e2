package dev.jgrad.lm;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.Parameter;
import java.util.List;

/**
 * The one contract every model of the ladder implements (makemore's {@code forward(idx,
 * targets)} and {@code block_size}), so that one trainer, one sampler and one evaluator serve
 * them all. Shapes: B batch, T time, V vocabulary.
 */
public interface LanguageModel {
    /** A short name for tables and logs. */
    String name();

    int vocabSize();

    /** Longest window {@code logits} accepts: unbounded unless the model has a fixed block size (GPT). */
    default int blockSize() {
        return Integer.MAX_VALUE;
    }

    /** How many previous tokens one prediction can depend on (bigram 1, MLP n, LSTM/GPT: the window). */
    int contextLength();

    /** (B, T) I32 token ids → (B, T, V) logits; position t predicts token t+1 from tokens ≤ t. */
    Tensor logits(Tensor idx);

    /** Mean cross-entropy of next-token predictions against (B, T) targets. */
    default Tensor loss(Tensor idx, Tensor targets) {
        return Losses.crossEntropy(logits(idx), targets);
    }

    /** Trainable parameters (empty for count-based models). */
    List<Parameter> parameters();

    /** Training mode (dropout on) or evaluation mode. */
    void train(boolean on);

    /**
     * Incremental generation after a prompt. The default re-reads the cropped context at every
     * step; stateful models (LSTM's hidden state, GPT's KV cache) override it.
     */
    default Decoder decoder(int[] prompt) {
        return new Decoder.Rereading(this, prompt);
    }
}
