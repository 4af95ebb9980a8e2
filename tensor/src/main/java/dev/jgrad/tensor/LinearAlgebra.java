package dev.jgrad.tensor;

/** Shape rules of {@code matmul}, ahead of the backend's batched kernel. */
final class LinearAlgebra {
    private LinearAlgebra() {
    }

    static NdArray matmul(NdArray a, NdArray b) {
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
        NdArray out = NdArray.backend().matmul(ae, be);
        if (a.rank() == 1) {
            out = out.squeeze(-2);
        }
        if (b.rank() == 1) {
            out = out.squeeze(-1);
        }
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
