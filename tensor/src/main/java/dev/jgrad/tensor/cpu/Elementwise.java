package dev.jgrad.tensor.cpu;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Layout;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.backend.BinaryOp;
import dev.jgrad.tensor.backend.UnaryOp;

/**
 * The CPU backend's elementwise ops: unary, binary (with broadcasting), where, dtype conversion
 * and copies. Operands are walked row by row by {@link Strided}, whose contiguous runs go to the
 * SIMD kernels (F32) or the scalar twins; small contiguous work skips the planner. A destination
 * of these ops is always written element by element in the order it is read, so an out that is
 * one of the inputs with the same layout is safe.
 */
final class Elementwise {
    private Elementwise() {
    }

    /**
     * Elementwise work of at most this many elements that the row planner would hand, as one
     * task, to the calling thread anyway: when its operands are contiguous it goes straight to
     * the kernel. The plan, its row walk and the pool call cost about 250 ns an op (session 11),
     * more than the kernel for the vectors of one decoding step.
     */
    private static boolean small(Shape shape) {
        return shape.numel() <= Strided.GRAIN;
    }

    /**
     * The run {@code src} repeats when broadcast to {@code shape}: its elements are one
     * contiguous run over the trailing dims and every leading dim has stride 0 (a bias row
     * broadcast over rows). 0 when it is some other layout; the whole numel when src has the
     * shape itself and is contiguous.
     */
    private static int repeatedRun(Layout src, Shape shape) {
        int[] d = shape.dims();
        int[] s = src.strides();
        int run = 1;
        int i = d.length - 1;
        for (; i >= 0; i--) {
            if (d[i] != 1 && s[i] != run) {
                break;
            }
            run *= d[i];
        }
        for (; i >= 0; i--) {
            if (d[i] != 1 && s[i] != 0) {
                return 0;
            }
        }
        return run;
    }

    static NdArray unary(UnaryOp op, NdArray x, boolean simd) {
        NdArray out = NdArray.empty(x.dtype(), x.shape());
        unaryInto(op, x, out, simd);
        return out;
    }

    static void unaryInto(UnaryOp op, NdArray x, NdArray out, boolean simd) {
        if (!out.isContiguous()) {
            // The row kernels write unit-stride runs; a strided destination gets a copy.
            copyInto(out, unary(op, x, simd));
            return;
        }
        if (simd && x.dtype() == DType.F32 && small(x.shape()) && x.isContiguous()) {
            SimdKernels.unary(op, x.storageF32(), x.layout().offset(), 1, out.storageF32(), out.layout().offset(),
                    x.numel());
            return;
        }
        Strided plan = Strided.plan(x.shape(), out.layout(), x.layout());
        int sx = plan.innerStride(1);
        boolean vec = simd;
        switch (x.dtype()) {
            case F32 -> {
                float[] o = out.storageF32();
                float[] in = x.storageF32();
                plan.forEachRow((off, n) -> {
                    if (vec) {
                        SimdKernels.unary(op, in, off[1], sx, o, off[0], n);
                    } else {
                        ScalarKernels.unaryF32(op, in, off[1], sx, o, off[0], n);
                    }
                });
            }
            case F64 -> {
                double[] o = out.storageF64();
                double[] in = x.storageF64();
                plan.forEachRow((off, n) -> ScalarKernels.unaryF64(op, in, off[1], sx, o, off[0], n));
            }
            case I32 -> {
                int[] o = out.storageI32();
                int[] in = x.storageI32();
                plan.forEachRow((off, n) -> ScalarKernels.unaryI32(op, in, off[1], sx, o, off[0], n));
            }
        }
    }

    static NdArray binary(BinaryOp op, NdArray a, NdArray b, boolean simd) {
        Shape shape = Shape.broadcast(op.label(), a.shape(), b.shape());
        NdArray out = NdArray.empty(op.isComparison() ? DType.I32 : a.dtype(), shape);
        binaryInto(op, a, b, out, simd);
        return out;
    }

    static void binaryInto(BinaryOp op, NdArray a, NdArray b, NdArray out, boolean simd) {
        Shape shape = out.shape();
        if (simd && a.dtype() == DType.F32 && !op.isComparison() && small(shape) && out.isContiguous()
                && a.shape().equals(shape) && a.isContiguous() && binaryRuns(op, a, b, out)) {
            return;
        }
        // An out that is one of the inputs with the same layout is safe: every element is read
        // before it is written, by the same row loop.
        Strided plan = Strided.plan(shape, out.layout(), a.layout().expand(shape), b.layout().expand(shape));
        if (plan.innerStride(0) != 1) {
            // The row kernels write unit-stride runs; a strided destination gets a copy.
            copyInto(out, binary(op, a, b, simd));
            return;
        }
        int sa = plan.innerStride(1);
        int sb = plan.innerStride(2);
        boolean vec = simd;
        switch (a.dtype()) {
            case F32 -> {
                float[] x = a.storageF32();
                float[] y = b.storageF32();
                if (op.isComparison()) {
                    int[] o = out.storageI32();
                    plan.forEachRow((off, n) -> ScalarKernels.compareF32(op, x, off[1], sa, y, off[2], sb, o, off[0], n));
                } else {
                    float[] o = out.storageF32();
                    plan.forEachRow((off, n) -> {
                        if (vec) {
                            SimdKernels.binary(op, x, off[1], sa, y, off[2], sb, o, off[0], n);
                        } else {
                            ScalarKernels.binaryF32(op, x, off[1], sa, y, off[2], sb, o, off[0], n);
                        }
                    });
                }
            }
            case F64 -> {
                double[] x = a.storageF64();
                double[] y = b.storageF64();
                if (op.isComparison()) {
                    int[] o = out.storageI32();
                    plan.forEachRow((off, n) -> ScalarKernels.compareF64(op, x, off[1], sa, y, off[2], sb, o, off[0], n));
                } else {
                    double[] o = out.storageF64();
                    plan.forEachRow((off, n) -> ScalarKernels.binaryF64(op, x, off[1], sa, y, off[2], sb, o, off[0], n));
                }
            }
            case I32 -> {
                int[] x = a.storageI32();
                int[] y = b.storageI32();
                int[] o = out.storageI32();
                if (op.isComparison()) {
                    plan.forEachRow((off, n) -> ScalarKernels.compareI32(op, x, off[1], sa, y, off[2], sb, o, off[0], n));
                } else {
                    plan.forEachRow((off, n) -> ScalarKernels.binaryI32(op, x, off[1], sa, y, off[2], sb, o, off[0], n));
                }
            }
        }
    }

    private static Object storage(NdArray a) {
        return switch (a.dtype()) {
            case F32 -> a.storageF32();
            case F64 -> a.storageF64();
            case I32 -> a.storageI32();
        };
    }

    /**
     * The small contiguous F32 cases of {@link #binaryInto} without the planner: b of the
     * result's shape, a single value, or a row repeated over leading dims (a bias). The same
     * kernel calls over the same runs as the planner makes, so the same bits. False when b is
     * laid out any other way.
     */
    private static boolean binaryRuns(BinaryOp op, NdArray a, NdArray b, NdArray out) {
        int n = out.numel();
        float[] x = a.storageF32();
        float[] y = b.storageF32();
        float[] o = out.storageF32();
        int ao = a.layout().offset();
        int bo = b.layout().offset();
        int oo = out.layout().offset();
        if (b.numel() == 1) {
            SimdKernels.binary(op, x, ao, 1, y, bo, 0, o, oo, n);
            return true;
        }
        int run = repeatedRun(b.layout().expand(out.shape()), out.shape());
        if (run == 0) {
            return false;
        }
        for (int r = 0; r < n; r += run) {
            SimdKernels.binary(op, x, ao + r, 1, y, bo, 1, o, oo + r, run);
        }
        return true;
    }

    static NdArray where(NdArray cond, NdArray a, NdArray b) {
        Shape shape = Shape.broadcast("where", Shape.broadcast("where", cond.shape(), a.shape()), b.shape());
        NdArray out = NdArray.empty(a.dtype(), shape);
        Strided plan = Strided.plan(shape, out.layout(), cond.layout().expand(shape), a.layout().expand(shape),
                b.layout().expand(shape));
        int sc = plan.innerStride(1);
        int sa = plan.innerStride(2);
        int sb = plan.innerStride(3);
        int[] c = cond.storageI32();
        switch (a.dtype()) {
            case F32 -> {
                float[] x = a.storageF32();
                float[] y = b.storageF32();
                float[] o = out.storageF32();
                plan.forEachRow((off, n) -> {
                    for (int i = 0; i < n; i++) {
                        o[off[0] + i] = c[off[1] + i * sc] != 0 ? x[off[2] + i * sa] : y[off[3] + i * sb];
                    }
                });
            }
            case F64 -> {
                double[] x = a.storageF64();
                double[] y = b.storageF64();
                double[] o = out.storageF64();
                plan.forEachRow((off, n) -> {
                    for (int i = 0; i < n; i++) {
                        o[off[0] + i] = c[off[1] + i * sc] != 0 ? x[off[2] + i * sa] : y[off[3] + i * sb];
                    }
                });
            }
            case I32 -> {
                int[] x = a.storageI32();
                int[] y = b.storageI32();
                int[] o = out.storageI32();
                plan.forEachRow((off, n) -> {
                    for (int i = 0; i < n; i++) {
                        o[off[0] + i] = c[off[1] + i * sc] != 0 ? x[off[2] + i * sa] : y[off[3] + i * sb];
                    }
                });
            }
        }
        return out;
    }

    static NdArray convert(NdArray x, DType dtype) {
        NdArray out = NdArray.empty(dtype, x.shape());
        Strided plan = Strided.plan(x.shape(), out.layout(), x.layout());
        int sx = plan.innerStride(1);
        plan.forEachRow((off, n) -> {
            for (int i = 0; i < n; i++) {
                int src = off[1] + i * sx;
                double v = switch (x.dtype()) {
                    case F32 -> x.storageF32()[src];
                    case F64 -> x.storageF64()[src];
                    case I32 -> x.storageI32()[src];
                };
                switch (dtype) {
                    case F32 -> out.storageF32()[off[0] + i] = (float) v;
                    case F64 -> out.storageF64()[off[0] + i] = v;
                    case I32 -> out.storageI32()[off[0] + i] = (int) v;
                }
            }
        });
        return out;
    }

    static void copyInto(NdArray dst, NdArray src) {
        if (small(dst.shape()) && dst.isContiguous()) {
            // A contiguous source, or a row broadcast over leading dims (addmm's bias): arraycopies.
            int run = repeatedRun(src.layout(), dst.shape());
            if (run > 1 || run == dst.numel()) {
                Object s = storage(src);
                Object d = storage(dst);
                int so = src.layout().offset();
                int n = dst.numel();
                int doff = dst.layout().offset();
                for (int r = 0; r < n; r += run) {
                    System.arraycopy(s, so, d, doff + r, run);
                }
                return;
            }
        }
        Strided plan = Strided.plan(dst.shape(), dst.layout(), src.layout());
        int sd = plan.innerStride(0);
        int ss = plan.innerStride(1);
        switch (dst.dtype()) {
            case F32 -> {
                float[] d = dst.storageF32();
                float[] s = src.storageF32();
                plan.forEachRow((off, n) -> {
                    if (sd == 1 && ss == 1) {
                        System.arraycopy(s, off[1], d, off[0], n);
                    } else {
                        for (int i = 0; i < n; i++) {
                            d[off[0] + i * sd] = s[off[1] + i * ss];
                        }
                    }
                });
            }
            case F64 -> {
                double[] d = dst.storageF64();
                double[] s = src.storageF64();
                plan.forEachRow((off, n) -> {
                    for (int i = 0; i < n; i++) {
                        d[off[0] + i * sd] = s[off[1] + i * ss];
                    }
                });
            }
            case I32 -> {
                int[] d = dst.storageI32();
                int[] s = src.storageI32();
                plan.forEachRow((off, n) -> {
                    for (int i = 0; i < n; i++) {
                        d[off[0] + i * sd] = s[off[1] + i * ss];
                    }
                });
            }
        }
    }
}
