package dev.jgrad.tensor;

/**
 * A matrix B (K, N) copied once into the layout its backend's products read fastest, for many
 * products A x B with the same B: an LSTM multiplies its recurrent weight by the hidden state at
 * every time step. Read in place, each such product walks B's rows a few columns at a time, a
 * stride of N floats apart, which the hardware prefetcher cannot follow once B outgrows L2
 * (W_hh at H = 384 is 2.4 MB); the packed copy is read front to back. Made by
 * {@link NdArray#pack()}, which copies: later writes to the source do not show. Products through
 * it ({@link NdArray#matmul(PackedMatrix)}) are bit-identical to products with a contiguous copy
 * of the source, and so with the source itself, except where one or two rows meet a transposed
 * source: matmul takes dot products there, summed in another order (last bits only).
 */
public final class PackedMatrix {
    private final DType dtype;
    private final int rows;
    private final int cols;
    private final Object data;

    /** For backends: {@code data} is in whatever layout the backend that made it reads. */
    public PackedMatrix(DType dtype, int rows, int cols, Object data) {
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
        this.data = data;
    }

    public DType dtype() {
        return dtype;
    }

    /** K, the source's row count. */
    public int rows() {
        return rows;
    }

    /** N, the source's column count. */
    public int cols() {
        return cols;
    }

    /** The backend's copy of the values. */
    public Object data() {
        return data;
    }

    @Override
    public String toString() {
        return "PackedMatrix(" + dtype + ", " + rows + " x " + cols + ")";
    }
}
