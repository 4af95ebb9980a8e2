package dev.jgrad.tensor.backend;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.PackedMatrix;
import java.util.List;

/**
 * The primitive kernels every backend provides. {@link NdArray} validates shapes, dims and
 * dtypes and computes result shapes before it calls in, so a backend sees only well-formed
 * requests and never has to produce error messages about user input. Inputs may be any
 * strided view (including stride-0 broadcast dims); results are fresh contiguous arrays unless
 * a method says otherwise.
 */
public interface Backend {
    /** A short name, e.g. "cpu". */
    String name();

    /** Higher wins when several providers are on the module path. */
    int priority();

    /** {@code op(x)} elementwise, same dtype (COPY gives a contiguous copy). */
    NdArray unary(UnaryOp op, NdArray x);

    /**
     * As {@link #unary}, written into {@code out}: x's shape and dtype, no expanded dims, and no
     * storage shared with x unless it is x itself with the same layout (in place). The default
     * computes a new array and copies it.
     */
    default void unaryInto(UnaryOp op, NdArray x, NdArray out) {
        copyInto(out, unary(op, x));
    }

    /** {@code op(a, b)} with NumPy broadcasting; both have the same dtype. Comparisons give I32. */
    NdArray binary(BinaryOp op, NdArray a, NdArray b);

    /**
     * As {@link #binary}, written into {@code out}: it has the broadcast shape and the result
     * dtype, no expanded dims, and shares no storage with a or b unless it is one of them with
     * the same layout (in place).
     */
    void binaryInto(BinaryOp op, NdArray a, NdArray b, NdArray out);

    /** {@code cond != 0 ? a : b}, all three broadcast together; cond is I32. */
    NdArray where(NdArray cond, NdArray a, NdArray b);

    /** Reduces the dims flagged in {@code reduce} (length = rank); result keeps them as size 1. */
    NdArray reduce(ReduceOp op, NdArray x, boolean[] reduce);

    /** A contiguous copy converted to {@code dtype}. */
    NdArray convert(NdArray x, DType dtype);

    /** Writes {@code src} (already broadcast to dst's shape, same dtype) into the view {@code dst}. */
    void copyInto(NdArray dst, NdArray src);

    /** Adds {@code src} (already broadcast to dst's shape, same dtype) into the view {@code dst}, in place. */
    void addInto(NdArray dst, NdArray src);

    /** Batched matrix product of (..., M, K) and (..., K, N); batch dims already broadcast equal. */
    NdArray matmul(NdArray a, NdArray b);

    /**
     * As {@link #matmul}, written into (or, with {@code accumulate}, added to) {@code out}: a
     * contiguous (..., M, N) array of the same dtype that shares no storage with a or b.
     */
    void matmulInto(NdArray a, NdArray b, NdArray out, boolean accumulate);

    /**
     * {@code out = input + a b} for 2-D a (M, K) and b (K, N), {@code input} broadcast to out's
     * (M, N) (a Linear's bias), out as for {@link #matmulInto}. The default writes the broadcast
     * input into out and accumulates the product; a backend may write the bias block by block as
     * its product reaches each block, as long as the result has the same bits.
     */
    default void addmmInto(NdArray input, NdArray a, NdArray b, NdArray out) {
        copyInto(out, input.broadcastTo(out.shape()));
        matmulInto(a, b, out, true);
    }

    /**
     * A copy of the 2-D {@code b} (K, N) for repeated products (see {@link PackedMatrix}). This
     * default keeps a plain contiguous copy; a backend with a faster layout overrides both this
     * and {@link #matmulInto(NdArray, PackedMatrix, NdArray, boolean)}.
     */
    default PackedMatrix pack(NdArray b) {
        return new PackedMatrix(b.dtype(), b.size(0), b.size(1), b.copy());
    }

    /**
     * {@code out} (M, N) = a (M, K) x b, or += with {@code accumulate}: a 2-D, out contiguous
     * (M, N), same dtype, shapes checked by the caller. Bit-identical to the product with a
     * contiguous copy of the matrix b was packed from.
     */
    default void matmulInto(NdArray a, PackedMatrix b, NdArray out, boolean accumulate) {
        matmulInto(a, (NdArray) b.data(), out, accumulate);
    }

    /** Softmax (or log-softmax) along {@code dim}, max-subtracted. */
    NdArray softmax(NdArray x, int dim, boolean log);

    /** Inclusive prefix sum along {@code dim}. */
    NdArray cumsum(NdArray x, int dim);

    /** {@code out[i][j][k] = x[index[i][j][k]][j][k]} for dim 0 (PyTorch gather); index is I32, checked. */
    NdArray gather(NdArray x, int dim, NdArray index);

    /** A copy of {@code base} with {@code src} added at the gathered positions (PyTorch scatter_add). */
    NdArray scatterAdd(NdArray base, int dim, NdArray index, NdArray src);

    /** Rows (slices along dim) of {@code x} picked by a 1-D I32 index. */
    NdArray indexSelect(NdArray x, int dim, NdArray index);

    /** A copy of {@code base} with slices of {@code src} added at a 1-D I32 index along dim (PyTorch index_add). */
    NdArray indexAdd(NdArray base, int dim, NdArray index, NdArray src);

    /** Stable sort along {@code dim}: values and I32 indices (NaN sorts as the largest value). */
    NdArray[] sort(NdArray x, int dim, boolean descending);

    /**
     * One fused AdamW update in place: {@code param}, {@code m} and {@code v} are overwritten.
     * All four arrays are contiguous F32 of one shape (the caller checks).
     */
    void adamwStep(NdArray param, NdArray grad, NdArray m, NdArray v, AdamStep step);

    /**
     * One fused SGD update in place: {@code param} and, with momentum, {@code velocity} are
     * overwritten; {@code velocity} is null without momentum. All arrays are contiguous F32 of one
     * shape (the caller checks).
     */
    void sgdStep(NdArray param, NdArray grad, NdArray velocity, SgdStep step);

    /**
     * Fused softmax cross-entropy over the rows of contiguous F32 (N, V) logits: writes
     * {@code (softmax(row) - onehot(target)) * gradScale} into {@code dlogits} (zeros for rows
     * whose target is {@code ignoreIndex}) and returns the summed loss of the other rows, each
     * {@code logsumexp(row) - row[target]}. The loss passes its reduction's 1/N as gradScale, so
     * that a backward pass from the loss itself (upstream gradient 1) reads the gradient as it
     * is. Targets are in range (the caller checks).
     */
    double softmaxCrossEntropy(NdArray logits, int[] targets, int ignoreIndex, float gradScale, NdArray dlogits);

    /**
     * The input gradient of tanh or sigmoid from its output {@code y} and the upstream gradient
     * {@code g} (same shape and dtype), into {@code dx} (that shape, contiguous, may be g's own
     * storage): tanh g (1 - y^2), sigmoid (g y) (1 - y), each operation rounded in that order,
     * so every backend and path gives the composite's bits. The default runs the composite's
     * ops in place on dx; a backend fuses them into one pass.
     */
    default void activationBackward(UnaryOp op, NdArray y, NdArray g, NdArray dx) {
        NdArray one = NdArray.scalar(y.dtype(), 1);
        switch (op) {
            case TANH -> {
                y.mul(y, dx);
                one.sub(dx, dx);
                dx.mul(g, dx);
            }
            case SIGMOID -> {
                NdArray d = g.mul(y);
                d.mul(one.sub(y), dx);
            }
            default -> throw new IllegalArgumentException("activationBackward: " + op + " is not tanh or sigmoid");
        }
    }

    /**
     * GELU of contiguous F32 {@code x} into {@code y} and GELU'(x) into {@code dydx} in one pass
     * (all three the same shape, contiguous): the backward's factor made while x is in cache and
     * the exp and erfc it shares with the forward are at hand. Bit-identical to
     * {@code unary(GELU, x)} and {@code unary(GELU_GRAD, x)}.
     */
    void geluWithGrad(NdArray x, NdArray y, NdArray dydx);

    /**
     * LayerNorm over the last dim of contiguous F32 (R, C) {@code x}: writes
     * {@code y = (x - mean) * rstd * w (+ b)} and the per-row {@code mean} and {@code rstd}
     * (both (R)) that the backward needs. {@code b} may be null.
     */
    void layerNormForward(NdArray x, NdArray w, NdArray b, double eps, NdArray y, NdArray mean, NdArray rstd);

    /**
     * LayerNorm's backward from the saved mean and rstd: writes dx (R, C), dw (C) and, when not
     * null, db (C). All contiguous F32.
     */
    void layerNormBackward(NdArray dy, NdArray x, NdArray w, NdArray mean, NdArray rstd, NdArray dx, NdArray dw,
                           NdArray db);

    /**
     * Causal scaled-dot-product attention over F32 q (B, nh, Tq, hs), k and v (B, nh, Tk, hs),
     * Tq <= Tk, query i seeing keys up to i + Tk - Tq. The inputs may be any strided views (the
     * heads of a qkv projection, a prefix of a preallocated KV cache). Writes the output into out,
     * any (B, nh, Tq, hs) view with a unit-stride last dim (a transposed (B, Tq, nh, hs) array
     * lets the caller merge the heads without a copy), and each query row's log-sum-exp of its
     * scaled scores into lse, contiguous (B, nh, Tq), from which the backward recomputes the
     * probabilities: an implementation need not hold the (Tq, Tk) scores of a slice at once, and
     * the CPU one does not.
     */
    void causalAttentionForward(NdArray q, NdArray k, NdArray v, double scale, NdArray out, NdArray lse);

    /**
     * The backward of {@link #causalAttentionForward} from its output and log-sum-exp; q, k, v
     * and the output gradient g may be strided views; dq, dk, dv, views with a unit-stride last dim
     * as out is, are overwritten.
     */
    void causalAttentionBackward(NdArray q, NdArray k, NdArray v, NdArray out, NdArray lse, NdArray g, double scale,
                                 NdArray dq, NdArray dk, NdArray dv);

    /**
     * One time step of an LSTM cell over F32 rows, gates in PyTorch's order (input, forget,
     * cell, output): with z = gates + pre (both (B, 4H)), writes act = (sigmoid(z_i),
     * sigmoid(z_f), tanh(z_g), sigmoid(z_o)) (B, 4H), c = f cPrev + i g, tanhC = tanh(c) and
     * h = o tanhC (each (B, H)). Every array is 2-D with a unit column stride and any row stride
     * (one step's rows of a (B, T, .) array); act may be gates itself, nothing else may overlap.
     * The caller checks the shapes.
     */
    void lstmCellForward(NdArray gates, NdArray pre, NdArray cPrev, NdArray act, NdArray c, NdArray tanhC,
                         NdArray h);

    /**
     * The backward of {@link #lstmCellForward} for one step, from what it saved (act, tanhC) and
     * its cell input cPrev: gh and gc are the gradients of the step's outputs h and c from above,
     * dh and dcNext those flowing back from step s + 1 (zeros at the last step). Writes the
     * gradient of z into dGates (B, 4H) and that of cPrev, dc f, into dcOut (B, H), which may be
     * dcNext itself. Layouts as in the forward.
     */
    void lstmCellBackward(NdArray act, NdArray tanhC, NdArray cPrev, NdArray gh, NdArray gc, NdArray dh,
                          NdArray dcNext, NdArray dGates, NdArray dcOut);

    /** Sum of squares of all elements, accumulated in the array's precision lane by lane. */
    double sumOfSquares(NdArray x);

    /**
     * The sum over {@code xs} of {@link #sumOfSquares(NdArray)}, added in list order, so a
     * backend that computes the terms in parallel returns the same bits as this loop.
     */
    default double sumOfSquares(List<NdArray> xs) {
        double s = 0;
        for (NdArray x : xs) {
            s += sumOfSquares(x);
        }
        return s;
    }
}
