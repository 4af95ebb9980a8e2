package dev.jgrad.testkit;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

/**
 * A deliberately plain array of doubles in row-major order, with obvious, slow reference
 * implementations of the ops: nested index arithmetic, no strides, no SIMD, no shared code with
 * the library's kernels. It is the oracle the op spec table compares against.
 */
public record RefArray(int[] shape, double[] values) {
    public RefArray {
        shape = shape.clone();
        if (values.length != numel(shape)) {
            throw new IllegalArgumentException("RefArray: " + values.length + " values for shape " + Arrays.toString(shape));
        }
    }

    public static RefArray of(NdArray a) {
        return new RefArray(a.shape().dims(), a.toDoubleArray());
    }

    public NdArray toNdArray(DType dtype) {
        return NdArray.of(values.clone(), shape).to(dtype);
    }

    static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    public int rank() {
        return shape.length;
    }

    public int numel() {
        return values.length;
    }

    /** Multi-index of a flat row-major position. */
    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    static int ravel(int[] idx, int[] shape) {
        int flat = 0;
        for (int d = 0; d < shape.length; d++) {
            flat = flat * shape[d] + idx[d];
        }
        return flat;
    }

    public double at(int... idx) {
        return values[ravel(idx, shape)];
    }

    public RefArray map(DoubleUnaryOperator f) {
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(values[i]);
        }
        return new RefArray(shape, out);
    }

    /** The NumPy broadcast shape, written out longhand. */
    static int[] broadcastShape(int[]... shapes) {
        int r = 0;
        for (int[] s : shapes) {
            r = Math.max(r, s.length);
        }
        int[] out = new int[r];
        Arrays.fill(out, 1);
        for (int[] s : shapes) {
            for (int i = 0; i < s.length; i++) {
                int o = r - s.length + i;
                if (s[i] != 1) {
                    if (out[o] != 1 && out[o] != s[i]) {
                        throw new IllegalArgumentException("not broadcastable");
                    }
                    out[o] = s[i];
                }
            }
        }
        return out;
    }

    /** The element of this array that output index {@code outIdx} (of a broadcast shape) reads. */
    double broadcastAt(int[] outIdx) {
        int[] idx = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            int o = outIdx.length - shape.length + i;
            idx[i] = shape[i] == 1 ? 0 : outIdx[o];
        }
        return at(idx);
    }

    public static RefArray zip(RefArray a, RefArray b, DoubleBinaryOperator f) {
        int[] shape = broadcastShape(a.shape, b.shape);
        double[] out = new double[numel(shape)];
        for (int i = 0; i < out.length; i++) {
            int[] idx = unravel(i, shape);
            out[i] = f.applyAsDouble(a.broadcastAt(idx), b.broadcastAt(idx));
        }
        return new RefArray(shape, out);
    }

    public static RefArray where(RefArray cond, RefArray a, RefArray b) {
        int[] shape = broadcastShape(cond.shape, a.shape, b.shape);
        double[] out = new double[numel(shape)];
        for (int i = 0; i < out.length; i++) {
            int[] idx = unravel(i, shape);
            out[i] = cond.broadcastAt(idx) != 0 ? a.broadcastAt(idx) : b.broadcastAt(idx);
        }
        return new RefArray(shape, out);
    }

    public RefArray expand(int[] target) {
        double[] out = new double[numel(target)];
        for (int i = 0; i < out.length; i++) {
            out[i] = broadcastAt(unravel(i, target));
        }
        return new RefArray(target, out);
    }

    /** Applies {@code f} to the list of values of each group of reduced dims (empty dims: all). */
    public RefArray reduce(int[] dims, boolean keepdim, java.util.function.ToDoubleFunction<double[]> f) {
        boolean[] red = new boolean[shape.length];
        if (dims.length == 0) {
            Arrays.fill(red, true);
        }
        for (int d : dims) {
            red[d < 0 ? d + shape.length : d] = true;
        }
        int[] kept = shape.clone();
        for (int i = 0; i < kept.length; i++) {
            if (red[i]) {
                kept[i] = 1;
            }
        }
        int groups = numel(kept);
        int per = 1;
        for (int i = 0; i < shape.length; i++) {
            per *= red[i] ? shape[i] : 1;
        }
        double[][] members = new double[groups][per];
        int[] fill = new int[groups];
        for (int i = 0; i < values.length; i++) {
            int[] idx = unravel(i, shape);
            for (int d = 0; d < idx.length; d++) {
                if (red[d]) {
                    idx[d] = 0;
                }
            }
            int g = ravel(idx, kept);
            members[g][fill[g]++] = values[i];
        }
        double[] out = new double[groups];
        for (int g = 0; g < groups; g++) {
            out[g] = f.applyAsDouble(members[g]);
        }
        if (keepdim) {
            return new RefArray(kept, out);
        }
        int[] squeezed = new int[shape.length - count(red)];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (!red[i]) {
                squeezed[j++] = shape[i];
            }
        }
        return new RefArray(squeezed, out);
    }

    private static int count(boolean[] b) {
        int c = 0;
        for (boolean x : b) {
            c += x ? 1 : 0;
        }
        return c;
    }

    /** Applies a row function to every 1-D line along {@code dim}. */
    public RefArray alongDim(int dim, UnaryOperator<double[]> f) {
        if (shape.length == 0) {
            return new RefArray(shape, f.apply(values.clone()));
        }
        int d = dim < 0 ? dim + shape.length : dim;
        double[] out = new double[values.length];
        int n = shape[d];
        for (int i = 0; i < values.length; i++) {
            int[] idx = unravel(i, shape);
            if (idx[d] != 0) {
                continue;
            }
            double[] line = new double[n];
            for (int k = 0; k < n; k++) {
                idx[d] = k;
                line[k] = at(idx);
            }
            double[] res = f.apply(line);
            for (int k = 0; k < n; k++) {
                idx[d] = k;
                out[ravel(idx, shape)] = res[k];
            }
        }
        return new RefArray(shape, out);
    }

    public RefArray reshape(int... newShape) {
        return new RefArray(newShape, values.clone());
    }

    public RefArray permute(int... perm) {
        int[] ns = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            ns[i] = shape[perm[i]];
        }
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            int[] o = unravel(i, ns);
            int[] src = new int[perm.length];
            for (int k = 0; k < perm.length; k++) {
                src[perm[k]] = o[k];
            }
            out[i] = at(src);
        }
        return new RefArray(ns, out);
    }

    /** Python {@code [start:end:step]} on one dim (bounds already in range). */
    public RefArray slice(int dim, int start, int end, int step) {
        int len = end > start ? (end - start + step - 1) / step : 0;
        int[] ns = shape.clone();
        ns[dim] = len;
        double[] out = new double[numel(ns)];
        for (int i = 0; i < out.length; i++) {
            int[] idx = unravel(i, ns);
            idx[dim] = start + idx[dim] * step;
            out[i] = at(idx);
        }
        return new RefArray(ns, out);
    }

    /** Batched matmul with NumPy rules, including 1-D promotion. */
    public static RefArray matmul(RefArray a, RefArray b) {
        int[] as = a.rank() == 1 ? new int[] {1, a.shape[0]} : a.shape;
        int[] bs = b.rank() == 1 ? new int[] {b.shape[0], 1} : b.shape;
        int m = as[as.length - 2];
        int k = as[as.length - 1];
        int n = bs[bs.length - 1];
        int[] batch = broadcastShape(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        RefArray a2 = new RefArray(as, a.values);
        RefArray b2 = new RefArray(bs, b.values);
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        double[] out = new double[numel(outShape)];
        for (int i = 0; i < out.length; i++) {
            int[] idx = unravel(i, outShape);
            double s = 0;
            for (int p = 0; p < k; p++) {
                int[] ai = idx.clone();
                ai[ai.length - 1] = p;
                int[] bi = idx.clone();
                bi[bi.length - 2] = p;
                s += a2.broadcastAt(ai) * b2.broadcastAt(bi);
            }
            out[i] = s;
        }
        int[] finalShape = outShape;
        if (a.rank() == 1 && b.rank() == 1) {
            finalShape = new int[0];
        } else if (a.rank() == 1) {
            finalShape = dropAt(outShape, outShape.length - 2);
        } else if (b.rank() == 1) {
            finalShape = dropAt(outShape, outShape.length - 1);
        }
        return new RefArray(finalShape, out);
    }

    static int[] dropAt(int[] s, int at) {
        int[] out = new int[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i != at) {
                out[j++] = s[i];
            }
        }
        return out;
    }

    /** out[..., i, ...] = x[..., index[..., i, ...], ...] along dim (PyTorch gather). */
    public static RefArray gather(RefArray x, int dim, RefArray index) {
        double[] out = new double[index.numel()];
        for (int i = 0; i < out.length; i++) {
            int[] idx = unravel(i, index.shape);
            idx[dim] = (int) index.values[i];
            out[i] = x.at(idx);
        }
        return new RefArray(index.shape, out);
    }

    public static RefArray cat(int dim, RefArray... parts) {
        int[] shape = parts[0].shape.clone();
        shape[dim] = 0;
        for (RefArray p : parts) {
            shape[dim] += p.shape[dim];
        }
        double[] out = new double[numel(shape)];
        for (int i = 0; i < out.length; i++) {
            int[] idx = unravel(i, shape);
            int k = idx[dim];
            int which = 0;
            while (k >= parts[which].shape[dim]) {
                k -= parts[which].shape[dim];
                which++;
            }
            idx[dim] = k;
            out[i] = parts[which].at(idx);
        }
        return new RefArray(shape, out);
    }

    @Override
    public String toString() {
        return "RefArray" + Arrays.toString(shape) + Arrays.toString(values);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RefArray r && Arrays.equals(shape, r.shape) && Arrays.equals(values, r.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values);
    }
}
