package dev.jgrad.tensor;

import java.util.Locale;

/** PyTorch-style printing: aligned values, elided past {@link #THRESHOLD} elements, dtype when not F32. */
final class Formatter {
    static final int THRESHOLD = 1000;
    static final int EDGE = 3;

    private Formatter() {
    }

    static String format(NdArray a) {
        String suffix = "";
        if (a.numel() == 0) {
            suffix = ", size=" + a.shape();
        } else if (a.numel() > THRESHOLD) {
            suffix = ", size=" + a.shape();
        }
        if (a.dtype() != DType.F32) {
            suffix += ", dtype=" + a.dtype().torchName();
        }
        if (a.numel() == 0) {
            return "tensor([]" + suffix + ")";
        }
        boolean elide = a.numel() > THRESHOLD;
        // Pick one number style for all shown values, as PyTorch does.
        double maxAbs = 0;
        double minAbs = Double.POSITIVE_INFINITY;
        boolean integral = true;
        for (double v : shownValues(a, elide)) {
            if (Double.isFinite(v)) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
                if (v != 0) {
                    minAbs = Math.min(minAbs, Math.abs(v));
                }
                integral &= v == Math.rint(v);
            }
        }
        boolean sci = a.dtype().isFloating() && (maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs > 0)
                || (minAbs != Double.POSITIVE_INFINITY && maxAbs / minAbs > 1e3 && !integral));
        Style style = new Style(a.dtype(), integral, sci);
        int width = 0;
        for (double v : shownValues(a, elide)) {
            width = Math.max(width, style.text(v).length());
        }
        StringBuilder sb = new StringBuilder("tensor(");
        append(sb, a, new int[a.rank()], 0, style, width, elide, "tensor(".length());
        return sb.append(suffix).append(')').toString();
    }

    private record Style(DType dtype, boolean integral, boolean sci) {
        String text(double v) {
            if (Double.isNaN(v)) {
                return "nan";
            }
            if (Double.isInfinite(v)) {
                return v > 0 ? "inf" : "-inf";
            }
            if (dtype == DType.I32) {
                return Long.toString((long) v);
            }
            if (sci) {
                return String.format(Locale.ROOT, "%.4e", v);
            }
            if (integral) {
                return String.format(Locale.ROOT, "%.0f.", v);
            }
            return String.format(Locale.ROOT, "%.4f", v);
        }
    }

    private static double[] shownValues(NdArray a, boolean elide) {
        if (!elide) {
            return a.toDoubleArray();
        }
        // Collect just the edges of every dim.
        java.util.List<Double> out = new java.util.ArrayList<>();
        collect(a, new int[a.rank()], 0, out);
        double[] r = new double[out.size()];
        for (int k = 0; k < r.length; k++) {
            r[k] = out.get(k);
        }
        return r;
    }

    private static void collect(NdArray a, int[] idx, int dim, java.util.List<Double> out) {
        if (dim == a.rank()) {
            out.add(a.getDouble(idx));
            return;
        }
        int n = a.size(dim);
        for (int i = 0; i < n; i++) {
            if (n > 2 * EDGE && i == EDGE) {
                i = n - EDGE;
            }
            idx[dim] = i;
            collect(a, idx, dim + 1, out);
        }
    }

    private static void append(StringBuilder sb, NdArray a, int[] idx, int dim, Style style, int width,
                               boolean elide, int indent) {
        if (a.rank() == 0) {
            sb.append(style.text(a.item()));
            return;
        }
        if (dim == a.rank()) {
            String t = style.text(a.getDouble(idx));
            sb.append(" ".repeat(width - t.length())).append(t);
            return;
        }
        sb.append('[');
        int n = a.size(dim);
        boolean last = dim == a.rank() - 1;
        for (int i = 0; i < n; i++) {
            if (elide && n > 2 * EDGE && i == EDGE) {
                sb.append(last ? "..., " : "...,\n" + "\n".repeat(Math.max(a.rank() - dim - 2, 0))
                        + " ".repeat(indent + dim + 1));
                i = n - EDGE;
            }
            idx[dim] = i;
            append(sb, a, idx, dim + 1, style, width, elide, indent);
            if (i < n - 1) {
                sb.append(last ? ", " : ",\n" + "\n".repeat(a.rank() - dim - 2) + " ".repeat(indent + dim + 1));
            }
        }
        sb.append(']');
    }
}
