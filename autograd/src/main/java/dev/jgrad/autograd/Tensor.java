package dev.jgrad.autograd;

import dev.jgrad.autograd.ops.Elementwise;
import dev.jgrad.autograd.ops.Indexing;
import dev.jgrad.autograd.ops.Movement;
import dev.jgrad.autograd.ops.Products;
import dev.jgrad.autograd.ops.Reductions;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.Shape;

/**
 * A differentiable tensor: an {@link NdArray} value plus its place on the tape. Leaves are
 * created by users (parameters, inputs); every op on a tensor that requires grad records a
 * {@link Function} node, and {@link #backward()} walks those nodes in reverse.
 *
 * <p>Identity semantics: tensors are never equal to one another by value ({@code equals} is not
 * overridden), so they can be used as keys in identity-based maps.
 */
public final class Tensor {
    private final NdArray data;
    private final Function gradFn;
    private boolean requiresGrad;
    private Tensor grad;

    Tensor(NdArray data, Function gradFn) {
        this.data = data;
        this.gradFn = gradFn;
        this.requiresGrad = gradFn != null;
    }

    // ---------------------------------------------------------------- creation

    /** A constant leaf (no gradient) over {@code data}. */
    public static Tensor of(NdArray data) {
        return new Tensor(data, null);
    }

    /** A leaf that requires grad, e.g. a parameter or an input to differentiate against. */
    public static Tensor param(NdArray data) {
        if (!data.dtype().isFloating()) {
            throw new IllegalArgumentException("param: only floating tensors can require grad, got " + data.dtype());
        }
        Tensor t = new Tensor(data, null);
        t.requiresGrad = true;
        return t;
    }

    public static Tensor scalar(DType dtype, double value) {
        return of(NdArray.scalar(dtype, value));
    }

    public static Tensor zeros(DType dtype, int... shape) {
        return of(NdArray.zeros(dtype, shape));
    }

    public static Tensor ones(DType dtype, int... shape) {
        return of(NdArray.ones(dtype, shape));
    }

    public static Tensor randn(Generator gen, DType dtype, int... shape) {
        return of(NdArray.randn(gen, dtype, shape));
    }

    public static Tensor fromArray(Object javaArray) {
        return of(NdArray.fromArray(javaArray));
    }

    // ---------------------------------------------------------------- tape state

    public NdArray data() {
        return data;
    }

    public DType dtype() {
        return data.dtype();
    }

    public Shape shape() {
        return data.shape();
    }

    public int rank() {
        return data.rank();
    }

    public int numel() {
        return data.numel();
    }

    public int size(int dim) {
        return data.size(dim);
    }

    public double item() {
        return data.item();
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Switches gradient tracking of a leaf on or off (non-leaves follow their inputs). */
    public Tensor requiresGrad(boolean on) {
        if (gradFn != null) {
            throw new IllegalStateException("requiresGrad: can only change it on a leaf tensor; this one comes from "
                    + gradFn.name() + " (use detach())");
        }
        if (on && !data.dtype().isFloating()) {
            throw new IllegalArgumentException("requiresGrad: only floating tensors can require grad, got " + dtype());
        }
        requiresGrad = on;
        return this;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    public Function gradFn() {
        return gradFn;
    }

    /** The accumulated gradient (null until a backward reaches this tensor). */
    public Tensor grad() {
        return grad;
    }

    void setGrad(Tensor g) {
        grad = g;
    }

    /** Clears the accumulated gradient (gradients add up across backward calls until cleared). */
    public void zeroGrad() {
        grad = null;
    }

    /** Asks backward to also fill {@link #grad()} of this non-leaf tensor. */
    public Tensor retainGrad() {
        if (gradFn != null) {
            gradFn.retained = this;
        }
        return this;
    }

    /** The same values, cut off from the tape. */
    public Tensor detach() {
        return new Tensor(data, null);
    }

    /** Backward from a scalar (one-element) tensor, as {@code loss.backward()}. */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalStateException("backward: grad can be implicitly created only for scalar outputs, but"
                    + " this tensor has shape " + shape() + "; pass an output gradient");
        }
        backward(Tensor.of(NdArray.ones(dtype(), shape().dims())), false, false);
    }

    public void backward(Tensor gradOutput) {
        backward(gradOutput, false, false);
    }

    /**
     * Backward with an explicit output gradient. {@code retainGraph} keeps saved tensors for a
     * second backward; {@code createGraph} records the backward pass itself so that the
     * accumulated gradients can be differentiated again.
     */
    public void backward(Tensor gradOutput, boolean retainGraph, boolean createGraph) {
        checkSeed(gradOutput);
        Engine.run(new Tensor[] {this}, new Tensor[] {gradOutput}, retainGraph || createGraph, createGraph, null);
    }

    private void checkSeed(Tensor gradOutput) {
        if (!gradOutput.shape().equals(shape()) || gradOutput.dtype() != dtype()) {
            throw new IllegalArgumentException("backward: output gradient " + gradOutput.dtype() + " "
                    + gradOutput.shape() + " does not match the tensor " + dtype() + " " + shape());
        }
    }

    /**
     * Gradients of {@code output} with respect to {@code inputs}, returned rather than accumulated
     * (PyTorch {@code torch.autograd.grad}). With {@code createGraph} the results are themselves
     * on the tape, so second derivatives follow from another call. An input the output does not
     * depend on gets a zero gradient.
     */
    public static Tensor[] grad(Tensor output, Tensor[] inputs, Tensor gradOutput, boolean retainGraph,
                                boolean createGraph) {
        Tensor seed = gradOutput;
        if (seed == null) {
            if (output.numel() != 1) {
                throw new IllegalStateException("grad: output of shape " + output.shape()
                        + " is not a scalar; pass an output gradient");
            }
            seed = Tensor.of(NdArray.ones(output.dtype(), output.shape().dims()));
        }
        output.checkSeed(seed);
        Tensor[] g = Engine.run(new Tensor[] {output}, new Tensor[] {seed}, retainGraph || createGraph, createGraph,
                inputs);
        for (int i = 0; i < g.length; i++) {
            if (g[i] == null) {
                g[i] = Tensor.of(NdArray.zeros(inputs[i].dtype(), inputs[i].shape()));
            }
        }
        return g;
    }

    public static Tensor[] grad(Tensor output, Tensor... inputs) {
        return grad(output, inputs, null, false, false);
    }

    // ---------------------------------------------------------------- elementwise

    private Tensor constant(double v) {
        if (dtype() == DType.I32 && v != Math.rint(v)) {
            throw new IllegalArgumentException("scalar " + v + " is not an integer but the tensor is I32");
        }
        return scalar(dtype(), v);
    }

    public Tensor add(Tensor o) { return new Elementwise.Add().apply(this, o); }
    public Tensor sub(Tensor o) { return new Elementwise.Sub().apply(this, o); }
    public Tensor mul(Tensor o) { return new Elementwise.Mul().apply(this, o); }
    public Tensor div(Tensor o) { return new Elementwise.Div().apply(this, o); }
    public Tensor pow(Tensor o) { return new Elementwise.Pow().apply(this, o); }
    public Tensor maximum(Tensor o) { return new Elementwise.Extremum(true).apply(this, o); }
    public Tensor minimum(Tensor o) { return new Elementwise.Extremum(false).apply(this, o); }

    public Tensor add(double s) { return add(constant(s)); }
    public Tensor sub(double s) { return sub(constant(s)); }
    public Tensor mul(double s) { return mul(constant(s)); }
    public Tensor div(double s) { return div(constant(s)); }
    public Tensor pow(double p) { return new Elementwise.PowScalar(p).apply(this); }
    public Tensor maximum(double s) { return maximum(constant(s)); }
    public Tensor minimum(double s) { return minimum(constant(s)); }

    public Tensor neg() { return new Elementwise.Neg().apply(this); }
    public Tensor exp() { return new Elementwise.Exp().apply(this); }
    public Tensor log() { return new Elementwise.Log().apply(this); }
    public Tensor sqrt() { return new Elementwise.Sqrt().apply(this); }
    public Tensor rsqrt() { return new Elementwise.Rsqrt().apply(this); }
    public Tensor abs() { return new Elementwise.Abs().apply(this); }
    public Tensor sign() { return new Elementwise.Sign().apply(this); }
    public Tensor tanh() { return new Elementwise.Tanh().apply(this); }
    public Tensor sigmoid() { return new Elementwise.Sigmoid().apply(this); }
    public Tensor relu() { return new Elementwise.Relu().apply(this); }
    /** GELU's derivative Phi(x) + x phi(x) (what GELU's backward multiplies by). */
    public Tensor geluGrad() { return new Elementwise.GeluGrad().apply(this); }

    /** Exact (erf) GELU. */
    public Tensor gelu() { return new Elementwise.Gelu().apply(this); }
    public Tensor erf() { return new Elementwise.Erf().apply(this); }
    public Tensor sin() { return new Elementwise.Sin().apply(this); }
    public Tensor cos() { return new Elementwise.Cos().apply(this); }

    public Tensor clamp(double min, double max) {
        if (min > max) {
            throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        }
        return new Elementwise.Clamp(min, max).apply(this);
    }

    /** Comparisons give constant I32 masks (no gradient flows through a comparison). */
    public Tensor eq(Tensor o) { return of(data.eq(o.data)); }
    public Tensor ne(Tensor o) { return of(data.ne(o.data)); }
    public Tensor lt(Tensor o) { return of(data.lt(o.data)); }
    public Tensor le(Tensor o) { return of(data.le(o.data)); }
    public Tensor gt(Tensor o) { return of(data.gt(o.data)); }
    public Tensor ge(Tensor o) { return of(data.ge(o.data)); }
    public Tensor eq(double s) { return of(data.eq(s)); }
    public Tensor ne(double s) { return of(data.ne(s)); }
    public Tensor lt(double s) { return of(data.lt(s)); }
    public Tensor le(double s) { return of(data.le(s)); }
    public Tensor gt(double s) { return of(data.gt(s)); }
    public Tensor ge(double s) { return of(data.ge(s)); }

    /** {@code cond != 0 ? a : b}; the I32 condition is a constant. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        if (cond.requiresGrad()) {
            throw new IllegalArgumentException("where: the condition must be a mask, not a tensor requiring grad");
        }
        if (cond.dtype() != DType.I32) {
            throw new IllegalArgumentException("where: condition must be an I32 mask, got " + cond.dtype() + " "
                    + cond.shape());
        }
        return new Elementwise.Where(cond.data).apply(a, b);
    }

    /** A copy with {@code value} where the I32 {@code mask} is nonzero. */
    public Tensor maskedFill(NdArray mask, double value) {
        if (!mask.shape().broadcastsTo(shape())) {
            throw new IllegalArgumentException("masked_fill: mask shape " + mask.shape()
                    + " cannot be broadcast to " + shape());
        }
        return where(of(mask), constant(value), this);
    }

    public Tensor maskedFill(Tensor mask, double value) {
        return maskedFill(mask.data, value);
    }

    // ---------------------------------------------------------------- reductions

    public Tensor sum() { return sum(null, false); }
    public Tensor sum(int dim, boolean keepdim) { return sum(new int[] {dim}, keepdim); }
    public Tensor sum(int[] dims, boolean keepdim) { return new Reductions.Sum(dims, keepdim).apply(this); }

    public Tensor mean() { return mean(null, false); }
    public Tensor mean(int dim, boolean keepdim) { return mean(new int[] {dim}, keepdim); }

    public Tensor mean(int[] dims, boolean keepdim) {
        requireFloating("mean");
        int n = reducedCount(dims);
        return sum(dims, keepdim).div(n);
    }

    private int reducedCount(int[] dims) {
        int[] kept = new int[rank()];
        long n = 1;
        if (dims == null || dims.length == 0) {
            return numel();
        }
        for (int d : dims) {
            int dd = Shape.normalizeDim("reduce", d, rank());
            if (rank() > 0 && kept[dd]++ == 0) {
                n *= size(dd);
            }
        }
        return (int) n;
    }

    private void requireFloating(String op) {
        if (!dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": not defined for dtype I32 (shape " + shape() + ")");
        }
    }

    /** Max over dims (amax): ties share the gradient. */
    public Tensor max() { return max(null, false); }
    public Tensor max(int[] dims, boolean keepdim) { return new Reductions.Extreme(dims, keepdim, true).apply(this); }
    public Tensor min() { return min(null, false); }
    public Tensor min(int[] dims, boolean keepdim) { return new Reductions.Extreme(dims, keepdim, false).apply(this); }

    /** Values (differentiable, via gather) and I32 indices of the maximum along dim. */
    public Tensor[] maxWithIndices(int dim, boolean keepdim) {
        Tensor idx = of(data.argmax(dim, true));
        Tensor values = gather(dim, idx);
        return keepdim ? new Tensor[] {values, idx} : new Tensor[] {values.squeeze(dim), idx.squeeze(dim)};
    }

    public Tensor[] minWithIndices(int dim, boolean keepdim) {
        Tensor idx = of(data.argmin(dim, true));
        Tensor values = gather(dim, idx);
        return keepdim ? new Tensor[] {values, idx} : new Tensor[] {values.squeeze(dim), idx.squeeze(dim)};
    }

    public Tensor argmax(int dim, boolean keepdim) { return of(data.argmax(dim, keepdim)); }
    public Tensor argmin(int dim, boolean keepdim) { return of(data.argmin(dim, keepdim)); }

    /** Variance with {@code correction} (1 = unbiased, PyTorch's default). */
    public Tensor var(int[] dims, int correction, boolean keepdim) {
        requireFloating("var");
        int n = reducedCount(dims);
        Tensor centered = sub(mean(dims, true));
        return centered.mul(centered).sum(dims, keepdim).div(Math.max(n - correction, 0));
    }

    public Tensor std(int[] dims, int correction, boolean keepdim) {
        return var(dims, correction, keepdim).sqrt();
    }

    public Tensor logsumexp(int[] dims, boolean keepdim) {
        requireFloating("logsumexp");
        return new Reductions.LogSumExp(dims, keepdim).apply(this);
    }

    public Tensor prod(int[] dims, boolean keepdim) { return new Reductions.Prod(dims, keepdim).apply(this); }

    public Tensor softmax(int dim) {
        requireFloating("softmax");
        return new Reductions.Softmax(Shape.normalizeDim("softmax", dim, rank())).apply(this);
    }

    public Tensor logSoftmax(int dim) {
        requireFloating("log_softmax");
        return new Reductions.LogSoftmax(Shape.normalizeDim("log_softmax", dim, rank())).apply(this);
    }

    public Tensor cumsum(int dim) {
        return new Reductions.Cumsum(Shape.normalizeDim("cumsum", dim, rank())).apply(this);
    }

    // ---------------------------------------------------------------- matmul

    /** PyTorch matmul: 1-D operands are promoted and the added dim removed; batch dims broadcast. */
    public Tensor matmul(Tensor o) {
        if (rank() == 0 || o.rank() == 0) {
            throw new IllegalArgumentException("matmul: both arguments need at least 1 dimension, got shapes "
                    + shape() + " and " + o.shape());
        }
        Tensor a = rank() == 1 ? unsqueeze(0) : this;
        Tensor b = o.rank() == 1 ? o.unsqueeze(1) : o;
        if (a.size(-1) != b.size(-2)) {
            throw new IllegalArgumentException("matmul: shapes " + shape() + " and " + o.shape()
                    + " cannot be multiplied (" + a.size(-1) + " != " + b.size(-2) + ")");
        }
        Tensor out;
        if (a.rank() > 2 && b.rank() == 2 && a.numel() > 0) {
            // (..., M, K) x (K, N): fold the batch into M, as PyTorch does. One big GEMM instead
            // of a batch of small ones, and the weight gradient becomes one Aᵀ·dC with K = B*M
            // instead of a batch of products summed afterwards.
            int[] dims = a.shape().dims();
            Tensor flat = new Products.MatMul().apply(a.reshape(-1, a.size(-1)), b);
            dims[dims.length - 1] = b.size(-1);
            out = flat.view(dims);
        } else {
            out = new Products.MatMul().apply(a, b);
        }
        if (rank() == 1) {
            out = out.squeeze(-2);
        }
        if (o.rank() == 1) {
            out = out.squeeze(-1);
        }
        return out;
    }

    // ---------------------------------------------------------------- views

    public Tensor view(int... shape) { return new Movement.Reshape(shape, true).apply(this); }
    public Tensor reshape(int... shape) { return new Movement.Reshape(shape, false).apply(this); }
    public Tensor permute(int... dims) { return new Movement.Permute(dims.clone()).apply(this); }

    public Tensor transpose(int dim0, int dim1) {
        int r = Math.max(rank(), 1);
        int[] perm = new int[rank()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        if (rank() == 0) {
            Shape.normalizeDim("transpose", dim0, 0);
            Shape.normalizeDim("transpose", dim1, 0);
            return this;
        }
        int a = Shape.normalizeDim("transpose", dim0, r);
        int b = Shape.normalizeDim("transpose", dim1, r);
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    public Tensor t() {
        if (rank() > 2) {
            throw new IllegalArgumentException("t: expects a tensor of rank <= 2, got shape " + shape());
        }
        return rank() < 2 ? this : transpose(0, 1);
    }

    public Tensor slice(int dim, int start, int end, int step) {
        return new Movement.Slice(dim, start, end, step).apply(this);
    }

    public Tensor narrow(int dim, int start, int length) {
        data.narrow(dim, start, length); // validates with narrow's own message
        int d = Shape.normalizeDim("narrow", dim, rank());
        int s = start < 0 ? start + size(d) : start;
        return slice(d, s, s + length, 1);
    }

    public Tensor select(int dim, int index) {
        data.select(dim, index); // validates
        return new Movement.Select(dim, index).apply(this);
    }

    public Tensor expand(int... shape) {
        return new Movement.Expand(data.expand(shape).shape()).apply(this);
    }

    public Tensor broadcastTo(Shape shape) {
        return new Movement.Expand(data.broadcastTo(shape).shape()).apply(this);
    }

    public Tensor squeeze() { return reshape(data.squeeze().shape().dims()); }
    public Tensor squeeze(int dim) { return reshape(data.squeeze(dim).shape().dims()); }
    public Tensor unsqueeze(int dim) { return reshape(data.unsqueeze(dim).shape().dims()); }
    public Tensor flatten() { return reshape(-1); }
    public Tensor flatten(int startDim, int endDim) { return reshape(data.flatten(startDim, endDim).shape().dims()); }

    public Tensor contiguous() {
        return data.isContiguous() ? this : new Movement.Contiguous().apply(this);
    }

    // ---------------------------------------------------------------- indexing

    public Tensor indexSelect(int dim, Tensor index) {
        return new Indexing.IndexSelect(dim, index.data).apply(this);
    }

    public Tensor indexAdd(int dim, Tensor index, Tensor src) {
        return new Indexing.IndexAdd(dim, index.data).apply(this, src);
    }

    public Tensor gather(int dim, Tensor index) {
        return new Indexing.Gather(dim, index.data).apply(this);
    }

    public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        return new Indexing.ScatterAdd(dim, index.data).apply(this, src);
    }

    /** Rows of a (V, D) weight picked by I32 ids of any shape: (*ids.shape, D). */
    public static Tensor embedding(Tensor weight, Tensor ids) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("embedding: weight must be (V, D), got shape " + weight.shape());
        }
        if (ids.dtype() != DType.I32) {
            throw new IllegalArgumentException("embedding: ids must be I32, got " + ids.dtype() + " " + ids.shape());
        }
        int[] out = java.util.Arrays.copyOf(ids.shape().dims(), ids.rank() + 1);
        out[ids.rank()] = weight.size(1);
        return weight.indexSelect(0, of(ids.data.reshape(-1))).reshape(out);
    }

    public static Tensor cat(int dim, Tensor... tensors) {
        return new Indexing.Cat(dim).apply(tensors);
    }

    public static Tensor stack(int dim, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("stack: expected a non-empty list of tensors");
        }
        int d = Shape.normalizeDim("stack", dim, tensors[0].rank() + 1);
        Tensor[] u = new Tensor[tensors.length];
        for (int i = 0; i < u.length; i++) {
            if (!tensors[i].shape().equals(tensors[0].shape())) {
                throw new IllegalArgumentException("stack: all tensors must have the same shape, but tensor " + i
                        + " has " + tensors[i].shape() + " and tensor 0 has " + tensors[0].shape());
            }
            u[i] = tensors[i].unsqueeze(d);
        }
        return cat(d, u);
    }

    public Tensor[] split(int splitSize, int dim) {
        NdArray[] parts = data.split(splitSize, dim);
        return narrowAll(parts, dim);
    }

    public Tensor[] chunk(int chunks, int dim) {
        return narrowAll(data.chunk(chunks, dim), dim);
    }

    private Tensor[] narrowAll(NdArray[] parts, int dim) {
        Tensor[] out = new Tensor[parts.length];
        int at = 0;
        for (int i = 0; i < parts.length; i++) {
            int n = parts[i].size(dim);
            out[i] = narrow(dim, at, n);
            at += n;
        }
        return out;
    }

    public Tensor tril(int diagonal) {
        return triangle(diagonal, true);
    }

    public Tensor triu(int diagonal) {
        return triangle(diagonal, false);
    }

    private Tensor triangle(int diagonal, boolean lower) {
        NdArray ones = NdArray.ones(DType.I32, shape().dims());
        NdArray mask = lower ? ones.tril(diagonal) : ones.triu(diagonal);
        return where(of(mask), this, scalar(dtype(), 0));
    }

    /** Values (differentiable) and I32 indices of the k largest or smallest entries along dim, sorted. */
    public Tensor[] topk(int k, int dim, boolean largest) {
        NdArray idx = data.topk(k, dim, largest)[1];
        return new Tensor[] {gather(dim, of(idx)), of(idx)};
    }

    public Tensor[] sort(int dim, boolean descending) {
        NdArray idx = data.sort(dim, descending)[1];
        return new Tensor[] {gather(dim, of(idx)), of(idx)};
    }

    @Override
    public String toString() {
        String s = data.toString();
        String extra = gradFn != null ? ", grad_fn=<" + gradFn.name() + ">" : requiresGrad ? ", requires_grad=True" : "";
        return extra.isEmpty() ? s : s.substring(0, s.length() - 1) + extra + ")";
    }
}
