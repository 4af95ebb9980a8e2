package dev.jgrad.tensor;

import dev.jgrad.tensor.backend.Backend;
import dev.jgrad.tensor.backend.Backends;
import dev.jgrad.tensor.backend.BinaryOp;
import dev.jgrad.tensor.backend.ReduceOp;
import dev.jgrad.tensor.backend.UnaryOp;

/**
 * A strided n-dimensional array: one storage array, a {@link Layout} and a {@link DType}. View
 * ops (view, permute, slice, expand, ...) share storage and never copy; {@link #contiguous()}
 * and {@link #reshape} copy only when the layout requires it. Every op validates its input and
 * fails with an {@link IllegalArgumentException} (or {@link IndexOutOfBoundsException}) whose
 * message names the op and the shapes, before any kernel runs.
 *
 * <p>Names and semantics follow PyTorch. Results of computations are new arrays; the only
 * operation that writes into an existing array is {@link #copyFrom}.
 */
public final class NdArray {
    private final DType dtype;
    private final Layout layout;
    private final float[] f32;
    private final double[] f64;
    private final int[] i32;

    private NdArray(DType dtype, Layout layout, float[] f32, double[] f64, int[] i32) {
        this(dtype, layout, f32, f64, i32, true);
    }

    /** {@code check} is false only for fresh storage sized from the layout itself. */
    private NdArray(DType dtype, Layout layout, float[] f32, double[] f64, int[] i32, boolean check) {
        this.dtype = dtype;
        this.layout = layout;
        this.f32 = f32;
        this.f64 = f64;
        this.i32 = i32;
        if (!check) {
            return;
        }
        long capacity = f32 != null ? f32.length : f64 != null ? f64.length : i32.length;
        if (layout.span() > capacity) {
            throw new IllegalArgumentException("NdArray: layout " + layout + " reaches past the storage of "
                    + capacity + " elements");
        }
    }

    // ---------------------------------------------------------------- wrapping storage (no copy)

    public static NdArray wrap(float[] data, Layout layout) {
        return new NdArray(DType.F32, layout, data, null, null);
    }

    public static NdArray wrap(double[] data, Layout layout) {
        return new NdArray(DType.F64, layout, null, data, null);
    }

    public static NdArray wrap(int[] data, Layout layout) {
        return new NdArray(DType.I32, layout, null, null, data);
    }

    /** Wraps {@code data} as a contiguous array of the given shape (no copy). */
    public static NdArray of(float[] data, int... shape) {
        return wrap(data, checkedContiguous("of", data.length, shape));
    }

    public static NdArray of(double[] data, int... shape) {
        return wrap(data, checkedContiguous("of", data.length, shape));
    }

    public static NdArray of(int[] data, int... shape) {
        return wrap(data, checkedContiguous("of", data.length, shape));
    }

    private static Layout checkedContiguous(String op, int length, int[] shape) {
        Shape s = Shape.of(shape);
        if (s.numel() != length) {
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape " + s + " ("
                    + s.numel() + " elements)");
        }
        return Layout.contiguous(s);
    }

    /** A new view of this array's storage with another layout. */
    public NdArray withLayout(Layout newLayout) {
        return new NdArray(dtype, newLayout, f32, f64, i32);
    }

    /** A fresh zero-filled contiguous array (F32 storage may be a recycled one: see {@link ArrayPool}). */
    public static NdArray zeros(DType dtype, Shape shape) {
        Layout l = Layout.contiguous(shape);
        return switch (dtype) {
            case F32 -> new NdArray(dtype, l, ArrayPool.zerosF32(shape.numel()), null, null, false);
            case F64 -> new NdArray(dtype, l, null, new double[shape.numel()], null, false);
            case I32 -> new NdArray(dtype, l, null, null, new int[shape.numel()], false);
        };
    }

    /**
     * A fresh contiguous array whose contents are unspecified, PyTorch's {@code torch.empty}: for
     * a result the caller overwrites element by element, where zero-filling a recycled F32 array
     * (see {@link ArrayPool}) would be wasted work. Arrays the JVM allocates come zero-filled
     * anyway; with {@code -Djgrad.poisonEmpty=true} (as in this project's tests) every floating
     * array from here is filled with NaN, so an element read before it is written shows.
     */
    public static NdArray empty(DType dtype, Shape shape) {
        return Creation.empty(dtype, shape);
    }

    // ---------------------------------------------------------------- creation

    public static NdArray empty(DType dtype, int... shape) {
        return empty(dtype, Shape.of(shape));
    }

    public static NdArray zeros(DType dtype, int... shape) {
        return zeros(dtype, Shape.of(shape));
    }

    public static NdArray ones(DType dtype, int... shape) {
        return full(dtype, 1, shape);
    }

    public static NdArray full(DType dtype, double value, int... shape) {
        return Creation.full(dtype, value, Shape.of(shape));
    }

    /** A rank-0 array holding {@code value}. */
    public static NdArray scalar(DType dtype, double value) {
        return Creation.full(dtype, value, Shape.SCALAR);
    }

    /** {@code start, start+step, ...} below {@code end}, as PyTorch's arange. */
    public static NdArray arange(DType dtype, double start, double end, double step) {
        return Creation.arange(dtype, start, end, step);
    }

    public static NdArray arange(DType dtype, int end) {
        return Creation.arange(dtype, 0, end, 1);
    }

    public static NdArray linspace(DType dtype, double start, double end, int steps) {
        return Creation.linspace(dtype, start, end, steps);
    }

    public static NdArray eye(DType dtype, int n) {
        return Creation.eye(dtype, n, n);
    }

    public static NdArray eye(DType dtype, int n, int m) {
        return Creation.eye(dtype, n, m);
    }

    /**
     * Copies a Java array of any rank ({@code float[][]}, {@code double[]}, {@code int[][][]}, ...)
     * into a new contiguous array; rows must be rectangular.
     */
    public static NdArray fromArray(Object javaArray) {
        return Creation.fromArray(javaArray);
    }

    /** Uniform values in [0, 1) drawn in order from {@code gen}. */
    public static NdArray rand(Generator gen, DType dtype, int... shape) {
        return Creation.rand(gen, dtype, Shape.of(shape), false);
    }

    /** Standard normal values drawn in order from {@code gen}. */
    public static NdArray randn(Generator gen, DType dtype, int... shape) {
        return Creation.rand(gen, dtype, Shape.of(shape), true);
    }

    /** I32 values uniform in [low, high). */
    public static NdArray randint(Generator gen, int low, int high, int... shape) {
        return Creation.randint(gen, low, high, Shape.of(shape));
    }

    // ---------------------------------------------------------------- basic properties

    public DType dtype() {
        return dtype;
    }

    public Shape shape() {
        return layout.shape();
    }

    public Layout layout() {
        return layout;
    }

    public int rank() {
        return layout.rank();
    }

    public int numel() {
        return layout.shape().numel();
    }

    public int size(int dim) {
        return layout.shape().size(dim);
    }

    public boolean isContiguous() {
        return layout.isContiguous();
    }

    /** The backing array (shared with every view of it); for backends and kernels. */
    public float[] storageF32() {
        requireDtype("storageF32", DType.F32);
        return f32;
    }

    public double[] storageF64() {
        requireDtype("storageF64", DType.F64);
        return f64;
    }

    public int[] storageI32() {
        requireDtype("storageI32", DType.I32);
        return i32;
    }

    /** True when both arrays are views of the same storage. */
    public boolean sharesStorageWith(NdArray other) {
        return (f32 != null && f32 == other.f32) || (f64 != null && f64 == other.f64) || (i32 != null && i32 == other.i32);
    }

    private void requireDtype(String op, DType want) {
        if (dtype != want) {
            throw new IllegalArgumentException(op + ": array has dtype " + dtype + ", not " + want);
        }
    }

    /** Element at a multi-index (negative indices count from the end), widened to double. */
    public double getDouble(int... index) {
        return readStorage(layout.index(index));
    }

    /** Element at a storage position, widened to double. */
    double readStorage(int pos) {
        return switch (dtype) {
            case F32 -> f32[pos];
            case F64 -> f64[pos];
            case I32 -> i32[pos];
        };
    }

    /** The single value of a one-element array (any rank), as PyTorch's {@code item()}. */
    public double item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item: only one-element arrays can be converted, shape " + shape());
        }
        return readStorage(layout.index(new int[rank()]));
    }

    /** Values in logical (row-major) order as float, converting if needed. */
    public float[] toFloatArray() {
        return ownedCopy(DType.F32).f32;
    }

    public double[] toDoubleArray() {
        return ownedCopy(DType.F64).f64;
    }

    /** Values in logical order as int; floating values must be integral. */
    public int[] toIntArray() {
        if (dtype.isFloating()) {
            double[] d = toDoubleArray();
            int[] out = new int[d.length];
            for (int k = 0; k < d.length; k++) {
                if (d[k] != Math.rint(d[k]) || Math.abs(d[k]) > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("toIntArray: value " + d[k] + " at flat index " + k
                            + " is not an int32");
                }
                out[k] = (int) d[k];
            }
            return out;
        }
        if (dtype == DType.I32 && isContiguous()) {
            // Index lists (embedding ids) come here once per op: a plain copy, not a copy kernel.
            // (An empty view's offset may lie past its storage.)
            int n = numel();
            return n == 0 ? new int[0] : java.util.Arrays.copyOfRange(i32, layout.offset(), layout.offset() + n);
        }
        return ownedCopy(DType.I32).i32;
    }

    /** A fresh contiguous array of {@code target} dtype: one copy, whether or not a conversion is needed. */
    private NdArray ownedCopy(DType target) {
        return target == dtype ? backend().unary(UnaryOp.COPY, this) : backend().convert(this, target);
    }

    /** Converts to another dtype (a copy; floating to I32 truncates toward zero). */
    public NdArray to(DType target) {
        if (target == dtype) {
            return this;
        }
        return backend().convert(this, target);
    }

    // ---------------------------------------------------------------- views (no copy)

    /** The same storage seen with a new shape; one size may be -1. Fails if the strides do not allow it. */
    public NdArray view(int... shape) {
        Shape s = Layout.inferShape("view", numel(), shape);
        Layout l = layout.viewAs(s);
        if (l == null) {
            throw new IllegalArgumentException("view: shape " + s + " is not compatible with the strides of shape "
                    + shape() + " " + java.util.Arrays.toString(layout.strides()) + "; use reshape() to copy");
        }
        return withLayout(l);
    }

    /** Like {@link #view} but copies when the layout cannot be viewed (PyTorch reshape). */
    public NdArray reshape(int... shape) {
        Shape s = Layout.inferShape("reshape", numel(), shape);
        Layout l = layout.viewAs(s);
        return l != null ? withLayout(l) : contiguous().withLayout(Layout.contiguous(s));
    }

    public NdArray permute(int... dims) {
        return withLayout(layout.permute(dims));
    }

    public NdArray transpose(int dim0, int dim1) {
        return withLayout(layout.transpose(dim0, dim1));
    }

    /** Transpose of a matrix (rank 2; ranks 0 and 1 are returned as they are, as in PyTorch). */
    public NdArray t() {
        if (rank() > 2) {
            throw new IllegalArgumentException("t: expects a tensor of rank <= 2, got shape " + shape());
        }
        return rank() < 2 ? this : transpose(0, 1);
    }

    /** Python-style {@code [start:end:step]} along one dim. */
    public NdArray slice(int dim, int start, int end, int step) {
        return withLayout(layout.slice(dim, start, end, step));
    }

    public NdArray narrow(int dim, int start, int length) {
        return withLayout(layout.narrow(dim, start, length));
    }

    public NdArray select(int dim, int index) {
        return withLayout(layout.select(dim, index));
    }

    /** Broadcast view (stride 0) to {@code shape}; -1 keeps a size. */
    public NdArray expand(int... shape) {
        int[] target = shape.clone();
        int lead = target.length - rank();
        for (int i = lead; i < target.length; i++) {
            if (i >= 0 && target[i] == -1) {
                target[i] = shape().size(i - lead);
            }
        }
        for (int d : target) {
            if (d < 0) {
                throw new IllegalArgumentException("expand: invalid size in " + java.util.Arrays.toString(shape)
                        + " for shape " + shape());
            }
        }
        return withLayout(layout.expand(Shape.of(target)));
    }

    public NdArray broadcastTo(Shape shape) {
        return withLayout(layout.expand(shape));
    }

    public NdArray squeeze() {
        return withLayout(layout.squeeze());
    }

    public NdArray squeeze(int dim) {
        return withLayout(layout.squeeze(dim));
    }

    public NdArray unsqueeze(int dim) {
        return withLayout(layout.unsqueeze(dim));
    }

    public NdArray flatten() {
        return reshape(-1);
    }

    /** Merges dims {@code startDim..endDim} into one (a view when possible). */
    public NdArray flatten(int startDim, int endDim) {
        if (rank() == 0) {
            return reshape(1);
        }
        int s = Shape.normalizeDim("flatten", startDim, rank());
        int e = Shape.normalizeDim("flatten", endDim, rank());
        if (s > e) {
            throw new IllegalArgumentException("flatten: start dim " + startDim + " comes after end dim " + endDim);
        }
        int[] d = shape().dims();
        int[] nd = new int[d.length - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) {
            nd[k++] = d[i];
        }
        int merged = 1;
        for (int i = s; i <= e; i++) {
            merged *= d[i];
        }
        nd[k++] = merged;
        for (int i = e + 1; i < d.length; i++) {
            nd[k++] = d[i];
        }
        return reshape(nd);
    }

    /** This array if already contiguous, otherwise a contiguous copy. */
    public NdArray contiguous() {
        return isContiguous() ? this : backend().unary(UnaryOp.COPY, this);
    }

    /** A contiguous copy that never shares storage with this array. */
    public NdArray copy() {
        return backend().unary(UnaryOp.COPY, this);
    }

    /** Writes {@code src} (broadcast to this shape, same dtype) into this array's elements. */
    public NdArray copyFrom(NdArray src) {
        sameDtype("copyFrom", this, src);
        if (!src.shape().broadcastsTo(shape())) {
            throw new IllegalArgumentException("copyFrom: source shape " + src.shape() + " cannot be broadcast to "
                    + shape());
        }
        if (layout.hasExpandedDims()) {
            throw new IllegalArgumentException("copyFrom: destination of shape " + shape()
                    + " has overlapping (expanded) elements; writing to it would be ambiguous");
        }
        backend().copyInto(this, src.broadcastTo(shape()));
        return this;
    }

    /**
     * Adds {@code src} (broadcast to this shape, same dtype) into this array's elements, in
     * place: for accumulating gradients and optimizer state without allocating.
     */
    public NdArray addFrom(NdArray src) {
        sameDtype("addFrom", this, src);
        if (!src.shape().broadcastsTo(shape())) {
            throw new IllegalArgumentException("addFrom: source shape " + src.shape() + " cannot be broadcast to "
                    + shape());
        }
        if (layout.hasExpandedDims()) {
            throw new IllegalArgumentException("addFrom: destination of shape " + shape()
                    + " has overlapping (expanded) elements; writing to it would be ambiguous");
        }
        backend().addInto(this, src.broadcastTo(shape()));
        return this;
    }

    // ---------------------------------------------------------------- elementwise

    static Backend backend() {
        return Backends.get();
    }

    static void sameDtype(String op, NdArray a, NdArray b) {
        if (a.dtype != b.dtype) {
            throw new IllegalArgumentException(op + ": dtype mismatch " + a.dtype + " " + a.shape() + " vs "
                    + b.dtype + " " + b.shape() + " (no implicit conversion; call to(...) first)");
        }
    }

    private NdArray unary(UnaryOp op) {
        if (!dtype.isFloating() && !op.integerOk()) {
            throw new IllegalArgumentException(op.name().toLowerCase() + ": not defined for dtype I32 (shape "
                    + shape() + "); convert with to(F32) first");
        }
        return backend().unary(op, this);
    }

    private NdArray unaryInto(UnaryOp op, NdArray out) {
        String name = op.name().toLowerCase();
        if (!dtype.isFloating() && !op.integerOk()) {
            throw new IllegalArgumentException(name + ": not defined for dtype I32 (shape " + shape()
                    + "); convert with to(F32) first");
        }
        OutArguments.check(name, out, shape(), dtype);
        OutArguments.noOverlap(name, out, this, true);
        backend().unaryInto(op, this, out);
        return out;
    }

    private NdArray binary(BinaryOp op, NdArray other) {
        checkBinary(op, other);
        return backend().binary(op, this, other);
    }

    private NdArray binaryInto(BinaryOp op, NdArray other, NdArray out) {
        String name = op.label();
        OutArguments.check(name, out, checkBinary(op, other), dtype);
        OutArguments.noOverlap(name, out, this, true);
        OutArguments.noOverlap(name, out, other, true);
        backend().binaryInto(op, this, other, out);
        return out;
    }

    /** Dtypes and broadcasting of {@code this op other}; returns the result's shape. */
    private Shape checkBinary(BinaryOp op, NdArray other) {
        String name = op.label();
        sameDtype(name, this, other);
        if (!dtype.isFloating() && !op.integerOk()) {
            throw new IllegalArgumentException(name + ": not defined for dtype I32 (shapes " + shape() + " and "
                    + other.shape() + "); convert with to(F32) first");
        }
        return Shape.broadcast(name, shape(), other.shape());
    }

    /** A rank-0 array of this dtype holding {@code v}; integral values only for I32. */
    private NdArray scalarLike(String op, double v) {
        if (dtype == DType.I32 && v != Math.rint(v)) {
            throw new IllegalArgumentException(op + ": scalar " + v + " is not an integer but the array is I32");
        }
        return scalar(dtype, v);
    }

    public NdArray add(NdArray o) { return binary(BinaryOp.ADD, o); }
    public NdArray sub(NdArray o) { return binary(BinaryOp.SUB, o); }
    public NdArray mul(NdArray o) { return binary(BinaryOp.MUL, o); }
    public NdArray div(NdArray o) { return binary(BinaryOp.DIV, o); }
    public NdArray pow(NdArray o) { return binary(BinaryOp.POW, o); }
    public NdArray maximum(NdArray o) { return binary(BinaryOp.MAXIMUM, o); }
    public NdArray minimum(NdArray o) { return binary(BinaryOp.MINIMUM, o); }
    public NdArray eq(NdArray o) { return binary(BinaryOp.EQ, o); }
    public NdArray ne(NdArray o) { return binary(BinaryOp.NE, o); }
    public NdArray lt(NdArray o) { return binary(BinaryOp.LT, o); }
    public NdArray le(NdArray o) { return binary(BinaryOp.LE, o); }
    public NdArray gt(NdArray o) { return binary(BinaryOp.GT, o); }
    public NdArray ge(NdArray o) { return binary(BinaryOp.GE, o); }

    public NdArray add(double s) { return binary(BinaryOp.ADD, scalarLike("add", s)); }
    public NdArray sub(double s) { return binary(BinaryOp.SUB, scalarLike("sub", s)); }
    public NdArray mul(double s) { return binary(BinaryOp.MUL, scalarLike("mul", s)); }
    public NdArray div(double s) { return binary(BinaryOp.DIV, scalarLike("div", s)); }
    public NdArray pow(double s) { return binary(BinaryOp.POW, scalarLike("pow", s)); }
    public NdArray maximum(double s) { return binary(BinaryOp.MAXIMUM, scalarLike("maximum", s)); }
    public NdArray minimum(double s) { return binary(BinaryOp.MINIMUM, scalarLike("minimum", s)); }
    public NdArray eq(double s) { return binary(BinaryOp.EQ, scalarLike("eq", s)); }
    public NdArray ne(double s) { return binary(BinaryOp.NE, scalarLike("ne", s)); }
    public NdArray lt(double s) { return binary(BinaryOp.LT, scalarLike("lt", s)); }
    public NdArray le(double s) { return binary(BinaryOp.LE, scalarLike("le", s)); }
    public NdArray gt(double s) { return binary(BinaryOp.GT, scalarLike("gt", s)); }
    public NdArray ge(double s) { return binary(BinaryOp.GE, scalarLike("ge", s)); }

    /**
     * {@code out = this + o} with broadcasting, written into an existing array instead of a
     * fresh one (PyTorch's {@code out=}). {@code out} must have exactly the broadcast shape and
     * this dtype; it may be {@code this} or {@code o} itself (in place), but may not otherwise
     * overlap them. Returns {@code out}.
     */
    public NdArray add(NdArray o, NdArray out) { return binaryInto(BinaryOp.ADD, o, out); }
    public NdArray sub(NdArray o, NdArray out) { return binaryInto(BinaryOp.SUB, o, out); }
    public NdArray mul(NdArray o, NdArray out) { return binaryInto(BinaryOp.MUL, o, out); }
    public NdArray div(NdArray o, NdArray out) { return binaryInto(BinaryOp.DIV, o, out); }

    /** {@code out = this + s}; {@code x.mul(2, x)} scales x in place. See {@link #add(NdArray, NdArray)}. */
    public NdArray add(double s, NdArray out) { return binaryInto(BinaryOp.ADD, scalarLike("add", s), out); }
    public NdArray sub(double s, NdArray out) { return binaryInto(BinaryOp.SUB, scalarLike("sub", s), out); }
    public NdArray mul(double s, NdArray out) { return binaryInto(BinaryOp.MUL, scalarLike("mul", s), out); }
    public NdArray div(double s, NdArray out) { return binaryInto(BinaryOp.DIV, scalarLike("div", s), out); }

    public NdArray neg() { return unary(UnaryOp.NEG); }
    public NdArray exp() { return unary(UnaryOp.EXP); }
    public NdArray log() { return unary(UnaryOp.LOG); }
    public NdArray sqrt() { return unary(UnaryOp.SQRT); }
    public NdArray rsqrt() { return unary(UnaryOp.RSQRT); }
    public NdArray abs() { return unary(UnaryOp.ABS); }
    public NdArray sign() { return unary(UnaryOp.SIGN); }
    public NdArray tanh() { return unary(UnaryOp.TANH); }
    public NdArray sigmoid() { return unary(UnaryOp.SIGMOID); }
    public NdArray relu() { return unary(UnaryOp.RELU); }
    /** GELU in its exact form, {@code x * Phi(x)} with the normal CDF through erf. */
    public NdArray gelu() { return unary(UnaryOp.GELU); }
    public NdArray erf() { return unary(UnaryOp.ERF); }
    /** GELU's derivative, {@code Phi(x) + x phi(x)}. */
    public NdArray geluGrad() { return unary(UnaryOp.GELU_GRAD); }
    public NdArray sin() { return unary(UnaryOp.SIN); }
    public NdArray cos() { return unary(UnaryOp.COS); }

    // The same into an existing array: x's shape and dtype, x itself allowed (in place).
    public NdArray exp(NdArray out) { return unaryInto(UnaryOp.EXP, out); }
    public NdArray log(NdArray out) { return unaryInto(UnaryOp.LOG, out); }
    public NdArray sqrt(NdArray out) { return unaryInto(UnaryOp.SQRT, out); }
    public NdArray abs(NdArray out) { return unaryInto(UnaryOp.ABS, out); }
    public NdArray tanh(NdArray out) { return unaryInto(UnaryOp.TANH, out); }
    public NdArray sigmoid(NdArray out) { return unaryInto(UnaryOp.SIGMOID, out); }
    public NdArray relu(NdArray out) { return unaryInto(UnaryOp.RELU, out); }
    public NdArray gelu(NdArray out) { return unaryInto(UnaryOp.GELU, out); }

    /** Limits values to [min, max]; NaN stays NaN, as in PyTorch. */
    public NdArray clamp(double min, double max) {
        if (min > max) {
            throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        }
        return maximum(min).minimum(max);
    }

    /** Elementwise {@code cond != 0 ? a : b} with all three broadcast; cond is an I32 mask. */
    public static NdArray where(NdArray cond, NdArray a, NdArray b) {
        if (cond.dtype != DType.I32) {
            throw new IllegalArgumentException("where: condition must be an I32 mask, got " + cond.dtype + " "
                    + cond.shape());
        }
        sameDtype("where", a, b);
        Shape.broadcast("where", Shape.broadcast("where", cond.shape(), a.shape()), b.shape());
        return backend().where(cond, a, b);
    }

    /** A copy with {@code value} wherever the I32 {@code mask} (broadcast to this shape) is nonzero. */
    public NdArray maskedFill(NdArray mask, double value) {
        if (!mask.shape().broadcastsTo(shape())) {
            throw new IllegalArgumentException("masked_fill: mask shape " + mask.shape()
                    + " cannot be broadcast to " + shape());
        }
        return where(mask, scalarLike("masked_fill", value), this);
    }

    // ---------------------------------------------------------------- reductions

    /** Flags for the dims to reduce; an empty or null list means every dim. */
    boolean[] reduceFlags(String op, int[] dims) {
        boolean[] flags = new boolean[rank()];
        if (dims == null || dims.length == 0) {
            java.util.Arrays.fill(flags, true);
            return flags;
        }
        for (int d : dims) {
            int dd = Shape.normalizeDim(op, d, rank());
            if (rank() == 0) {
                continue;
            }
            if (flags[dd]) {
                throw new IllegalArgumentException(op + ": dim " + d + " appears more than once in "
                        + java.util.Arrays.toString(dims));
            }
            flags[dd] = true;
        }
        return flags;
    }

    private NdArray reduce(ReduceOp op, String name, int[] dims, boolean keepdim) {
        boolean[] flags = reduceFlags(name, dims);
        if (op.needsElements()) {
            for (int i = 0; i < flags.length; i++) {
                if (flags[i] && shape().size(i) == 0) {
                    throw new IllegalArgumentException(name + ": cannot reduce over dim " + i + " of size 0 in shape "
                            + shape() + " (the operation has no identity)");
                }
            }
            if (numel() == 0 && rank() == 0) {
                throw new IllegalArgumentException(name + ": empty input");
            }
        }
        if (op == ReduceOp.LOGSUMEXP && !dtype.isFloating()) {
            throw new IllegalArgumentException(name + ": not defined for dtype I32 (shape " + shape() + ")");
        }
        NdArray kept = backend().reduce(op, this, flags);
        return keepdim ? kept : kept.withLayout(dropDims(kept.layout, flags));
    }

    static Layout dropDims(Layout l, boolean[] flags) {
        int keep = 0;
        for (boolean f : flags) {
            keep += f ? 0 : 1;
        }
        int[] nd = new int[keep];
        int[] ns = new int[keep];
        int[] d = l.shape().raw();
        int[] s = l.strides();
        for (int i = 0, j = 0; i < flags.length; i++) {
            if (!flags[i]) {
                nd[j] = d[i];
                ns[j++] = s[i];
            }
        }
        return new Layout(Shape.of(nd), ns, l.offset());
    }

    public NdArray sum() { return reduce(ReduceOp.SUM, "sum", null, false); }
    public NdArray sum(int dim, boolean keepdim) { return reduce(ReduceOp.SUM, "sum", new int[] {dim}, keepdim); }
    public NdArray sum(int[] dims, boolean keepdim) { return reduce(ReduceOp.SUM, "sum", dims, keepdim); }
    public NdArray prod() { return reduce(ReduceOp.PROD, "prod", null, false); }
    public NdArray prod(int dim, boolean keepdim) { return reduce(ReduceOp.PROD, "prod", new int[] {dim}, keepdim); }
    public NdArray prod(int[] dims, boolean keepdim) { return reduce(ReduceOp.PROD, "prod", dims, keepdim); }
    /** Maximum over all elements (PyTorch amax semantics for dim lists). */
    public NdArray max() { return reduce(ReduceOp.MAX, "max", null, false); }
    public NdArray max(int[] dims, boolean keepdim) { return reduce(ReduceOp.MAX, "max", dims, keepdim); }
    public NdArray min() { return reduce(ReduceOp.MIN, "min", null, false); }
    public NdArray min(int[] dims, boolean keepdim) { return reduce(ReduceOp.MIN, "min", dims, keepdim); }
    public NdArray logsumexp(int[] dims, boolean keepdim) { return reduce(ReduceOp.LOGSUMEXP, "logsumexp", dims, keepdim); }

    /** Index of the first maximum along {@code dim} (I32). */
    public NdArray argmax(int dim, boolean keepdim) { return reduce(ReduceOp.ARGMAX, "argmax", new int[] {dim}, keepdim); }
    public NdArray argmin(int dim, boolean keepdim) { return reduce(ReduceOp.ARGMIN, "argmin", new int[] {dim}, keepdim); }
    /** Index of the first maximum in the flattened array (I32 scalar). */
    public NdArray argmax() { return reshape(-1).argmax(0, false); }
    public NdArray argmin() { return reshape(-1).argmin(0, false); }

    /** Values and I32 indices of the maximum along one dim, as PyTorch's {@code max(dim)}. */
    public NdArray[] maxWithIndices(int dim, boolean keepdim) {
        NdArray idx = argmax(dim, true);
        NdArray values = gather(dim, idx);
        return keepdim ? new NdArray[] {values, idx} : new NdArray[] {values.squeeze(dim), idx.squeeze(dim)};
    }

    public NdArray[] minWithIndices(int dim, boolean keepdim) {
        NdArray idx = argmin(dim, true);
        NdArray values = gather(dim, idx);
        return keepdim ? new NdArray[] {values, idx} : new NdArray[] {values.squeeze(dim), idx.squeeze(dim)};
    }

    /** Number of elements reduced over by {@code dims}. */
    int reducedCount(String op, int[] dims) {
        boolean[] f = reduceFlags(op, dims);
        long n = 1;
        for (int i = 0; i < f.length; i++) {
            if (f[i]) {
                n *= shape().size(i);
            }
        }
        return (int) n;
    }

    public NdArray mean() { return mean(null, false); }

    /** Mean over dims; an empty reduction gives NaN, as in PyTorch. */
    public NdArray mean(int[] dims, boolean keepdim) {
        requireFloating("mean");
        return sum(dims, keepdim).div(reducedCount("mean", dims));
    }

    /** Variance with Bessel's correction {@code correction} (1 = unbiased, PyTorch's default). */
    public NdArray var(int[] dims, int correction, boolean keepdim) {
        requireFloating("var");
        int n = reducedCount("var", dims);
        NdArray centered = sub(mean(dims, true));
        return centered.mul(centered).sum(dims, keepdim).div(Math.max(n - correction, 0));
    }

    public NdArray std(int[] dims, int correction, boolean keepdim) {
        return var(dims, correction, keepdim).sqrt();
    }

    private void requireFloating(String op) {
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException(op + ": not defined for dtype I32 (shape " + shape()
                    + "); convert with to(F32) first");
        }
    }

    public NdArray softmax(int dim) {
        requireFloating("softmax");
        return backend().softmax(this, Shape.normalizeDim("softmax", dim, rank()), false);
    }

    public NdArray logSoftmax(int dim) {
        requireFloating("log_softmax");
        return backend().softmax(this, Shape.normalizeDim("log_softmax", dim, rank()), true);
    }

    public NdArray cumsum(int dim) {
        return backend().cumsum(this, Shape.normalizeDim("cumsum", dim, rank()));
    }

    // ---------------------------------------------------------------- matmul

    /**
     * Matrix product with PyTorch {@code matmul} semantics: 1-D operands are promoted (and the
     * added dim removed again), batch dims broadcast, any strides.
     */
    public NdArray matmul(NdArray other) {
        return LinearAlgebra.matmul(this, other, null);
    }

    /**
     * {@link #matmul(NdArray)} written into an existing array (PyTorch's {@code out=}), so a loop
     * of products allocates nothing. {@code out} has exactly the result's shape and dtype and
     * shares no memory with the operands. Returns {@code out}.
     */
    public NdArray matmul(NdArray other, NdArray out) {
        return LinearAlgebra.matmul(this, other, java.util.Objects.requireNonNull(out, "matmul: out is null"));
    }

    /**
     * This 2-D matrix (K, N), copied into the layout the backend's products read fastest, for
     * many products {@code a.matmul(packed)} with the same right-hand side (see
     * {@link PackedMatrix}).
     */
    public PackedMatrix pack() {
        return LinearAlgebra.pack(this);
    }

    /**
     * This (..., K) times a packed (K, N): a new (..., N), the leading dims folded into rows as a
     * linear layer does; the bits of {@code matmul} with the source (see {@link PackedMatrix} for
     * the one exception).
     */
    public NdArray matmul(PackedMatrix other) {
        return LinearAlgebra.matmul(this, other, null);
    }

    /** {@link #matmul(PackedMatrix)} written into {@code out}, with the checks of {@link #matmul(NdArray, NdArray)}. */
    public NdArray matmul(PackedMatrix other, NdArray out) {
        return LinearAlgebra.matmul(this, other, java.util.Objects.requireNonNull(out, "matmul: out is null"));
    }

    /**
     * {@code input + mat1 · mat2} for 2-D (n, m) x (m, p), {@code input} broadcast to (n, p):
     * PyTorch's {@code addmm}. The product is accumulated onto the broadcast input (a linear
     * layer's bias) instead of being added in a second pass.
     */
    public static NdArray addmm(NdArray input, NdArray mat1, NdArray mat2) {
        return LinearAlgebra.addmm(input, mat1, mat2, null);
    }

    /** {@link #addmm(NdArray, NdArray, NdArray)} written into {@code out} (n, p), which may not overlap an operand. */
    public static NdArray addmm(NdArray input, NdArray mat1, NdArray mat2, NdArray out) {
        return LinearAlgebra.addmm(input, mat1, mat2, java.util.Objects.requireNonNull(out, "addmm: out is null"));
    }

    // ---------------------------------------------------------------- indexing

    public NdArray indexSelect(int dim, NdArray index) {
        return Indexing.indexSelect(this, dim, index);
    }

    public NdArray gather(int dim, NdArray index) {
        return Indexing.gather(this, dim, index);
    }

    public NdArray scatterAdd(int dim, NdArray index, NdArray src) {
        return Indexing.scatterAdd(this, dim, index, src);
    }

    public NdArray indexAdd(int dim, NdArray index, NdArray src) {
        return Indexing.indexAdd(this, dim, index, src);
    }

    /** Rows of a (V, D) {@code weight} for I32 {@code ids} of any shape: result (*ids.shape, D). */
    public static NdArray embedding(NdArray weight, NdArray ids) {
        return Indexing.embedding(weight, ids);
    }

    public static NdArray cat(int dim, NdArray... arrays) {
        return Indexing.cat(dim, arrays);
    }

    public static NdArray stack(int dim, NdArray... arrays) {
        return Indexing.stack(dim, arrays);
    }

    /** Views of consecutive pieces of {@code splitSize} along dim (the last may be smaller). */
    public NdArray[] split(int splitSize, int dim) {
        return Indexing.split(this, splitSize, dim);
    }

    /** Views of pieces with the given sizes along dim. */
    public NdArray[] split(int[] sizes, int dim) {
        return Indexing.split(this, sizes, dim);
    }

    public NdArray[] chunk(int chunks, int dim) {
        return Indexing.chunk(this, chunks, dim);
    }

    /** Lower triangle of the last two dims, keeping diagonals {@code <= diagonal}. */
    public NdArray tril(int diagonal) {
        return Indexing.triangle(this, diagonal, true);
    }

    public NdArray triu(int diagonal) {
        return Indexing.triangle(this, diagonal, false);
    }

    /** Values and I32 indices sorted along dim (stable). */
    public NdArray[] sort(int dim, boolean descending) {
        return Indexing.sort(this, dim, descending);
    }

    /** The k largest (or smallest) values along dim, sorted, with their I32 indices. */
    public NdArray[] topk(int k, int dim, boolean largest) {
        return Indexing.topk(this, k, dim, largest);
    }

    /** I32 category samples from rows of non-negative weights (1-D or 2-D), as PyTorch multinomial. */
    public NdArray multinomial(int numSamples, boolean replacement, Generator gen) {
        return Indexing.multinomial(this, numSamples, replacement, gen);
    }

    /** One-hot I32 encoding of I32 class ids: shape (*ids.shape, numClasses). */
    public static NdArray oneHot(NdArray ids, int numClasses) {
        return Indexing.oneHot(ids, numClasses);
    }

    @Override
    public String toString() {
        return Formatter.format(this);
    }
}
