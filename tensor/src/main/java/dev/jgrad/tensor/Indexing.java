package dev.jgrad.tensor;

import java.util.Arrays;
import java.util.function.Supplier;

/** Validation and shape rules of the indexing ops, ahead of their backend kernels. */
final class Indexing {
    private Indexing() {
    }

    /**
     * Fails unless {@code index} is I32 with every value in [0, size). {@code what} names the
     * indexed dim for the error, built only when an index is out of range.
     */
    static void checkIndex(String op, NdArray index, int size, Supplier<String> what) {
        if (index.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": index must be I32, got " + index.dtype() + " " + index.shape());
        }
        int[] v = index.toIntArray();
        for (int k = 0; k < v.length; k++) {
            if (v[k] < 0 || v[k] >= size) {
                throw new IndexOutOfBoundsException(op + ": index " + v[k] + " (at flat position " + k
                        + ") is out of range for " + what.get() + " of size " + size);
            }
        }
    }

    static NdArray indexSelect(NdArray x, int dim, NdArray index) {
        if (index.rank() > 1) {
            throw new IllegalArgumentException("index_select: index must be 1-D, got shape " + index.shape());
        }
        int d = Shape.normalizeDim("index_select", dim, x.rank());
        if (x.rank() == 0) {
            return indexSelect(x.reshape(1), 0, index).reshape(index.rank() == 0 ? new int[0] : new int[] {index.numel()});
        }
        checkIndex("index_select", index, x.size(d), () -> "dim " + d + " of shape " + x.shape());
        return NdArray.backend().indexSelect(x, d, index.reshape(-1));
    }

    static NdArray indexAdd(NdArray base, int dim, NdArray index, NdArray src) {
        NdArray.sameDtype("index_add", base, src);
        if (index.rank() > 1) {
            throw new IllegalArgumentException("index_add: index must be 1-D, got shape " + index.shape());
        }
        int d = Shape.normalizeDim("index_add", dim, base.rank());
        int[] want = base.shape().dims();
        if (base.rank() > 0) {
            want[d] = index.numel();
        }
        if (!src.shape().equals(Shape.of(want)) && !(base.rank() == 0 && src.numel() == index.numel())) {
            throw new IllegalArgumentException("index_add: source shape " + src.shape() + " does not match "
                    + Shape.of(want) + " (base " + base.shape() + " with dim " + d + " of size " + index.numel() + ")");
        }
        if (base.rank() == 0) {
            return indexAdd(base.reshape(1), 0, index, src.reshape(-1)).reshape();
        }
        checkIndex("index_add", index, base.size(d), () -> "dim " + d + " of shape " + base.shape());
        return NdArray.backend().indexAdd(base, d, index.reshape(-1), src);
    }

    static NdArray gather(NdArray x, int dim, NdArray index) {
        int d = Shape.normalizeDim("gather", dim, x.rank());
        if (index.rank() != x.rank()) {
            throw new IllegalArgumentException("gather: index rank " + index.rank() + " (shape " + index.shape()
                    + ") differs from input rank " + x.rank() + " (shape " + x.shape() + ")");
        }
        for (int i = 0; i < x.rank(); i++) {
            if (i != d && index.size(i) > x.size(i)) {
                throw new IllegalArgumentException("gather: index shape " + index.shape() + " is larger than input "
                        + x.shape() + " in dim " + i);
            }
        }
        if (x.rank() == 0) {
            checkIndex("gather", index, 1, () -> "a scalar");
            return x.copy();
        }
        checkIndex("gather", index, x.size(d), () -> "dim " + d + " of shape " + x.shape());
        return NdArray.backend().gather(x, d, index);
    }

    static NdArray scatterAdd(NdArray base, int dim, NdArray index, NdArray src) {
        NdArray.sameDtype("scatter_add", base, src);
        int d = Shape.normalizeDim("scatter_add", dim, base.rank());
        if (index.rank() != base.rank() || src.rank() != base.rank()) {
            throw new IllegalArgumentException("scatter_add: base " + base.shape() + ", index " + index.shape()
                    + " and src " + src.shape() + " must have the same rank");
        }
        for (int i = 0; i < base.rank(); i++) {
            if (index.size(i) > src.size(i) || (i != d && index.size(i) > base.size(i))) {
                throw new IllegalArgumentException("scatter_add: index " + index.shape() + " is larger than src "
                        + src.shape() + " or base " + base.shape() + " in dim " + i);
            }
        }
        if (base.rank() == 0) {
            checkIndex("scatter_add", index, 1, () -> "a scalar");
            return base.add(src);
        }
        checkIndex("scatter_add", index, base.size(d), () -> "dim " + d + " of shape " + base.shape());
        return NdArray.backend().scatterAdd(base, d, index, src);
    }

    static NdArray embedding(NdArray weight, NdArray ids) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("embedding: weight must be (V, D), got shape " + weight.shape());
        }
        if (ids.dtype() != DType.I32) {
            throw new IllegalArgumentException("embedding: ids must be I32, got " + ids.dtype() + " " + ids.shape());
        }
        int[] out = Arrays.copyOf(ids.shape().dims(), ids.rank() + 1);
        out[ids.rank()] = weight.size(1);
        checkIndex("embedding", ids, weight.size(0), () -> "a vocabulary");
        return NdArray.backend().indexSelect(weight, 0, ids.reshape(-1)).reshape(out);
    }

    static NdArray cat(int dim, NdArray... arrays) {
        if (arrays.length == 0) {
            throw new IllegalArgumentException("cat: expected a non-empty list of arrays");
        }
        NdArray first = arrays[0];
        if (first.rank() == 0) {
            throw new IllegalArgumentException("cat: zero-dimensional arrays cannot be concatenated");
        }
        int d = Shape.normalizeDim("cat", dim, first.rank());
        int total = 0;
        for (int k = 0; k < arrays.length; k++) {
            NdArray a = arrays[k];
            NdArray.sameDtype("cat", first, a);
            if (a.rank() != first.rank()) {
                throw new IllegalArgumentException("cat: array " + k + " has shape " + a.shape()
                        + ", rank differs from array 0 " + first.shape());
            }
            for (int i = 0; i < a.rank(); i++) {
                if (i != d && a.size(i) != first.size(i)) {
                    throw new IllegalArgumentException("cat: sizes must match except in dim " + d + ", but array "
                            + k + " has shape " + a.shape() + " and array 0 has " + first.shape());
                }
            }
            total = Math.addExact(total, a.size(d));
        }
        int[] shape = first.shape().dims();
        shape[d] = total;
        NdArray out = NdArray.zeros(first.dtype(), shape);
        int at = 0;
        for (NdArray a : arrays) {
            if (a.size(d) > 0) {
                NdArray.backend().copyInto(out.narrow(d, at, a.size(d)), a);
            }
            at += a.size(d);
        }
        return out;
    }

    static NdArray stack(int dim, NdArray... arrays) {
        if (arrays.length == 0) {
            throw new IllegalArgumentException("stack: expected a non-empty list of arrays");
        }
        int d = Shape.normalizeDim("stack", dim, arrays[0].rank() + 1);
        NdArray[] expanded = new NdArray[arrays.length];
        for (int k = 0; k < arrays.length; k++) {
            if (!arrays[k].shape().equals(arrays[0].shape())) {
                throw new IllegalArgumentException("stack: all arrays must have the same shape, but array " + k
                        + " has " + arrays[k].shape() + " and array 0 has " + arrays[0].shape());
            }
            expanded[k] = arrays[k].unsqueeze(d);
        }
        return cat(d, expanded);
    }

    static NdArray[] split(NdArray x, int splitSize, int dim) {
        if (x.rank() == 0) {
            throw new IllegalArgumentException("split: cannot split a scalar");
        }
        int d = Shape.normalizeDim("split", dim, x.rank());
        int n = x.size(d);
        if (splitSize <= 0 && !(splitSize == 0 && n == 0)) {
            throw new IllegalArgumentException("split: split size must be positive, got " + splitSize);
        }
        int pieces = n == 0 ? 1 : (n + splitSize - 1) / splitSize;
        int[] sizes = new int[pieces];
        for (int k = 0; k < pieces; k++) {
            sizes[k] = Math.min(splitSize, n - k * splitSize);
        }
        return split(x, sizes, d);
    }

    static NdArray[] split(NdArray x, int[] sizes, int dim) {
        if (x.rank() == 0) {
            throw new IllegalArgumentException("split: cannot split a scalar");
        }
        int d = Shape.normalizeDim("split", dim, x.rank());
        long total = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("split: negative size in " + Arrays.toString(sizes));
            }
            total += s;
        }
        if (total != x.size(d)) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " sum to " + total
                    + " but dim " + d + " of shape " + x.shape() + " has size " + x.size(d));
        }
        NdArray[] out = new NdArray[sizes.length];
        int at = 0;
        for (int k = 0; k < sizes.length; k++) {
            out[k] = x.narrow(d, at, sizes[k]);
            at += sizes[k];
        }
        return out;
    }

    static NdArray[] chunk(NdArray x, int chunks, int dim) {
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + chunks);
        }
        int n = x.size(dim);
        int size = (n + chunks - 1) / chunks;
        return split(x, Math.max(size, n == 0 ? 0 : 1), dim);
    }

    static NdArray triangle(NdArray x, int diagonal, boolean lower) {
        String op = lower ? "tril" : "triu";
        if (x.rank() < 2) {
            throw new IllegalArgumentException(op + ": expects a tensor of rank >= 2, got shape " + x.shape());
        }
        int rows = x.size(-2);
        int cols = x.size(-1);
        int[] mask = new int[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                mask[i * cols + j] = (lower ? j - i <= diagonal : j - i >= diagonal) ? 1 : 0;
            }
        }
        return NdArray.where(NdArray.of(mask, rows, cols), x, NdArray.zeros(x.dtype(), Shape.SCALAR));
    }

    static NdArray[] sort(NdArray x, int dim, boolean descending) {
        if (x.rank() == 0) {
            Shape.normalizeDim("sort", dim, 0);
            return new NdArray[] {x.copy(), NdArray.zeros(DType.I32, Shape.SCALAR)};
        }
        return NdArray.backend().sort(x, Shape.normalizeDim("sort", dim, x.rank()), descending);
    }

    static NdArray[] topk(NdArray x, int k, int dim, boolean largest) {
        int d = Shape.normalizeDim("topk", dim, x.rank());
        int n = x.rank() == 0 ? 1 : x.size(d);
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("topk: k = " + k + " out of range for dim " + dim + " of size " + n
                    + " (shape " + x.shape() + ")");
        }
        NdArray[] sorted = sort(x, d, largest);
        if (x.rank() == 0) {
            return sorted;
        }
        return new NdArray[] {sorted[0].narrow(d, 0, k), sorted[1].narrow(d, 0, k)};
    }

    static NdArray multinomial(NdArray weights, int numSamples, boolean replacement, Generator gen) {
        if (weights.rank() < 1 || weights.rank() > 2 || !weights.dtype().isFloating()) {
            throw new IllegalArgumentException("multinomial: weights must be a 1-D or 2-D floating array, got "
                    + weights.dtype() + " " + weights.shape());
        }
        NdArray w2 = weights.rank() == 1 ? weights.unsqueeze(0) : weights;
        int rows = w2.size(0);
        int cats = w2.size(1);
        if (numSamples <= 0) {
            throw new IllegalArgumentException("multinomial: number of samples must be positive, got " + numSamples);
        }
        if (!replacement && numSamples > cats) {
            throw new IllegalArgumentException("multinomial: cannot draw " + numSamples
                    + " samples without replacement from " + cats + " categories");
        }
        double[] w = w2.toDoubleArray();
        int[] out = new int[rows * numSamples];
        for (int r = 0; r < rows; r++) {
            double[] row = Arrays.copyOfRange(w, r * cats, (r + 1) * cats);
            int positive = 0;
            for (double v : row) {
                if (!(v >= 0) || Double.isInfinite(v)) {
                    throw new IllegalArgumentException("multinomial: weights must be finite and non-negative, got "
                            + v + " in row " + r);
                }
                positive += v > 0 ? 1 : 0;
            }
            if (positive == 0 || (!replacement && positive < numSamples)) {
                throw new IllegalArgumentException("multinomial: row " + r + " has " + positive
                        + " categories with positive weight, not enough to draw " + numSamples
                        + (replacement ? "" : " without replacement"));
            }
            for (int s = 0; s < numSamples; s++) {
                int pick = drawOne(row, gen);
                out[r * numSamples + s] = pick;
                if (!replacement) {
                    row[pick] = 0;
                }
            }
        }
        NdArray result = NdArray.of(out, rows, numSamples);
        return weights.rank() == 1 ? result.reshape(numSamples) : result;
    }

    /** Inverse-CDF draw of one category; the last positive category absorbs rounding. */
    private static int drawOne(double[] row, Generator gen) {
        double total = 0;
        for (double v : row) {
            total += v;
        }
        double u = gen.nextDouble() * total;
        double acc = 0;
        int last = -1;
        for (int c = 0; c < row.length; c++) {
            if (row[c] > 0) {
                acc += row[c];
                last = c;
                if (u < acc) {
                    return c;
                }
            }
        }
        return last;
    }

    static NdArray oneHot(NdArray ids, int numClasses) {
        if (ids.dtype() != DType.I32) {
            throw new IllegalArgumentException("one_hot: ids must be I32, got " + ids.dtype() + " " + ids.shape());
        }
        int[] v = ids.toIntArray();
        int classes = numClasses;
        if (classes == -1) {
            classes = 0;
            for (int x : v) {
                classes = Math.max(classes, x + 1);
            }
        } else if (classes < 0) {
            throw new IllegalArgumentException("one_hot: number of classes must be positive or -1, got " + numClasses);
        }
        checkIndex("one_hot", ids, classes, () -> "the classes");
        int[] out = new int[Math.multiplyExact(v.length, classes)];
        for (int k = 0; k < v.length; k++) {
            out[k * classes + v[k]] = 1;
        }
        int[] shape = Arrays.copyOf(ids.shape().dims(), ids.rank() + 1);
        shape[ids.rank()] = classes;
        return NdArray.of(out, shape);
    }
}
