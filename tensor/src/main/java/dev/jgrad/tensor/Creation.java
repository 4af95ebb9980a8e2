package dev.jgrad.tensor;

import java.lang.reflect.Array;

/** Factories behind the static creation methods of {@link NdArray}. */
final class Creation {
    private Creation() {
    }

    /** {@link NdArray#empty}: only F32 storage is ever recycled, so only there is a fill skipped. */
    static NdArray empty(DType dtype, Shape shape) {
        if (dtype == DType.F32) {
            return NdArray.wrap(ArrayPool.emptyF32(shape.numel()), Layout.contiguous(shape));
        }
        NdArray out = NdArray.zeros(dtype, shape);
        if (dtype == DType.F64 && ArrayPool.POISON_EMPTY) {
            java.util.Arrays.fill(out.storageF64(), Double.NaN);
        }
        return out;
    }

    static NdArray full(DType dtype, double value, Shape shape) {
        NdArray out = NdArray.zeros(dtype, shape);
        if (value == 0) {
            return out;
        }
        switch (dtype) {
            case F32 -> java.util.Arrays.fill(out.storageF32(), (float) value);
            case F64 -> java.util.Arrays.fill(out.storageF64(), value);
            case I32 -> {
                if (value != Math.rint(value) || Math.abs(value) > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("full: value " + value + " is not an int32");
                }
                java.util.Arrays.fill(out.storageI32(), (int) value);
            }
        }
        return out;
    }

    static NdArray arange(DType dtype, double start, double end, double step) {
        if (step == 0 || Double.isNaN(step) || Double.isInfinite(start) || Double.isInfinite(end)) {
            throw new IllegalArgumentException("arange: invalid start " + start + ", end " + end + ", step " + step);
        }
        if ((end - start) / step < 0) {
            throw new IllegalArgumentException("arange: step " + step + " goes away from end (start " + start
                    + ", end " + end + ")");
        }
        double count = Math.ceil((end - start) / step);
        if (count > Shape.MAX_NUMEL) {
            throw new IllegalArgumentException("arange: " + count + " elements are more than a Java array can hold");
        }
        int n = (int) count;
        NdArray out = NdArray.zeros(dtype, n);
        for (int k = 0; k < n; k++) {
            set(out, k, start + k * step);
        }
        return out;
    }

    static NdArray linspace(DType dtype, double start, double end, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("linspace: number of steps must be non-negative, got " + steps);
        }
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException("linspace: needs a floating dtype, got " + dtype);
        }
        NdArray out = NdArray.zeros(dtype, steps);
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        int half = steps / 2;
        for (int k = 0; k < steps; k++) {
            // Like PyTorch, fill the second half from the end so the last value is exactly `end`.
            set(out, k, k < half ? start + k * step : end - (steps - 1 - k) * step);
        }
        return out;
    }

    static NdArray eye(DType dtype, int n, int m) {
        if (n < 0 || m < 0) {
            throw new IllegalArgumentException("eye: negative size (" + n + ", " + m + ")");
        }
        NdArray out = NdArray.zeros(dtype, n, m);
        for (int k = 0; k < Math.min(n, m); k++) {
            set(out, k * m + k, 1);
        }
        return out;
    }

    /** Writes {@code v} at a flat position of a fresh contiguous array. */
    static void set(NdArray a, int pos, double v) {
        switch (a.dtype()) {
            case F32 -> a.storageF32()[pos] = (float) v;
            case F64 -> a.storageF64()[pos] = v;
            case I32 -> a.storageI32()[pos] = (int) v;
        }
    }

    static NdArray fromArray(Object java) {
        if (java == null || !java.getClass().isArray()) {
            throw new IllegalArgumentException("fromArray: expected a Java array, got "
                    + (java == null ? "null" : java.getClass().getSimpleName()));
        }
        Class<?> leaf = java.getClass();
        int rank = 0;
        while (leaf.isArray()) {
            leaf = leaf.getComponentType();
            rank++;
        }
        // Sizes come from the first element at each depth; an empty array makes deeper sizes 0
        // (new float[0][3] has shape (0, 0): Java keeps no inner length for it).
        int[] shape = new int[rank];
        Object probe = java;
        for (int d = 0; d < rank; d++) {
            shape[d] = probe == null ? 0 : Array.getLength(probe);
            probe = d + 1 < rank && shape[d] > 0 ? Array.get(probe, 0) : null;
        }
        DType dtype;
        if (leaf == float.class) {
            dtype = DType.F32;
        } else if (leaf == double.class) {
            dtype = DType.F64;
        } else if (leaf == int.class) {
            dtype = DType.I32;
        } else {
            throw new IllegalArgumentException("fromArray: unsupported element type " + leaf.getSimpleName()
                    + " (use float, double or int arrays)");
        }
        NdArray out = NdArray.zeros(dtype, shape);
        int[] pos = {0};
        fill(java, 0, shape, out, pos);
        return out;
    }

    private static void fill(Object arr, int depth, int[] shape, NdArray out, int[] pos) {
        int n = Array.getLength(arr);
        if (n != shape[depth]) {
            throw new IllegalArgumentException("fromArray: ragged array: length " + n + " at depth " + depth
                    + ", expected " + shape[depth]);
        }
        if (depth == shape.length - 1) {
            switch (out.dtype()) {
                case F32 -> System.arraycopy((float[]) arr, 0, out.storageF32(), pos[0], n);
                case F64 -> System.arraycopy((double[]) arr, 0, out.storageF64(), pos[0], n);
                case I32 -> System.arraycopy((int[]) arr, 0, out.storageI32(), pos[0], n);
            }
            pos[0] += n;
            return;
        }
        for (int k = 0; k < n; k++) {
            Object child = Array.get(arr, k);
            if (child == null) {
                throw new IllegalArgumentException("fromArray: null row at depth " + (depth + 1));
            }
            fill(child, depth + 1, shape, out, pos);
        }
    }

    static NdArray rand(Generator gen, DType dtype, Shape shape, boolean normal) {
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException((normal ? "randn" : "rand") + ": needs a floating dtype, got " + dtype);
        }
        NdArray out = NdArray.zeros(dtype, shape);
        int n = shape.numel();
        if (dtype == DType.F32) {
            float[] d = out.storageF32();
            for (int k = 0; k < n; k++) {
                d[k] = normal ? (float) gen.nextGaussian() : gen.nextFloat();
            }
        } else {
            double[] d = out.storageF64();
            for (int k = 0; k < n; k++) {
                d[k] = normal ? gen.nextGaussian() : gen.nextDouble();
            }
        }
        return out;
    }

    static NdArray randint(Generator gen, int low, int high, Shape shape) {
        if (high <= low) {
            throw new IllegalArgumentException("randint: empty range [" + low + ", " + high + ")");
        }
        long span = (long) high - low;
        if (span > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("randint: range [" + low + ", " + high + ") is wider than 2^31-1");
        }
        NdArray out = NdArray.zeros(DType.I32, shape);
        int[] d = out.storageI32();
        for (int k = 0; k < d.length; k++) {
            d[k] = low + gen.nextInt((int) span);
        }
        return out;
    }
}
