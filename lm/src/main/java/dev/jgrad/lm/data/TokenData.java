package dev.jgrad.lm.data;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.util.Arrays;

/** Token streams: train/validation splits and random training windows. */
public final class TokenData {
    private TokenData() {
    }

    /** Inputs (B, T) and the same windows shifted by one as targets. */
    public record Batch(Tensor x, Tensor y) {
    }

    /** The first {@code fraction} of the stream and the rest (nanoGPT's 90/10 split). */
    public static int[][] split(int[] ids, double fraction) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("split: fraction must be in (0, 1), got " + fraction);
        }
        int n = (int) (ids.length * fraction);
        return new int[][] {Arrays.copyOfRange(ids, 0, n), Arrays.copyOfRange(ids, n, ids.length)};
    }

    /** {@code batchSize} windows of {@code contextLength} tokens at random offsets drawn from {@code gen}. */
    public static Batch getBatch(int[] ids, int contextLength, int batchSize, Generator gen) {
        if (contextLength <= 0 || batchSize <= 0) {
            throw new IllegalArgumentException("getBatch: context length and batch size must be positive, got "
                    + contextLength + " and " + batchSize);
        }
        if (ids.length < contextLength + 1) {
            throw new IllegalArgumentException("getBatch: the stream has " + ids.length + " tokens, fewer than one"
                    + " window of " + contextLength + " plus its target");
        }
        int[] x = new int[batchSize * contextLength];
        int[] y = new int[batchSize * contextLength];
        int starts = ids.length - contextLength;
        for (int b = 0; b < batchSize; b++) {
            int s = gen.nextInt(starts);
            System.arraycopy(ids, s, x, b * contextLength, contextLength);
            System.arraycopy(ids, s + 1, y, b * contextLength, contextLength);
        }
        return new Batch(Tensor.of(NdArray.of(x, batchSize, contextLength)),
                Tensor.of(NdArray.of(y, batchSize, contextLength)));
    }
}
