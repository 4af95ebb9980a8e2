package dev.jgrad.nn;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;

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
     * projection is one matmul over all T steps, and only the recurrent product stays in the
     * time loop (with its weight transposed once, not at every step).
     */
    public Result forward(Tensor x, State state) {
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
            Tensor pre = seq.matmul(wih[l].tensor().t().contiguous())
                    .add(bih[l].tensor()).add(bhh[l].tensor());                    // (B, T, 4H)
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
}
