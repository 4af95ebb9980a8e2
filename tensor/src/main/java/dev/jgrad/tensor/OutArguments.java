package dev.jgrad.tensor;

/** The checks every out= argument goes through (elementwise ops and matmul). */
final class OutArguments {
    private OutArguments() {
    }

    /** An out= argument: exactly the result's shape and dtype, and no element written twice. */
    static void check(String op, NdArray out, Shape result, DType dtype) {
        java.util.Objects.requireNonNull(out, op + ": out is null");
        if (!out.shape().equals(result) || out.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": out is " + out.dtype() + " " + out.shape() + " but the result is "
                    + dtype + " " + result);
        }
        if (out.layout().hasExpandedDims()) {
            throw new IllegalArgumentException(op + ": out of shape " + out.shape()
                    + " has overlapping (expanded) elements; writing to it would be ambiguous");
        }
    }

    /**
     * Rejects an out that shares memory with an input, unless it is that input with the same
     * layout and the op reads each element before writing it ({@code sameLayoutOk}).
     */
    static void noOverlap(String op, NdArray out, NdArray input, boolean sameLayoutOk) {
        if (!out.sharesStorageWith(input) || (sameLayoutOk && out.layout().equals(input.layout()))) {
            return;
        }
        boolean disjoint = out.layout().span() <= input.layout().offset() || input.layout().span() <= out.layout().offset();
        if (!disjoint && out.numel() > 0 && input.numel() > 0) {
            throw new IllegalArgumentException(op + ": out " + out.shape() + " overlaps an input of shape "
                    + input.shape() + " in memory" + (sameLayoutOk ? " with a different layout" : "")
                    + "; the result would depend on the order elements are written");
        }
    }
}
