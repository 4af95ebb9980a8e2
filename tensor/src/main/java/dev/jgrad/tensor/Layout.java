package dev.jgrad.tensor;

import java.util.Arrays;

/**
 * Where the elements of a tensor live in its storage: shape, strides (in elements) and offset.
 * Every view op returns a new Layout over the same storage; none of them copies data.
 * Strides are never negative; a stride of 0 is a broadcast (expanded) dimension.
 */
public final class Layout {
    private final Shape shape;
    private final int[] strides;
    private final int offset;

    public Layout(Shape shape, int[] strides, int offset) {
        if (strides.length != shape.rank()) {
            throw new IllegalArgumentException("layout: " + strides.length + " strides for shape " + shape);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("layout: negative offset " + offset);
        }
        for (int s : strides) {
            if (s < 0) {
                throw new IllegalArgumentException("layout: negative stride in " + Arrays.toString(strides));
            }
        }
        this.shape = shape;
        this.strides = strides.clone();
        this.offset = offset;
    }

    public static Layout contiguous(Shape shape) {
        return new Layout(shape, shape.contiguousStrides(), 0);
    }

    public Shape shape() {
        return shape;
    }

    public int[] strides() {
        return strides.clone();
    }

    public int stride(int dim) {
        return strides[Shape.normalizeDim("stride", dim, shape.rank())];
    }

    public int offset() {
        return offset;
    }

    public int rank() {
        return shape.rank();
    }

    /** Row-major with no gaps (size-1 dims may carry any stride, as in PyTorch). */
    public boolean isContiguous() {
        if (shape.numel() == 0) {
            return true;
        }
        int expected = 1;
        int[] d = shape.raw();
        for (int i = d.length - 1; i >= 0; i--) {
            if (d[i] != 1) {
                if (strides[i] != expected) {
                    return false;
                }
                expected *= d[i];
            }
        }
        return true;
    }

    /** True when some dim of size > 1 has stride 0, so several elements share one storage slot. */
    public boolean hasExpandedDims() {
        int[] d = shape.raw();
        for (int i = 0; i < d.length; i++) {
            if (d[i] > 1 && strides[i] == 0) {
                return true;
            }
        }
        return false;
    }

    /** Storage index of the element at a multi-index (no bounds check beyond the rank). */
    public int index(int... idx) {
        if (idx.length != shape.rank()) {
            throw new IllegalArgumentException("index: " + idx.length + " indices for a tensor of shape " + shape);
        }
        int[] d = shape.raw();
        int off = offset;
        for (int i = 0; i < idx.length; i++) {
            int k = idx[i] < 0 ? idx[i] + d[i] : idx[i];
            if (k < 0 || k >= d[i]) {
                throw new IndexOutOfBoundsException("index: index " + idx[i] + " out of range for dim " + i
                        + " of size " + d[i] + " (shape " + shape + ")");
            }
            off += k * strides[i];
        }
        return off;
    }

    /** Largest storage index this layout touches plus one (0 for an empty tensor). */
    public long span() {
        if (shape.numel() == 0) {
            return 0;
        }
        long last = offset;
        int[] d = shape.raw();
        for (int i = 0; i < d.length; i++) {
            last += (long) (d[i] - 1) * strides[i];
        }
        return last + 1;
    }

    public Layout permute(int... perm) {
        int r = shape.rank();
        if (perm.length != r) {
            throw new IllegalArgumentException("permute: " + Arrays.toString(perm) + " does not match rank " + r
                    + " of shape " + shape);
        }
        int[] d = shape.raw();
        int[] nd = new int[r];
        int[] ns = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            int p = Shape.normalizeDim("permute", perm[i], r);
            if (seen[p]) {
                throw new IllegalArgumentException("permute: dim " + perm[i] + " repeated in " + Arrays.toString(perm));
            }
            seen[p] = true;
            nd[i] = d[p];
            ns[i] = strides[p];
        }
        return new Layout(Shape.of(nd), ns, offset);
    }

    public Layout transpose(int dim0, int dim1) {
        int r = shape.rank();
        if (r == 0) {
            Shape.normalizeDim("transpose", dim0, r);
            Shape.normalizeDim("transpose", dim1, r);
            return this;
        }
        int a = Shape.normalizeDim("transpose", dim0, r);
        int b = Shape.normalizeDim("transpose", dim1, r);
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = i;
        }
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /** Elements {@code start, start+step, ...} below {@code end} of one dim (Python slicing, step > 0). */
    public Layout slice(int dim, int start, int end, int step) {
        int r = shape.rank();
        if (r == 0) {
            throw new IllegalArgumentException("slice: cannot slice a scalar (shape ())");
        }
        int dd = Shape.normalizeDim("slice", dim, r);
        if (step <= 0) {
            throw new IllegalArgumentException("slice: step must be positive, got " + step);
        }
        int n = shape.raw()[dd];
        // Python clamping: negative bounds count from the end, out-of-range bounds are clipped.
        int s = start < 0 ? Math.max(start + n, 0) : Math.min(start, n);
        int e = end < 0 ? Math.max(end + n, 0) : Math.min(end, n);
        int len = e > s ? (e - s + step - 1) / step : 0;
        int[] nd = shape.dims();
        int[] ns = strides.clone();
        nd[dd] = len;
        ns[dd] = strides[dd] * step;
        int off = len == 0 ? offset : offset + s * strides[dd];
        return new Layout(Shape.of(nd), ns, off);
    }

    /** PyTorch {@code narrow}: {@code length} elements from {@code start}, which must be in range. */
    public Layout narrow(int dim, int start, int length) {
        int r = shape.rank();
        if (r == 0) {
            throw new IllegalArgumentException("narrow: cannot narrow a scalar (shape ())");
        }
        int dd = Shape.normalizeDim("narrow", dim, r);
        int n = shape.raw()[dd];
        int s = start < 0 ? start + n : start;
        if (s < 0 || length < 0 || s + (long) length > n) {
            throw new IllegalArgumentException("narrow: start " + start + " and length " + length
                    + " out of range for dim " + dim + " of size " + n + " (shape " + shape + ")");
        }
        return slice(dd, s, s + length, 1);
    }

    /** Removes dim {@code dim}, fixing it at {@code index}. */
    public Layout select(int dim, int index) {
        int r = shape.rank();
        if (r == 0) {
            throw new IllegalArgumentException("select: cannot select from a scalar (shape ())");
        }
        int dd = Shape.normalizeDim("select", dim, r);
        int n = shape.raw()[dd];
        int k = index < 0 ? index + n : index;
        if (k < 0 || k >= n) {
            throw new IndexOutOfBoundsException("select: index " + index + " out of range for dim " + dim
                    + " of size " + n + " (shape " + shape + ")");
        }
        int[] nd = new int[r - 1];
        int[] ns = new int[r - 1];
        for (int i = 0, j = 0; i < r; i++) {
            if (i != dd) {
                nd[j] = shape.raw()[i];
                ns[j++] = strides[i];
            }
        }
        return new Layout(Shape.of(nd), ns, offset + k * strides[dd]);
    }

    /** Broadcast to {@code target} with stride-0 dimensions (NumPy rules; -1 keeps a size). */
    public Layout expand(Shape target) {
        int r = target.rank();
        if (r < shape.rank()) {
            throw new IllegalArgumentException("expand: cannot expand shape " + shape + " to " + target
                    + " (target has fewer dims)");
        }
        int lead = r - shape.rank();
        int[] nd = target.dims();
        int[] ns = new int[r];
        for (int i = 0; i < r; i++) {
            if (i < lead) {
                if (nd[i] < 0) {
                    throw new IllegalArgumentException("expand: -1 not allowed for new leading dim in " + target);
                }
                ns[i] = 0;
                continue;
            }
            int have = shape.raw()[i - lead];
            if (nd[i] == have) {
                ns[i] = strides[i - lead];
            } else if (have == 1) {
                ns[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: shape " + shape + " cannot be expanded to " + target
                        + " (dim " + i + ": " + have + " vs " + nd[i] + ")");
            }
        }
        return new Layout(Shape.of(nd), ns, offset);
    }

    public Layout unsqueeze(int dim) {
        int r = shape.rank();
        int dd = Shape.normalizeDim("unsqueeze", dim, r + 1);
        int[] nd = new int[r + 1];
        int[] ns = new int[r + 1];
        for (int i = 0, j = 0; i <= r; i++) {
            if (i == dd) {
                nd[i] = 1;
                ns[i] = dd < r ? strides[dd] * shape.raw()[dd] : 1;
            } else {
                nd[i] = shape.raw()[j];
                ns[i] = strides[j++];
            }
        }
        return new Layout(Shape.of(nd), ns, offset);
    }

    /** Removes {@code dim} if its size is 1 (PyTorch leaves other sizes alone). */
    public Layout squeeze(int dim) {
        int r = shape.rank();
        if (r == 0) {
            Shape.normalizeDim("squeeze", dim, r);
            return this;
        }
        int dd = Shape.normalizeDim("squeeze", dim, r);
        if (shape.raw()[dd] != 1) {
            return this;
        }
        int[] nd = new int[r - 1];
        int[] ns = new int[r - 1];
        for (int i = 0, j = 0; i < r; i++) {
            if (i != dd) {
                nd[j] = shape.raw()[i];
                ns[j++] = strides[i];
            }
        }
        return new Layout(Shape.of(nd), ns, offset);
    }

    /** Removes every size-1 dim. */
    public Layout squeeze() {
        int[] d = shape.raw();
        int keep = 0;
        for (int x : d) {
            keep += x == 1 ? 0 : 1;
        }
        int[] nd = new int[keep];
        int[] ns = new int[keep];
        for (int i = 0, j = 0; i < d.length; i++) {
            if (d[i] != 1) {
                nd[j] = d[i];
                ns[j++] = strides[i];
            }
        }
        return new Layout(Shape.of(nd), ns, offset);
    }

    /**
     * The same elements seen with a new shape, without copying, or {@code null} when the strides
     * do not allow it (the caller then copies, as PyTorch's {@code reshape} does). Sizes of
     * {@code newShape} must already be resolved and have the same element count.
     */
    public Layout viewAs(Shape newShape) {
        if (newShape.numel() != shape.numel()) {
            throw new IllegalArgumentException("view: shape " + newShape + " is invalid for input of shape " + shape
                    + " (" + newShape.numel() + " vs " + shape.numel() + " elements)");
        }
        if (shape.numel() == 0 || shape.rank() == 0) {
            return new Layout(newShape, newShape.contiguousStrides(), offset);
        }
        int[] od = shape.raw();
        int[] nd = newShape.raw();
        int[] ns = new int[nd.length];
        // Walk the old dims from the innermost outwards, in chunks that are contiguous with each
        // other; each chunk must be covered exactly by a run of new dims.
        int viewD = nd.length - 1;
        int chunkBase = strides[od.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int td = od.length - 1; td >= 0; td--) {
            tensorNumel *= od[td];
            boolean chunkEnds = td == 0 || (od[td - 1] != 1 && strides[td - 1] != tensorNumel * chunkBase);
            if (chunkEnds) {
                while (viewD >= 0 && (viewNumel < tensorNumel || nd[viewD] == 1)) {
                    ns[viewD] = (int) (viewNumel * chunkBase);
                    viewNumel *= nd[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (td > 0) {
                    chunkBase = strides[td - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        if (viewD != -1) {
            return null;
        }
        return new Layout(newShape, ns, offset);
    }

    /** Resolves one -1 in a requested shape against {@code numel}, naming {@code op} on error. */
    public static Shape inferShape(String op, int numel, int... dims) {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": only one dimension can be -1, got " + Arrays.toString(dims));
                }
                infer = i;
            } else if (dims[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + dims[i] + " in " + Arrays.toString(dims));
            } else {
                known *= dims[i];
            }
        }
        int[] out = dims.clone();
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(dims) + " is invalid for input of "
                        + numel + " elements");
            }
            out[infer] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException(op + ": shape " + Shape.format(dims) + " is invalid for input of "
                    + numel + " elements");
        }
        return Shape.of(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Layout l && offset == l.offset && shape.equals(l.shape) && Arrays.equals(strides, l.strides);
    }

    @Override
    public int hashCode() {
        return (shape.hashCode() * 31 + Arrays.hashCode(strides)) * 31 + offset;
    }

    @Override
    public String toString() {
        return "Layout{shape=" + shape + ", strides=" + Arrays.toString(strides) + ", offset=" + offset + "}";
    }
}
