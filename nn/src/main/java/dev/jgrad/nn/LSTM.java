package dev.jgrad.nn;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.GradMode;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.autograd.ops.Products;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.PackedMatrix;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.backend.Backends;

/**
 * A multi-layer LSTM (Hochreiter and Schmidhuber 1997) with PyTorch's gate order (input,
 * forget, cell, output) and parameter names ({@code weight_ih_l0}, ...). The state (h, c) of
 * every layer is carried between calls by the caller, so generation can feed one token at a time.
 */
public final class LSTM extends Module {
    /** Per-layer hidden and cell states, each (B, H). */
    public record State(Tensor[] h, Tensor[] c) {
    }

    /** Output (B, T, H) of the top layer and the final state. */
    public record Result(Tensor output, State state) {
    }

    private final int input;
    private final int hidden;
    private final Parameter[] wih;
    private final Parameter[] whh;
    private final Parameter[] bih;
    private final Parameter[] bhh;

    public LSTM(int input, int hidden, int layers, Generator g, DType dtype) {
        if (input <= 0 || hidden <= 0 || layers <= 0) {
            throw new IllegalArgumentException("LSTM: sizes must be positive, got " + input + ", " + hidden + ", " + layers);
        }
        this.input = input;
        this.hidden = hidden;
        wih = new Parameter[layers];
        whh = new Parameter[layers];
        bih = new Parameter[layers];
        bhh = new Parameter[layers];
        double bound = 1 / Math.sqrt(hidden); // PyTorch: every LSTM weight U(-1/sqrt(H), 1/sqrt(H))
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? input : hidden;
            wih[l] = parameter("weight_ih_l" + l, Init.uniform(g, dtype, bound, 4 * hidden, in));
            whh[l] = parameter("weight_hh_l" + l, Init.uniform(g, dtype, bound, 4 * hidden, hidden));
            bih[l] = parameter("bias_ih_l" + l, Init.uniform(g, dtype, bound, 4 * hidden));
            bhh[l] = parameter("bias_hh_l" + l, Init.uniform(g, dtype, bound, 4 * hidden));
        }
    }

    public int layers() {
        return wih.length;
    }

    public int hiddenSize() {
        return hidden;
    }

    public State zeroState(int batch, DType dtype) {
        Tensor[] h = new Tensor[layers()];
        Tensor[] c = new Tensor[layers()];
        for (int l = 0; l < layers(); l++) {
            h[l] = Tensor.of(NdArray.zeros(dtype, batch, hidden));
            c[l] = Tensor.of(NdArray.zeros(dtype, batch, hidden));
        }
        return new State(h, c);
    }

    /**
     * One step of layer l from precomputed input gates {@code xg} = x W_ihᵀ + b_ih + b_hh (B, 4H)
     * and the transposed recurrent weight {@code whhT} (H, 4H): returns the new (h, c).
     */
    private Tensor[] step(Tensor xg, Tensor whhT, Tensor h, Tensor c) {
        Tensor gates = xg.add(h.matmul(whhT));                                     // (B, 4H)
        Tensor[] q = gates.chunk(4, -1);
        Tensor i = q[0].sigmoid();
        Tensor f = q[1].sigmoid();
        Tensor g = q[2].tanh();
        Tensor o = q[3].sigmoid();
        Tensor c2 = f.mul(c).add(i.mul(g));
        return new Tensor[] {o.mul(c2.tanh()), c2};
    }

    /**
     * Runs (B, T, I) inputs from {@code state} (null: zeros), layer by layer: each layer's input
     * projection is one matmul over all T steps, and the time loop is one op, {@link Sequence},
     * whose backward sums the recurrent weight's gradient over all steps in one product.
     */
    public Result forward(Tensor x, State state) {
        return run(x, state, true);
    }

    /** {@link #forward} built step by step from differentiable ops: the oracle of {@link Sequence}. */
    Result forwardComposite(Tensor x, State state) {
        return run(x, state, false);
    }

    private Result run(Tensor x, State state, boolean fused) {
        if (x.rank() != 3 || x.size(2) != input) {
            throw new IllegalArgumentException("LSTM(" + input + " -> " + hidden + "): expects (B, T, " + input
                    + "), got " + x.shape());
        }
        int b = x.size(0);
        int t = x.size(1);
        State s = state == null ? zeroState(b, x.dtype()) : state;
        Tensor[] h = s.h().clone();
        Tensor[] c = s.c().clone();
        if (t == 0) {
            return new Result(Tensor.of(NdArray.zeros(x.dtype(), b, 0, hidden)), new State(h, c));
        }
        Tensor seq = x;                                                            // (B, T, in)
        for (int l = 0; l < layers(); l++) {
            // x W_ihᵀ + (b_ih + b_hh) as one product started from the summed bias: adding the two
            // biases to its result took two more passes over (B, T, 4H), and their backward two sums.
            Tensor bias = bih[l].tensor().add(bhh[l].tensor());
            Tensor pre = new Products.Linear().apply(seq.reshape(b * t, seq.size(2)), wih[l].tensor(), bias)
                    .view(b, t, 4 * hidden);                                       // (B, T, 4H)
            if (fused) {
                Tensor hc = new Sequence().apply(pre, whh[l].tensor(), h[l], c[l]);   // (2, B, T, H)
                seq = hc.select(0, 0);
                h[l] = seq.select(1, t - 1);
                c[l] = hc.select(0, 1).select(1, t - 1);
                continue;
            }
            Tensor whhT = whh[l].tensor().t().contiguous();                        // (H, 4H)
            Tensor[] outs = new Tensor[t];
            for (int step = 0; step < t; step++) {
                Tensor[] hc = step(pre.select(1, step), whhT, h[l], c[l]);
                h[l] = hc[0];
                c[l] = hc[1];
                outs[step] = hc[0];
            }
            seq = Tensor.stack(1, outs);                                           // (B, T, H)
        }
        return new Result(seq, new State(h, c));
    }

    /**
     * One layer's whole time loop as one op: inputs pre (B, T, 4H) = x W_ihᵀ + b_ih + b_hh, W_hh
     * (4H, H), h0 and c0 (B, H); result (2, B, T, H), the hidden states then the cell states of
     * every step. The composite records a dozen nodes per step, and its backward adds each step's
     * (4H, H) weight gradient, a product over only B rows, into the running sum; here the step
     * gradients of the gates are stacked and the weight gradient is one product over all B T rows.
     * The usual first-order backward works in place from the steps the forward saved; under
     * create_graph (or in a second backward through a retained graph) the same formulas run as
     * tensor ops on the steps recomputed from the saved inputs with recording on, so gradients of
     * gradients work.
     */
    static final class Sequence extends Function {
        /**
         * For the first-order backward, dropped once it has run: every step's gate activations
         * (T, B, 4H: sigmoid i, sigmoid f, tanh g, sigmoid o), tanh of its cell state (T, B, H),
         * and the result (2, B, T, H), whose h and c rows are the other states the steps need.
         */
        private NdArray act;
        private NdArray tanhC;
        private NdArray states;

        @Override
        public String name() {
            return "LSTMSequence";
        }

        @Override
        protected NdArray forward(Tensor... in) {
            save(in[0], in[1], in[2], in[3]);
            NdArray pre = in[0].data();
            NdArray whh = in[1].data();
            NdArray h = in[2].data();
            NdArray c = in[3].data();
            int hid = whh.rank() == 2 ? whh.size(1) : -1;
            if (pre.rank() != 3 || whh.rank() != 2 || pre.size(2) != 4 * hid || whh.size(0) != 4 * hid
                    || !h.shape().equals(Shape.of(pre.size(0), hid)) || !c.shape().equals(h.shape())
                    || whh.dtype() != pre.dtype() || h.dtype() != pre.dtype() || c.dtype() != pre.dtype()) {
                throw new IllegalArgumentException("LSTMSequence: expects pre (B, T, 4H), W_hh (4H, H), h0 and c0 (B, H)"
                        + " of one dtype, got " + pre.dtype() + " " + pre.shape() + ", " + whh.dtype() + " "
                        + whh.shape() + ", " + h.dtype() + " " + h.shape() + ", " + c.dtype() + " " + c.shape());
            }
            int b = pre.size(0);
            int t = pre.size(1);
            // (H, 4H), packed once for all T products: read in place, each step's product would
            // walk W_hh's 2.4 MB (H = 384) with a stride the prefetcher cannot follow. A single
            // step (decoding a token at a time) multiplies by W_hhᵀ in place instead: packing would
            // copy all of W_hh to use it once (for a row or two the matrix-vector path reads W_hh's
            // rows directly; more rows pack it inside the product anyway).
            PackedMatrix whhT = t > 1 ? whh.t().pack() : null;
            // Every step overwrites its rows of these (t >= 1 here).
            NdArray out = NdArray.empty(pre.dtype(), 2, b, t, hid);
            act = NdArray.empty(pre.dtype(), t, b, 4 * hid);
            tanhC = NdArray.empty(pre.dtype(), t, b, hid);
            states = out;
            NdArray gates = NdArray.empty(pre.dtype(), b, 4 * hid);                 // scratch
            pre = pre.contiguous();                                                // the cell kernel's rows
            c = c.contiguous();
            for (int s = 0; s < t; s++) {
                if (whhT != null) {
                    h.matmul(whhT, gates);                                         // (B, 4H)
                } else {
                    h.matmul(whh.t(), gates);
                }
                NdArray hs = out.select(0, 0).select(1, s);                        // this step's rows of out
                NdArray cs = out.select(0, 1).select(1, s);
                cellForward(gates, pre.select(1, s), c, act.select(0, s), cs, tanhC.select(0, s), hs);
                h = hs;
                c = cs;
            }
            return out;
        }

        /** One step: F32 runs the backend's fused kernel, other dtypes the same formulas as array ops. */
        private static void cellForward(NdArray gates, NdArray pre, NdArray cPrev, NdArray act, NdArray c,
                                        NdArray tanhC, NdArray h) {
            if (gates.dtype() == DType.F32) {
                Backends.get().lstmCellForward(gates, pre, cPrev, act, c, tanhC, h);
                return;
            }
            int hid = c.size(1);
            gates.add(pre, gates);
            gates.sigmoid(act);
            gates.narrow(1, 2 * hid, hid).tanh(act.narrow(1, 2 * hid, hid));
            // c = f c' + i g, made apart: out= refuses c and c' as rows of one array (they interleave)
            NdArray cs = act.narrow(1, hid, hid).mul(cPrev);
            cs.add(act.narrow(1, 0, hid).mul(act.narrow(1, 2 * hid, hid)), cs);
            c.copyFrom(cs);
            cs.tanh(tanhC);
            act.narrow(1, 3 * hid, hid).mul(tanhC, h);                             // h = o tanh(c)
        }

        @Override
        protected Tensor[] backward(Tensor grad) {
            if (!GradMode.isEnabled() && act != null) {
                return firstOrder(grad.data());
            }
            Tensor pre = saved(0);
            Tensor whh = saved(1);
            Tensor h0 = saved(2);
            Tensor c0 = saved(3);
            int b = pre.size(0);
            int t = pre.size(1);
            int hid = whh.size(1);
            Tensor[] i = new Tensor[t];
            Tensor[] f = new Tensor[t];
            Tensor[] g = new Tensor[t];
            Tensor[] o = new Tensor[t];
            Tensor[] tc = new Tensor[t];
            Tensor[] h = new Tensor[t + 1];                                        // h[s] is the state before step s
            Tensor[] c = new Tensor[t + 1];
            h[0] = h0;
            c[0] = c0;
            // create_graph (or a second backward through a retained graph): the steps again,
            // recorded, so that the gradients below depend on the inputs.
            Tensor whhT = whh.t();
            for (int s = 0; s < t; s++) {
                Tensor[] q = pre.select(1, s).add(h[s].matmul(whhT)).chunk(4, -1);
                i[s] = q[0].sigmoid();
                f[s] = q[1].sigmoid();
                g[s] = q[2].tanh();
                o[s] = q[3].sigmoid();
                c[s + 1] = f[s].mul(c[s]).add(i[s].mul(g[s]));
                tc[s] = c[s + 1].tanh();
                h[s + 1] = o[s].mul(tc[s]);
            }
            Tensor gh = grad.select(0, 0);                                         // (B, T, H)
            Tensor gc = grad.select(0, 1);
            Tensor[] dGates = new Tensor[t];
            Tensor dh = null;                                                      // from step s + 1 into h[s + 1]
            Tensor dc = null;
            for (int s = t - 1; s >= 0; s--) {
                Tensor dhs = dh == null ? gh.select(1, s) : gh.select(1, s).add(dh);
                Tensor dcs = gc.select(1, s).add(dhs.mul(o[s]).mul(tc[s].mul(tc[s]).neg().add(1)));
                if (dc != null) {
                    dcs = dcs.add(dc);
                }
                Tensor di = dcs.mul(g[s]).mul(i[s].mul(i[s].neg().add(1)));
                Tensor df = dcs.mul(c[s]).mul(f[s].mul(f[s].neg().add(1)));
                Tensor dg = dcs.mul(i[s]).mul(g[s].mul(g[s]).neg().add(1));
                Tensor dout = dhs.mul(tc[s]).mul(o[s].mul(o[s].neg().add(1)));
                dGates[s] = Tensor.cat(1, di, df, dg, dout);                       // (B, 4H)
                dh = dGates[s].matmul(whh);                                        // (B, H)
                dc = dcs.mul(f[s]);
            }
            Tensor dPre = Tensor.stack(1, dGates);                                 // (B, T, 4H)
            Tensor dWhh = null;
            if (needsGrad(1)) {
                // sum over steps of dGates_sᵀ h_s: one (4H, B T) x (B T, H) product
                Tensor hPrev = Tensor.stack(1, java.util.Arrays.copyOf(h, t));     // (B, T, H)
                dWhh = dPre.reshape(b * t, 4 * hid).t().matmul(hPrev.reshape(b * t, hid));
            }
            return new Tensor[] {needsGrad(0) ? dPre : null, dWhh, needsGrad(2) ? dh : null, needsGrad(3) ? dc : null};
        }

        /**
         * The backward above from the forward's saved steps, for the usual first-order pass: one
         * fused kernel per step writes each gate's gradient straight into its columns of d pre
         * (the tensor-op version makes a dozen arrays per step and then copies them together
         * twice, into each step's gates and into the stack).
         */
        private Tensor[] firstOrder(NdArray grad) {
            NdArray whh = saved(1).data();
            NdArray h0 = saved(2).data();
            NdArray c0 = saved(3).data().contiguous();
            int b = act.size(1);
            int t = act.size(0);
            int hid = whh.size(1);
            NdArray g = act.dtype() == DType.F32 ? grad.contiguous() : grad;       // the kernel's rows
            NdArray gh = g.select(0, 0);                                           // (B, T, H)
            NdArray gc = g.select(0, 1);
            NdArray dPre = NdArray.empty(whh.dtype(), b, t, 4 * hid);               // every step's rows written
            NdArray dh = NdArray.zeros(whh.dtype(), b, hid);                       // from step s + 1 into h[s + 1]
            NdArray dc = NdArray.zeros(whh.dtype(), b, hid);
            PackedMatrix whhPacked = whh.pack();                                   // (4H, H), for all T products
            for (int s = t - 1; s >= 0; s--) {
                NdArray cPrev = s == 0 ? c0 : states.select(0, 1).select(1, s - 1);
                NdArray dGates = dPre.select(1, s);                                // (B, 4H)
                cellBackward(act.select(0, s), tanhC.select(0, s), cPrev, gh.select(1, s), gc.select(1, s), dh, dc,
                        dGates);
                dGates.matmul(whhPacked, dh);                                      // (B, H)
            }
            NdArray dWhh = null;
            if (needsGrad(1)) {
                // sum over steps of dGates_sᵀ h_s: one (4H, B T) x (B T, H) product
                NdArray hPrev = NdArray.empty(whh.dtype(), b, t, hid);             // (B, T, H): h0, h_0 .. h_{T-2}
                hPrev.select(1, 0).copyFrom(h0);
                hPrev.narrow(1, 1, t - 1).copyFrom(states.select(0, 0).narrow(1, 0, t - 1));
                dWhh = dPre.reshape(b * t, 4 * hid).t().matmul(hPrev.reshape(b * t, hid));
            }
            act = null;
            tanhC = null;
            states = null;
            return new Tensor[] {needsGrad(0) ? Tensor.of(dPre) : null, dWhh == null ? null : Tensor.of(dWhh),
                needsGrad(2) ? Tensor.of(dh) : null, needsGrad(3) ? Tensor.of(dc) : null};
        }

        /**
         * One step back: the gradients of the gates into dGates and dc (in place, from the next
         * step's dc to this step's input's). F32 runs the backend's fused kernel, other dtypes the
         * same formulas as array ops.
         */
        private static void cellBackward(NdArray act, NdArray tanhC, NdArray cPrev, NdArray gh, NdArray gc,
                                         NdArray dh, NdArray dc, NdArray dGates) {
            if (act.dtype() == DType.F32) {
                Backends.get().lstmCellBackward(act, tanhC, cPrev, gh, gc, dh, dc, dGates, dc);
                return;
            }
            int hid = tanhC.size(1);
            NdArray i = act.narrow(1, 0, hid);
            NdArray f = act.narrow(1, hid, hid);
            NdArray g = act.narrow(1, 2 * hid, hid);
            NdArray o = act.narrow(1, 3 * hid, hid);
            NdArray dhs = gh.add(dh);
            NdArray dcs = tanhC.mul(tanhC);                         // dc = gc + dc' + dh o (1 - tanh² c)
            dcs.mul(-1, dcs).add(1, dcs).mul(o, dcs).mul(dhs, dcs).add(gc, dcs).add(dc, dcs);
            NdArray u = o.mul(o);                                                  // d o = dh tanh c o (1 - o)
            o.sub(u, u).mul(tanhC, u).mul(dhs, dGates.narrow(1, 3 * hid, hid));
            i.mul(i, u);                                                           // d i = dc g i (1 - i)
            i.sub(u, u).mul(g, u).mul(dcs, dGates.narrow(1, 0, hid));
            f.mul(f, u);                                                           // d f = dc c' f (1 - f)
            f.sub(u, u).mul(cPrev, u).mul(dcs, dGates.narrow(1, hid, hid));
            g.mul(g, u);                                                           // d g = dc i (1 - g²)
            u.mul(-1, u).add(1, u).mul(i, u).mul(dcs, dGates.narrow(1, 2 * hid, hid));
            dcs.mul(f, dc);
        }
    }
}
