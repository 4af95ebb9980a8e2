package dev.jgrad.tensor;

/** Shape rules of {@code matmul}, ahead of the backend's batched kernel. */
final class LinearAlgebra {
    private LinearAlgebra() {
    }

    /** {@code a @ b}, into {@code out} when it is not null. */
    static NdArray matmul(NdArray a, NdArray b, NdArray out) {
        NdArray.sameDtype("matmul", a, b);
        if (a.rank() == 0 || b.rank() == 0) {
            throw new IllegalArgumentException("matmul: both arguments need at least 1 dimension, got shapes "
                    + a.shape() + " and " + b.shape());
        }
        // 1-D operands become a row (left) or a column (right), and that dim is dropped after.
        NdArray a2 = a.rank() == 1 ? a.unsqueeze(0) : a;
        NdArray b2 = b.rank() == 1 ? b.unsqueeze(1) : b;
        int k1 = a2.size(-1);
        int k2 = b2.size(-2);
        if (k1 != k2) {
            throw new IllegalArgumentException("matmul: shapes " + a.shape() + " and " + b.shape()
                    + " cannot be multiplied (" + k1 + " != " + k2 + ")");
        }
        Shape batchA = batchShape(a2);
        Shape batchB = batchShape(b2);
        Shape batch = Shape.broadcast("matmul", batchA, batchB);
        int[] bd = batch.dims();
        int m = a2.size(-2);
        int n = b2.size(-1);
        NdArray ae = a2.broadcastTo(Shape.of(concat(bd, m, k1)));
        NdArray be = b2.broadcastTo(Shape.of(concat(bd, k1, n)));
        if (out != null) {
            // The result's shape: the broadcast product's, less the dims 1-D operands added.
            int[] full = concat(bd, m, n);
            int rowDim = a.rank() == 1 ? bd.length : -1;
            int colDim = b.rank() == 1 ? bd.length + 1 : -1;
            Shape result = Shape.of(java.util.stream.IntStream.range(0, full.length)
                    .filter(i -> i != rowDim && i != colDim).map(i -> full[i]).toArray());
            OutArguments.check("matmul", out, result, a.dtype());
            OutArguments.noOverlap("matmul", out, a, false);
            OutArguments.noOverlap("matmul", out, b, false);
            if (out.isContiguous()) {
                NdArray.backend().matmulInto(ae, be, out.view(full), false);
            } else {
                NdArray.backend().copyInto(out, NdArray.backend().matmul(ae, be).view(result.dims()));
            }
            return out;
        }
        NdArray r = NdArray.backend().matmul(ae, be);
        if (a.rank() == 1) {
            r = r.squeeze(-2);
        }
        if (b.rank() == 1) {
            r = r.squeeze(-1);
        }
        return r;
    }

    static PackedMatrix pack(NdArray b) {
        if (b.rank() != 2) {
            throw new IllegalArgumentException("pack: expects a 2-D matrix, got shape " + b.shape());
        }
        return NdArray.backend().pack(b);
    }

    /** {@code a @ b} for a packed (K, N) b, a of shape (..., K); into {@code out} when it is not null. */
    static NdArray matmul(NdArray a, PackedMatrix b, NdArray out) {
        if (a.rank() == 0 || a.size(-1) != b.rows() || a.dtype() != b.dtype()) {
            throw new IllegalArgumentException("matmul: " + a.dtype() + " " + a.shape() + " times packed "
                    + b.dtype() + " (" + b.rows() + ", " + b.cols() + "): expects (..., " + b.rows()
                    + ") of the same dtype");
        }
        int[] dims = a.shape().dims();
        int rows = Shape.of(java.util.Arrays.copyOf(dims, dims.length - 1)).numel();
        dims[dims.length - 1] = b.cols();
        NdArray a2 = a.reshape(rows, b.rows());                                   // leading dims as rows
        if (out != null) {
            OutArguments.check("matmul", out, Shape.of(dims), a.dtype());
            OutArguments.noOverlap("matmul", out, a, false);
            if (out.isContiguous()) {
                NdArray.backend().matmulInto(a2, b, out.view(rows, b.cols()), false);
                return out;
            }
        }
        NdArray r = NdArray.zeros(a.dtype(), rows, b.cols());
        NdArray.backend().matmulInto(a2, b, r, false);
        if (out == null) {
            return r.view(dims);
        }
        NdArray.backend().copyInto(out, r.view(dims));
        return out;
    }

    /** addmm into {@code out} when it is not null (checked as every out= argument is), else into a new array. */
    static NdArray addmm(NdArray input, NdArray mat1, NdArray mat2, NdArray out) {
        NdArray.sameDtype("addmm", mat1, mat2);
        NdArray.sameDtype("addmm", input, mat1);
        if (mat1.rank() != 2 || mat2.rank() != 2 || mat1.size(1) != mat2.size(0)) {
            throw new IllegalArgumentException("addmm: expects 2-D (n, m) and (m, p) matrices, got " + mat1.shape()
                    + " and " + mat2.shape());
        }
        Shape result = Shape.of(mat1.size(0), mat2.size(1));
        if (!input.shape().broadcastsTo(result)) {
            throw new IllegalArgumentException("addmm: input of shape " + input.shape()
                    + " does not broadcast to the product's shape " + result);
        }
        if (out == null) {
            out = NdArray.empty(mat1.dtype(), result);
        } else {
            OutArguments.check("addmm", out, result, mat1.dtype());
            OutArguments.noOverlap("addmm", out, input, false);
            OutArguments.noOverlap("addmm", out, mat1, false);
            OutArguments.noOverlap("addmm", out, mat2, false);
            if (!out.isContiguous()) {
                // The product accumulates onto a contiguous array; a strided out gets a copy.
                return out.copyFrom(addmm(input, mat1, mat2, null));
            }
        }
        NdArray.backend().addmmInto(input, mat1, mat2, out);
        return out;
    }

    private static Shape batchShape(NdArray x) {
        int[] d = x.shape().dims();
        return Shape.of(java.util.Arrays.copyOf(d, d.length - 2));
    }

    private static int[] concat(int[] batch, int r, int c) {
        int[] out = java.util.Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = r;
        out[batch.length + 1] = c;
        return out;
    }
}
