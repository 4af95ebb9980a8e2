package dev.jgrad.tensor;

import java.util.Arrays;

/**
 * An immutable list of dimension sizes. Not a record: records compare arrays by reference.
 * The scalar shape {@code ()} has rank 0 and one element; any dimension may be 0.
 */
public final class Shape {
    /** Largest element count a Java array reliably holds (some VMs reserve header words). */
    public static final int MAX_NUMEL = Integer.MAX_VALUE - 8;
    public static final Shape SCALAR = new Shape(new int[0], 1);

    private final int[] dims;
    private final int numel;

    private Shape(int[] dims, int numel) {
        this.dims = dims;
        this.numel = numel;
    }

    public static Shape of(int... dims) {
        int[] copy = dims.clone();
        long n = 1;
        for (int d : copy) {
            if (d < 0) {
                throw new IllegalArgumentException("shape: negative dimension in " + Arrays.toString(copy));
            }
            n *= d;
            if (n > MAX_NUMEL) {
                throw new IllegalArgumentException("shape: " + format(copy) + " has more elements than a Java array can hold ("
                        + MAX_NUMEL + ")");
            }
        }
        return new Shape(copy, (int) n);
    }

    public int rank() {
        return dims.length;
    }

    public int numel() {
        return numel;
    }

    /** Size of dimension {@code dim}; negative dims count from the end. */
    public int size(int dim) {
        return dims[normalizeDim("size", dim, dims.length)];
    }

    public int[] dims() {
        return dims.clone();
    }

    /** Package-private view of the array, never handed to users. */
    int[] raw() {
        return dims;
    }

    /** Maps a possibly negative dim into {@code [0, rank)} or throws naming the op. */
    public static int normalizeDim(String op, int dim, int rank) {
        int r = Math.max(rank, 1); // PyTorch lets a scalar be indexed with dim 0 / -1
        if (dim < -r || dim >= r) {
            throw new IllegalArgumentException(op + ": dim " + dim + " out of range for a tensor of rank " + rank
                    + " (expected " + (-r) + ".." + (r - 1) + ")");
        }
        return dim < 0 ? dim + r : dim;
    }

    /** NumPy broadcasting of two shapes; the error names the op and both shapes. */
    public static Shape broadcast(String op, Shape a, Shape b) {
        if (a.equals(b)) {
            return a;
        }
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.rank()) >= 0 ? a.dims[i - (r - a.rank())] : 1;
            int db = i - (r - b.rank()) >= 0 ? b.dims[i - (r - b.rank())] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b + " cannot be broadcast (dim " + i
                        + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return of(out);
    }

    /** True when this shape can be broadcast (expanded) to {@code target}. */
    public boolean broadcastsTo(Shape target) {
        if (rank() > target.rank()) {
            return false;
        }
        int lead = target.rank() - rank();
        for (int i = 0; i < rank(); i++) {
            if (dims[i] != 1 && dims[i] != target.dims[lead + i]) {
                return false;
            }
        }
        return true;
    }

    /** Contiguous row-major strides, in elements. */
    public int[] contiguousStrides() {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(dims[i], 1);
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return format(dims);
    }

    static String format(int[] dims) {
        if (dims.length == 1) {
            return "(" + dims[0] + ",)";
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        return sb.append(')').toString();
    }
}
