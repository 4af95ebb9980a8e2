package dev.jgrad.tensor.cpu;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Layout;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.PackedMatrix;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.backend.Backend;
import dev.jgrad.tensor.backend.BinaryOp;
import dev.jgrad.tensor.backend.ReduceOp;
import dev.jgrad.tensor.backend.UnaryOp;
import java.util.List;

/**
 * The CPU backend: strided loops that hand contiguous inner runs to the SIMD kernels (F32) or
 * to the scalar kernels (F64, I32, and F32 when SIMD is switched off to run the twins).
 */
public final class CpuBackend implements Backend {
    private static volatile boolean simd = !Boolean.getBoolean("jgrad.cpu.scalar");

    /** Switches F32 between the SIMD kernels and their scalar twins (tests compare the two). */
    public static void useSimd(boolean on) {
        simd = on;
    }

    public static boolean simdEnabled() {
        return simd;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 0;
    }

    // ------------------------------------------------------------------ elementwise (see Elementwise)

    @Override
    public NdArray unary(UnaryOp op, NdArray x) {
        return Elementwise.unary(op, x, simd);
    }

    @Override
    public void unaryInto(UnaryOp op, NdArray x, NdArray out) {
        Elementwise.unaryInto(op, x, out, simd);
    }

    @Override
    public NdArray binary(BinaryOp op, NdArray a, NdArray b) {
        return Elementwise.binary(op, a, b, simd);
    }

    @Override
    public void binaryInto(BinaryOp op, NdArray a, NdArray b, NdArray out) {
        Elementwise.binaryInto(op, a, b, out, simd);
    }

    @Override
    public NdArray where(NdArray cond, NdArray a, NdArray b) {
        return Elementwise.where(cond, a, b);
    }

    @Override
    public NdArray convert(NdArray x, DType dtype) {
        return Elementwise.convert(x, dtype);
    }

    @Override
    public void copyInto(NdArray dst, NdArray src) {
        Elementwise.copyInto(dst, src);
    }

    @Override
    public void addInto(NdArray dst, NdArray src) {
        accumulate(dst, src);
    }

    @Override
    public void adamwStep(NdArray param, NdArray grad, NdArray m, NdArray v, dev.jgrad.tensor.backend.AdamStep step) {
        int n = param.numel();
        float[] w = param.storageF32();
        float[] g = grad.storageF32();
        float[] mm = m.storageF32();
        float[] vv = v.storageF32();
        int wo = param.layout().offset();
        int go = grad.layout().offset();
        int mo = m.layout().offset();
        int vo = v.layout().offset();
        boolean vec = simd;
        Parallel.forRange(n, Strided.elementGrain(n), (lo, hi) -> {
            if (vec) {
                FusedKernels.adamw(w, wo + lo, g, go + lo, mm, mo + lo, vv, vo + lo, hi - lo, step);
            } else {
                ScalarKernels.adamw(w, wo + lo, g, go + lo, mm, mo + lo, vv, vo + lo, hi - lo, step);
            }
        });
    }

    @Override
    public void sgdStep(NdArray param, NdArray grad, NdArray velocity, dev.jgrad.tensor.backend.SgdStep step) {
        int n = param.numel();
        float[] w = param.storageF32();
        float[] g = grad.storageF32();
        float[] v = velocity == null ? null : velocity.storageF32();
        int wo = param.layout().offset();
        int go = grad.layout().offset();
        int vo = velocity == null ? 0 : velocity.layout().offset();
        boolean vec = simd;
        Parallel.forRange(n, Strided.elementGrain(n), (lo, hi) -> {
            if (vec) {
                FusedKernels.sgd(w, wo + lo, g, go + lo, v, vo + lo, hi - lo, step);
            } else {
                ScalarKernels.sgd(w, wo + lo, g, go + lo, v, vo + lo, hi - lo, step);
            }
        });
    }

    @Override
    public double softmaxCrossEntropy(NdArray logits, int[] targets, int ignoreIndex, float gradScale,
                                      NdArray dlogits) {
        int n = logits.size(0);
        int v = logits.size(1);
        float[] x = logits.storageF32();
        float[] d = dlogits.storageF32();
        int xo = logits.layout().offset();
        int dOff = dlogits.layout().offset();
        double[] rowLoss = new double[n];
        boolean vec = simd;
        float[] lse = vec ? new float[n] : null;
        Parallel.forRange(n, Strided.rowGrain(n, v), (lo, hi) -> {
            int i = lo;
            while (i < hi) {
                if (targets[i] == ignoreIndex) {
                    java.util.Arrays.fill(d, dOff + i * v, dOff + (i + 1) * v, 0f);
                    i++;
                    continue;
                }
                // A run of counted rows: their softmaxes in one call, which overlaps one row's
                // reductions with the next row's.
                int end = i + 1;
                while (end < hi && targets[end] != ignoreIndex) {
                    end++;
                }
                if (vec) {
                    SoftmaxKernels.softmaxRows(x, xo + i * v, d, dOff + i * v, end - i, v, false, gradScale, lse, i);
                }
                for (; i < end; i++) {
                    int t = targets[i];
                    float l = lse != null ? lse[i] : scaledSoftmaxTwin(x, xo + i * v, d, dOff + i * v, v, gradScale);
                    d[dOff + i * v + t] -= gradScale;
                    rowLoss[i] = (double) l - x[xo + i * v + t];
                }
            }
        });
        double total = 0;
        for (double l : rowLoss) {
            total += l;   // in row order: the same sum for any thread count
        }
        return total;
    }

    /** The scalar twin of softmaxRows with a scale: softmax into d, times scale; returns the logsumexp. */
    private static float scaledSoftmaxTwin(float[] x, int off, float[] d, int dOff, int v, float scale) {
        float l = ScalarKernels.softmaxF32(x, off, d, dOff, v, false);
        if (scale != 1f) {
            for (int j = 0; j < v; j++) {
                d[dOff + j] *= scale;
            }
        }
        return l;
    }

    @Override
    public void activationBackward(UnaryOp op, NdArray y, NdArray g, NdArray dx) {
        if ((op != UnaryOp.TANH && op != UnaryOp.SIGMOID) || y.dtype() != DType.F32 || g.dtype() != DType.F32
                || dx.dtype() != DType.F32 || !y.isContiguous() || !g.isContiguous() || !dx.isContiguous()
                || !y.shape().equals(g.shape()) || !dx.shape().equals(y.shape())) {
            Backend.super.activationBackward(op, y, g, dx);
            return;
        }
        float[] ys = y.storageF32();
        float[] gs = g.storageF32();
        float[] ds = dx.storageF32();
        int yo = y.layout().offset();
        int go = g.layout().offset();
        int dO = dx.layout().offset();
        boolean vec = simd;
        boolean tanh = op == UnaryOp.TANH;
        Parallel.forRange(y.numel(), Strided.elementGrain(y.numel()), (lo, hi) -> {
            int i = vec ? FusedKernels.activationBackward(tanh, ys, yo + lo, gs, go + lo, ds, dO + lo, hi - lo) : 0;
            ScalarKernels.activationBackward(tanh, ys, yo + lo + i, gs, go + lo + i, ds, dO + lo + i, hi - lo - i);
        });
    }

    @Override
    public void geluWithGrad(NdArray x, NdArray y, NdArray dydx) {
        if (x.dtype() != DType.F32 || !x.isContiguous() || !y.shape().equals(x.shape())
                || !dydx.shape().equals(x.shape()) || !y.isContiguous() || !dydx.isContiguous()) {
            throw new IllegalArgumentException("geluWithGrad: needs contiguous F32 arrays of one shape, got x "
                    + x.dtype() + " " + x.shape() + ", y " + y.shape() + ", dydx " + dydx.shape());
        }
        float[] xs = x.storageF32();
        float[] ys = y.storageF32();
        float[] ds = dydx.storageF32();
        int xo = x.layout().offset();
        int yo = y.layout().offset();
        int dO = dydx.layout().offset();
        boolean vec = simd;
        Parallel.forRange(x.numel(), Strided.elementGrain(x.numel()), (lo, hi) -> {
            if (vec) {
                ErfcKernels.geluWithGrad(xs, xo + lo, ys, yo + lo, ds, dO + lo, hi - lo);
            } else {
                ScalarKernels.unaryF32(UnaryOp.GELU, xs, xo + lo, 1, ys, yo + lo, hi - lo);
                ScalarKernels.unaryF32(UnaryOp.GELU_GRAD, xs, xo + lo, 1, ds, dO + lo, hi - lo);
            }
        });
    }

    @Override
    public void layerNormForward(NdArray x, NdArray w, NdArray b, double eps, NdArray y, NdArray mean, NdArray rstd) {
        int c = x.size(-1);
        int r = c == 0 ? 0 : x.numel() / c;
        float[] xs = x.storageF32();
        float[] ws = w.storageF32();
        float[] bs = b == null ? null : b.storageF32();
        float[] ys = y.storageF32();
        float[] ms = mean.storageF32();
        float[] rs = rstd.storageF32();
        int xo = x.layout().offset();
        int wo = w.layout().offset();
        int bo = b == null ? 0 : b.layout().offset();
        boolean vec = simd;
        Parallel.forRange(r, Strided.rowGrain(r, c), (lo, hi) -> {
            if (vec) {
                FusedKernels.layerNormRows(xs, xo, ws, wo, bs, bo, (float) eps, ys, ms, rs, lo, hi, c);
                return;
            }
            for (int i = lo; i < hi; i++) {
                ScalarKernels.layerNormRow(xs, xo + i * c, ws, wo, bs, bo, (float) eps, ys, i * c, ms, rs, i, c);
            }
        });
    }

    @Override
    public void layerNormBackward(NdArray dy, NdArray x, NdArray w, NdArray mean, NdArray rstd, NdArray dx, NdArray dw,
                                  NdArray db) {
        int c = x.size(-1);
        int r = c == 0 ? 0 : x.numel() / c;
        float[] g = dy.storageF32();
        float[] xs = x.storageF32();
        float[] ws = w.storageF32();
        float[] ms = mean.storageF32();
        float[] rs = rstd.storageF32();
        float[] dxs = dx.storageF32();
        float[] dws = dw.storageF32();
        float[] dbs = db == null ? null : db.storageF32();
        int go = dy.layout().offset();
        int xo = x.layout().offset();
        int wo = w.layout().offset();
        boolean vec = simd;
        if (vec) {
            // dx, and dw and db summed block by block in the same pass (g and x are read once):
            // blocks of rows fixed by the shape alone, so the sums do not depend on the threads.
            int rb = FusedKernels.layerNormBlockRows(r);
            int blocks = (r + rb - 1) / rb;
            int width = dbs == null ? c : 2 * c;
            float[] part = new float[blocks * width];
            int grain = Strided.balanced(blocks, Math.max(1, Strided.GRAIN / Math.max(1, rb * c)), 1);
            Parallel.forRange(blocks, grain, (lo, hi) -> {
                for (int q = lo; q < hi; q++) {
                    int po = q * width;
                    for (int i = q * rb, end = Math.min(r, i + rb); i < end; i++) {
                        FusedKernels.layerNormBackwardRow(g, go + i * c, xs, xo + i * c, ws, wo, ms[i], rs[i], dxs,
                                i * c, c, part, po, dbs == null ? -1 : po + c);
                    }
                }
            });
            Parallel.forRange(c, Strided.columnSlice((long) blocks * width, c),
                    (lo, hi) -> FusedKernels.sumBlocks(part, blocks, width, c, lo, hi, dws, dbs));
            return;
        }
        // The scalar twin: dx row by row, then dw and db summed over the rows in row order.
        Parallel.forRange(r, Strided.rowGrain(r, c), (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                ScalarKernels.layerNormBackwardRow(g, go + i * c, xs, xo + i * c, ws, wo, ms[i], rs[i], dxs, i * c, c);
            }
        });
        Parallel.forRange(c, Math.max(4 * SimdKernels.L, Strided.GRAIN / Math.max(r, 1)), (lo, hi) -> {
            java.util.Arrays.fill(dws, lo, hi, 0f);
            if (dbs != null) {
                java.util.Arrays.fill(dbs, lo, hi, 0f);
            }
            for (int i = 0; i < r; i++) {
                for (int j = lo; j < hi; j++) {
                    float gij = g[go + i * c + j];
                    dws[j] += gij * ((xs[xo + i * c + j] - ms[i]) * rs[i]);
                    if (dbs != null) {
                        dbs[j] += gij;
                    }
                }
            }
        });
    }

    /** The array itself when its elements start at 0 in row-major order, else a compact copy. */
    private static NdArray dense(NdArray x) {
        return x.isContiguous() && x.layout().offset() == 0 ? x : x.copy();
    }

    /**
     * Addresses the (batch, head) slices of a (B, nh, T, hs) F32 view: slice s = b * nh + h starts
     * at {@link #offset}, its rows {@link #rows} floats apart. Views whose last dim is strided are
     * copied first, so a kernel always reads unit-stride rows.
     */
    private record Slices(float[] data, int base, int strideB, int strideH, int rows, int heads) {
        static Slices of(NdArray x) {
            NdArray d = x.layout().stride(3) == 1 || x.size(3) <= 1 ? x : x.copy();
            Layout l = d.layout();
            return new Slices(d.storageF32(), l.offset(), l.stride(0), l.stride(1), l.stride(2), d.size(1));
        }

        /** An output: written in place, so its rows must already be unit-stride. */
        static Slices target(String op, String name, NdArray x) {
            if (x.layout().stride(3) != 1 && x.size(3) > 1) {
                throw new IllegalArgumentException(op + ": " + name + " of shape " + x.shape()
                        + " must have a unit-stride last dim, but its strides are "
                        + java.util.Arrays.toString(x.layout().strides()));
            }
            return of(x);
        }

        int offset(int s) {
            return base + s / heads * strideB + s % heads * strideH;
        }
    }

    @Override
    public void causalAttentionForward(NdArray q0, NdArray k0, NdArray v0, double scale, NdArray out, NdArray lse) {
        Slices q = Slices.of(q0);
        Slices k = Slices.of(k0);
        Slices v = Slices.of(v0);
        int slices = q0.size(0) * q0.size(1);
        int tq = q0.size(2);
        int tk = k0.size(2);
        int hs = q0.size(3);
        Slices o = Slices.target("causal_attention", "out", out);
        float[] l = lse.storageF32();
        int lo = lse.layout().offset();
        boolean vec = simd;
        Parallel.forRange(slices, 1, (from, to) -> {
            FusedKernels.AttentionScratch scratch = vec ? FusedKernels.AttentionScratch.get() : null;
            for (int s = from; s < to; s++) {
                if (vec) {
                    FusedKernels.attentionForward(q.data(), q.offset(s), q.rows(), k.data(), k.offset(s), k.rows(),
                            v.data(), v.offset(s), v.rows(), tq, tk, hs, (float) scale, o.data(), o.offset(s), o.rows(),
                            l, lo + s * tq, scratch);
                } else {
                    ScalarKernels.attentionForward(q.data(), q.offset(s), q.rows(), k.data(), k.offset(s), k.rows(),
                            v.data(), v.offset(s), v.rows(), tq, tk, hs, scale, o.data(), o.offset(s), o.rows(), l,
                            lo + s * tq);
                }
            }
        });
    }

    @Override
    public void causalAttentionBackward(NdArray q0, NdArray k0, NdArray v0, NdArray out0, NdArray lse0, NdArray g0,
                                        double scale, NdArray dq, NdArray dk, NdArray dv) {
        Slices q = Slices.of(q0);
        Slices k = Slices.of(k0);
        Slices v = Slices.of(v0);
        Slices g = Slices.of(g0);
        Slices o = Slices.of(out0);
        NdArray lse = dense(lse0);
        Slices dqs = Slices.target("causal_attention_backward", "dq", dq);
        Slices dks = Slices.target("causal_attention_backward", "dk", dk);
        Slices dvs = Slices.target("causal_attention_backward", "dv", dv);
        int slices = q0.size(0) * q0.size(1);
        int tq = q0.size(2);
        int tk = k0.size(2);
        int hs = q0.size(3);
        float[] l = lse.storageF32();
        boolean vec = simd;
        Parallel.forRange(slices, 1, (from, to) -> {
            FusedKernels.AttentionScratch scratch = vec ? FusedKernels.AttentionScratch.get() : null;
            for (int s = from; s < to; s++) {
                int lo = s * tq;
                if (vec) {
                    FusedKernels.attentionBackward(q.data(), q.offset(s), q.rows(), k.data(), k.offset(s), k.rows(),
                            v.data(), v.offset(s), v.rows(), o.data(), o.offset(s), o.rows(), l, lo, g.data(),
                            g.offset(s), g.rows(), tq, tk, hs, (float) scale, dqs.data(), dqs.offset(s), dqs.rows(),
                            dks.data(), dks.offset(s), dks.rows(), dvs.data(), dvs.offset(s), dvs.rows(), scratch);
                } else {
                    ScalarKernels.attentionBackward(q.data(), q.offset(s), q.rows(), k.data(), k.offset(s), k.rows(),
                            v.data(), v.offset(s), v.rows(), o.data(), o.offset(s), o.rows(), l, lo, g.data(),
                            g.offset(s), g.rows(), tq, tk, hs, scale, dqs.data(), dqs.offset(s), dqs.rows(),
                            dks.data(), dks.offset(s), dks.rows(), dvs.data(), dvs.offset(s), dvs.rows());
                }
            }
        });
    }

    @Override
    public void lstmCellForward(NdArray gates, NdArray pre, NdArray cPrev, NdArray act, NdArray c, NdArray tanhC,
                                NdArray h) {
        String op = "lstmCellForward";
        checkCell(op, new NdArray[] {gates, pre, act}, new NdArray[] {cPrev, c, tanhC, h});
        Rows z = Rows.of(op, gates);
        Rows p = Rows.of(op, pre);
        Rows cp = Rows.of(op, cPrev);
        Rows a = Rows.of(op, act);
        Rows cs = Rows.of(op, c);
        Rows tc = Rows.of(op, tanhC);
        Rows hs = Rows.of(op, h);
        int hid = c.size(1);
        boolean vec = simd;
        int grain = Strided.rowGrain(c.size(0), 4 * hid);
        Parallel.forRange(c.size(0), grain, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                if (vec) {
                    FusedKernels.lstmCellRow(z.a, z.at(r), p.a, p.at(r), cp.a, cp.at(r), a.a, a.at(r), cs.a, cs.at(r),
                            tc.a, tc.at(r), hs.a, hs.at(r), hid);
                } else {
                    ScalarKernels.lstmCellRow(z.a, z.at(r), p.a, p.at(r), cp.a, cp.at(r), a.a, a.at(r), cs.a, cs.at(r),
                            tc.a, tc.at(r), hs.a, hs.at(r), hid);
                }
            }
        });
    }

    @Override
    public void lstmCellBackward(NdArray act, NdArray tanhC, NdArray cPrev, NdArray gh, NdArray gc, NdArray dh,
                                 NdArray dcNext, NdArray dGates, NdArray dcOut) {
        String op = "lstmCellBackward";
        checkCell(op, new NdArray[] {act, dGates}, new NdArray[] {tanhC, cPrev, gh, gc, dh, dcNext, dcOut});
        Rows a = Rows.of(op, act);
        Rows tc = Rows.of(op, tanhC);
        Rows cp = Rows.of(op, cPrev);
        Rows h = Rows.of(op, gh);
        Rows c = Rows.of(op, gc);
        Rows dhs = Rows.of(op, dh);
        Rows dcn = Rows.of(op, dcNext);
        Rows dg = Rows.of(op, dGates);
        Rows dco = Rows.of(op, dcOut);
        int hid = tanhC.size(1);
        boolean vec = simd;
        int grain = Strided.rowGrain(tanhC.size(0), 4 * hid);
        Parallel.forRange(tanhC.size(0), grain, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                if (vec) {
                    FusedKernels.lstmCellBackwardRow(a.a, a.at(r), tc.a, tc.at(r), cp.a, cp.at(r), h.a, h.at(r),
                            c.a, c.at(r), dhs.a, dhs.at(r), dcn.a, dcn.at(r), dg.a, dg.at(r), dco.a, dco.at(r), hid);
                } else {
                    ScalarKernels.lstmCellBackwardRow(a.a, a.at(r), tc.a, tc.at(r), cp.a, cp.at(r), h.a, h.at(r),
                            c.a, c.at(r), dhs.a, dhs.at(r), dcn.a, dcn.at(r), dg.a, dg.at(r), dco.a, dco.at(r), hid);
                }
            }
        });
    }

    /**
     * The kernels address rows by offset, so a mismatched shape would read a neighbour's values
     * instead of failing: every gate array must be (B, 4H) and every state array (B, H).
     */
    private static void checkCell(String op, NdArray[] gateArrays, NdArray[] stateArrays) {
        NdArray first = stateArrays[0];
        Shape state = first.shape();
        boolean ok = first.rank() == 2;
        Shape gate = ok ? Shape.of(first.size(0), 4 * first.size(1)) : state;
        for (NdArray x : stateArrays) {
            ok &= x.shape().equals(state);
        }
        for (NdArray x : gateArrays) {
            ok &= x.shape().equals(gate);
        }
        if (!ok) {
            StringBuilder got = new StringBuilder();
            for (NdArray x : gateArrays) {
                got.append(x.shape()).append(' ');
            }
            got.append("and states ");
            for (NdArray x : stateArrays) {
                got.append(x.shape()).append(' ');
            }
            throw new IllegalArgumentException(op + ": needs gate arrays (B, 4H) and state arrays (B, H), got gates "
                    + got.toString().trim());
        }
    }

    /** A 2-D F32 array whose columns are adjacent, as storage, offset and row stride. */
    private record Rows(float[] a, int off, int stride) {
        static Rows of(String op, NdArray x) {
            if (x.dtype() != DType.F32 || x.rank() != 2 || x.size(1) > 1 && x.layout().stride(1) != 1) {
                throw new IllegalArgumentException(op + ": needs 2-D F32 arrays with unit column stride, got "
                        + x.dtype() + " " + x.shape() + " with layout " + x.layout());
            }
            return new Rows(x.storageF32(), x.layout().offset(), x.layout().stride(0));
        }

        int at(int row) {
            return off + row * stride;
        }
    }

    /**
     * One array per task, the terms added in list order afterwards: the same bits as the serial
     * loop on any thread count. Gradient clipping reads every gradient of a model here right
     * after backward, on the calling thread alone before this (GPT step, two threads: 1.5% of
     * its wall time with the other thread idle, JFR).
     */
    @Override
    public double sumOfSquares(List<NdArray> xs) {
        long total = 0;
        for (NdArray x : xs) {
            total += x.numel();
        }
        double[] each = new double[xs.size()];
        Parallel.Range terms = (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                each[i] = sumOfSquares(xs.get(i));
            }
        };
        if (total >= SUM_OF_SQUARES_PARALLEL_MIN) {
            Parallel.forRange(xs.size(), 1, terms);
        } else {
            terms.run(0, xs.size());
        }
        double s = 0;
        for (double v : each) {
            s += v;
        }
        return s;
    }

    /** Below this many elements in all (the MLP model's ~12k) a parallel region costs more than it saves. */
    private static final long SUM_OF_SQUARES_PARALLEL_MIN = 1L << 16;

    @Override
    public double sumOfSquares(NdArray x) {
        NdArray c = x.contiguous();
        int off = c.layout().offset();
        int n = c.numel();
        return switch (c.dtype()) {
            case F32 -> simd ? FusedKernels.sumOfSquares(c.storageF32(), off, n)
                    : ScalarKernels.sumOfSquares(c.storageF32(), off, n);
            case F64 -> {
                double[] d = c.storageF64();
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += d[off + i] * d[off + i];
                }
                yield s;
            }
            case I32 -> {
                int[] d = c.storageI32();
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += (double) d[off + i] * d[off + i];
                }
                yield s;
            }
        };
    }

    /** dst[...] += src[...] elementwise over dst's (view) shape; used by the index-add family. */
    static void accumulate(NdArray dst, NdArray src) {
        Strided plan = Strided.plan(dst.shape(), dst.layout(), src.layout());
        int sd = plan.innerStride(0);
        int ss = plan.innerStride(1);
        switch (dst.dtype()) {
            case F32 -> {
                float[] d = dst.storageF32();
                float[] s = src.storageF32();
                if (simd && sd == 1 && ss == 1) {
                    plan.forEachRow((off, n) -> SimdKernels.binary(BinaryOp.ADD, d, off[0], 1, s, off[1], 1, d, off[0], n));
                    return;
                }
                plan.forEachRow((off, n) -> {
                    for (int i = 0; i < n; i++) {
                        d[off[0] + i * sd] += s[off[1] + i * ss];
                    }
                });
            }
            case F64 -> {
                double[] d = dst.storageF64();
                double[] s = src.storageF64();
                plan.forEachRow((off, n) -> {
                    for (int i = 0; i < n; i++) {
                        d[off[0] + i * sd] += s[off[1] + i * ss];
                    }
                });
            }
            case I32 -> {
                int[] d = dst.storageI32();
                int[] s = src.storageI32();
                plan.forEachRow((off, n) -> {
                    for (int i = 0; i < n; i++) {
                        d[off[0] + i * sd] += s[off[1] + i * ss];
                    }
                });
            }
        }
    }

    // ------------------------------------------------------------------ reductions and rows

    @Override
    public NdArray reduce(ReduceOp op, NdArray x, boolean[] reduce) {
        return Reductions.reduce(op, x, reduce, simd);
    }

    @Override
    public NdArray softmax(NdArray x, int dim, boolean log) {
        return Reductions.softmax(x, dim, log, simd);
    }

    @Override
    public NdArray cumsum(NdArray x, int dim) {
        return Reductions.cumsum(x, dim);
    }

    @Override
    public NdArray[] sort(NdArray x, int dim, boolean descending) {
        return Reductions.sort(x, dim, descending);
    }

    // ------------------------------------------------------------------ matmul

    @Override
    public NdArray matmul(NdArray a, NdArray b) {
        int[] outDims = a.shape().dims();
        outDims[outDims.length - 1] = b.size(-1);
        NdArray out = NdArray.empty(a.dtype(), outDims);
        matmulInto(a, b, out, false);
        return out;
    }

    @Override
    public PackedMatrix pack(NdArray b) {
        return MatrixProducts.pack(b);
    }

    @Override
    public void matmulInto(NdArray a, PackedMatrix b, NdArray out, boolean accumulate) {
        MatrixProducts.matmulInto(a, b, out, accumulate, simd);
    }

    @Override
    public void matmulInto(NdArray a, NdArray b, NdArray out, boolean accumulate) {
        MatrixProducts.matmulInto(a, b, out, accumulate, simd);
    }

    @Override
    public void addmmInto(NdArray input, NdArray a, NdArray b, NdArray out) {
        int n = out.size(-1);
        boolean rowBias = input.rank() >= 1 && input.rank() <= 2 && input.size(-1) == n
                && (input.rank() == 1 || input.size(0) == 1) && (n <= 1 || input.layout().strides()[input.rank() - 1] == 1);
        if (!simd || !rowBias || a.dtype() != DType.F32 || input.dtype() != DType.F32 || a.rank() != 2
                || b.rank() != 2 || out.rank() != 2) {
            Backend.super.addmmInto(input, a, b, out);
            return;
        }
        int[] as = a.layout().strides();
        int[] bs = b.layout().strides();
        Gemm.sgemmBias(a.storageF32(), a.layout().offset(), as[0], as[1], b.storageF32(), b.layout().offset(), bs[0],
                bs[1], input.storageF32(), input.layout().offset(), out.storageF32(), out.layout().offset(), n,
                a.size(0), n, a.size(1), true);
    }

    // ------------------------------------------------------------------ indexing

    @Override
    public NdArray gather(NdArray x, int dim, NdArray index) {
        NdArray out = NdArray.empty(x.dtype(), index.shape());
        Layout xl = alongIndex(x.layout(), index.shape(), dim);
        int step = x.layout().stride(dim);
        Strided plan = Strided.plan(index.shape(), out.layout(), index.layout(), xl);
        int si = plan.innerStride(1);
        int sx = plan.innerStride(2);
        int[] idx = index.storageI32();
        plan.forEachRow((off, n) -> {
            for (int i = 0; i < n; i++) {
                int src = off[2] + i * sx + idx[off[1] + i * si] * step;
                switch (x.dtype()) {
                    case F32 -> out.storageF32()[off[0] + i] = x.storageF32()[src];
                    case F64 -> out.storageF64()[off[0] + i] = x.storageF64()[src];
                    case I32 -> out.storageI32()[off[0] + i] = x.storageI32()[src];
                }
            }
        });
        return out;
    }

    /** x's strides seen over the index's shape, with the indexed dim's stride zeroed. */
    private static Layout alongIndex(Layout x, Shape indexShape, int dim) {
        int[] s = x.strides();
        s[dim] = 0;
        return new Layout(indexShape, s, x.offset());
    }

    @Override
    public NdArray scatterAdd(NdArray base, int dim, NdArray index, NdArray src) {
        NdArray out = base.copy();
        Layout ol = alongIndex(out.layout(), index.shape(), dim);
        int step = out.layout().stride(dim);
        Layout sl = new Layout(index.shape(), src.layout().strides(), src.layout().offset());
        Strided plan = Strided.plan(index.shape(), ol, index.layout(), sl);
        int so = plan.innerStride(0);
        int si = plan.innerStride(1);
        int ss = plan.innerStride(2);
        int[] idx = index.storageI32();
        // Sequential on purpose: several sources may add into one slot, and float addition
        // order must not depend on scheduling.
        plan.forEachRowSequential((off, n) -> {
            for (int i = 0; i < n; i++) {
                int dst = off[0] + i * so + idx[off[1] + i * si] * step;
                int s = off[2] + i * ss;
                switch (out.dtype()) {
                    case F32 -> out.storageF32()[dst] += src.storageF32()[s];
                    case F64 -> out.storageF64()[dst] += src.storageF64()[s];
                    case I32 -> out.storageI32()[dst] += src.storageI32()[s];
                }
            }
        });
        return out;
    }

    @Override
    public NdArray indexSelect(NdArray x, int dim, NdArray index) {
        int[] idx = index.toIntArray();
        int[] dims = x.shape().dims();
        dims[dim] = idx.length;
        NdArray out = NdArray.empty(x.dtype(), dims);
        if (dim == 0 && x.isContiguous() && x.dtype() == DType.F32) {
            int row = x.numel() / Math.max(x.size(0), 1);
            float[] s = x.storageF32();
            float[] o = out.storageF32();
            int base = x.layout().offset();
            Parallel.forRange(idx.length, Math.max(1, Strided.GRAIN / Math.max(row, 1)), (lo, hi) -> {
                for (int j = lo; j < hi; j++) {
                    SimdKernels.copy(s, base + idx[j] * row, o, j * row, row);
                }
            });
            return out;
        }
        for (int j = 0; j < idx.length; j++) {
            copyInto(out.select(dim, j), x.select(dim, idx[j]));
        }
        return out;
    }

    @Override
    public NdArray indexAdd(NdArray base, int dim, NdArray index, NdArray src) {
        int[] idx = index.toIntArray();
        NdArray out = base.copy();
        if (dim == 0 && out.dtype() == DType.F32 && out.isContiguous() && idx.length > 0) {
            // Embedding backward: whole rows added in index order (repeated ids accumulate in a
            // fixed order); threads split the columns, never the rows.
            NdArray sc = src.contiguous();
            int row = sc.numel() / idx.length;
            float[] o = out.storageF32();
            float[] sv = sc.storageF32();
            int oo = out.layout().offset();
            int so = sc.layout().offset();
            boolean vec = simd;
            // Slices of GRAIN / ids columns made two threads twice as slow as one (768 ids x 128
            // columns 16 -> 34 µs, x 384 46 -> 87).
            Parallel.forRange(row, Strided.columnSlice((long) idx.length * row, row), (lo, hi) -> {
                for (int j = 0; j < idx.length; j++) {
                    int dst = oo + idx[j] * row + lo;
                    if (vec) {
                        SimdKernels.addInto(o, dst, sv, so + j * row + lo, hi - lo);
                    } else {
                        ScalarKernels.binaryF32(BinaryOp.ADD, o, dst, 1, sv, so + j * row + lo, 1, o, dst, hi - lo);
                    }
                }
            });
            return out;
        }
        for (int j = 0; j < idx.length; j++) {
            accumulate(out.select(dim, idx[j]), src.select(dim, j));
        }
        return out;
    }
}
