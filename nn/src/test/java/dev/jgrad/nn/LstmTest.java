package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.autograd.check.GradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.util.List;
import org.junit.jupiter.api.Test;

class LstmTest {
    /** A loss that reaches every output: the sequence and the final h and c of every layer. */
    private static Tensor loss(LSTM.Result r, NdArray up, NdArray[] upState) {
        Tensor l = r.output().mul(Tensor.of(up)).sum();
        for (int i = 0; i < r.state().h().length; i++) {
            l = l.add(r.state().h()[i].mul(Tensor.of(upState[i])).sum())
                    .add(r.state().c()[i].mul(Tensor.of(upState[i]).tanh()).sum());
        }
        return l;
    }

    /**
     * The fused time loop against the step-by-step composite it replaces: outputs, final states and
     * the gradients of the input, the initial states and every parameter.
     */
    @Test
    void fusedSequenceMatchesTheStepByStepComposite() {
        // (B, T, I, H, layers); the last is wide enough (B H = 1024) for its gradients to go
        // through the ArrayPool, so one recycled while still in use would show here.
        int[][] shapes = {{3, 5, 4, 6, 2}, {2, 1, 3, 5, 1}, {4, 9, 2, 16, 1}, {4, 6, 3, 256, 1}};
        for (DType dt : new DType[] {DType.F64, DType.F32}) {
            for (int[] sh : shapes) {
                int b = sh[0];
                int t = sh[1];
                int layers = sh[4];
                LSTM lstm = new LSTM(sh[2], sh[3], layers, new Generator(7), dt);
                Generator g = new Generator(8);
                NdArray x = NdArray.randn(g, dt, b, t, sh[2]);
                NdArray up = NdArray.randn(g, dt, b, t, sh[3]);
                NdArray[] upState = new NdArray[layers];
                Tensor[] h0 = new Tensor[layers];
                Tensor[] c0 = new Tensor[layers];
                for (int l = 0; l < layers; l++) {
                    upState[l] = NdArray.randn(g, dt, b, sh[3]);
                    h0[l] = Tensor.param(NdArray.randn(g, dt, b, sh[3]));
                    c0[l] = Tensor.param(NdArray.randn(g, dt, b, sh[3]));
                }
                double tol = dt == DType.F64 ? 1e-12 : 2e-5;
                List<double[]> grads = new java.util.ArrayList<>();
                NdArray[] outs = new NdArray[2];
                for (int run = 0; run < 2; run++) {
                    lstm.zeroGrad();
                    Tensor xin = Tensor.param(x);
                    Tensor[] hin = new Tensor[layers];
                    Tensor[] cin = new Tensor[layers];
                    for (int l = 0; l < layers; l++) {
                        hin[l] = Tensor.param(h0[l].data());
                        cin[l] = Tensor.param(c0[l].data());
                    }
                    LSTM.State s = new LSTM.State(hin, cin);
                    LSTM.Result r = run == 0 ? lstm.forwardComposite(xin, s) : lstm.forward(xin, s);
                    outs[run] = r.output().data();
                    loss(r, up, upState).backward();
                    String at = dt + " " + java.util.Arrays.toString(sh) + (run == 0 ? " composite" : " fused");
                    List<double[]> mine = new java.util.ArrayList<>();
                    mine.add(xin.grad().data().toDoubleArray());
                    for (int l = 0; l < layers; l++) {
                        mine.add(hin[l].grad().data().toDoubleArray());
                        mine.add(cin[l].grad().data().toDoubleArray());
                        mine.add(r.state().h()[l].data().toDoubleArray());
                        mine.add(r.state().c()[l].data().toDoubleArray());
                    }
                    for (Parameter p : lstm.parameters()) {
                        mine.add(p.grad().toDoubleArray());
                    }
                    if (run == 0) {
                        grads = mine;
                    } else {
                        assertArrayEquals(outs[0].toDoubleArray(), outs[1].toDoubleArray(), tol, at + " output");
                        assertEquals(grads.size(), mine.size());
                        for (int i = 0; i < mine.size(); i++) {
                            assertArrayEquals(grads.get(i), mine.get(i), tol * 10, at + " value " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void fusedSequencePassesGradcheck() {
        Generator g = new Generator(9);
        LSTM lstm = new LSTM(3, 4, 2, g, DType.F64);
        Tensor x = Tensor.param(NdArray.randn(g, DType.F64, 2, 4, 3));
        Tensor h0 = Tensor.param(NdArray.randn(g, DType.F64, 2, 4));
        Tensor c0 = Tensor.param(NdArray.randn(g, DType.F64, 2, 4));
        GradCheck.assertGradients(in -> {
            LSTM.Result r = lstm.forward(in[0], new LSTM.State(new Tensor[] {in[1], in[1].tanh()},
                    new Tensor[] {in[2], in[2].mul(0.5)}));
            return r.output().add(r.state().c()[1].unsqueeze(1)).add(r.state().h()[0].unsqueeze(1));
        }, x, h0, c0);
    }

    /**
     * A second backward through a retained graph finds the saved steps gone and recomputes them
     * (the tensor-op backward): it must add the same gradients again.
     */
    @Test
    void secondBackwardThroughARetainedGraphAddsTheSameGradients() {
        Generator g = new Generator(11);
        LSTM lstm = new LSTM(3, 5, 2, g, DType.F64);
        Tensor x = Tensor.param(NdArray.randn(g, DType.F64, 2, 4, 3));
        Tensor up = Tensor.of(NdArray.randn(g, DType.F64, 2, 4, 5));
        Tensor out = lstm.forward(x, null).output();
        out.backward(up, true, false);
        double[] once = x.grad().data().toDoubleArray();
        double[] w = lstm.parameters().get(1).grad().toDoubleArray();
        out.backward(up, false, false);
        double[] twice = x.grad().data().toDoubleArray();
        double[] w2 = lstm.parameters().get(1).grad().toDoubleArray();
        for (int k = 0; k < once.length; k++) {
            assertEquals(2 * once[k], twice[k], 1e-12);
        }
        for (int k = 0; k < w.length; k++) {
            assertEquals(2 * w[k], w2[k], 1e-12);
        }
    }

    /** Gradients of gradients (create_graph) through the fused loop equal the composite's. */
    @Test
    void secondOrderThroughTheFusedSequenceMatchesTheComposite() {
        Generator g = new Generator(10);
        LSTM lstm = new LSTM(3, 5, 1, g, DType.F64);
        NdArray x = NdArray.randn(g, DType.F64, 2, 4, 3);
        double[][] hv = new double[2][];
        for (int run = 0; run < 2; run++) {
            lstm.zeroGrad();
            Tensor xin = Tensor.param(x);
            LSTM.Result r = run == 0 ? lstm.forwardComposite(xin, null) : lstm.forward(xin, null);
            Tensor gx = Tensor.grad(r.output().pow(2).sum(), new Tensor[] {xin}, null, true, true)[0];
            Tensor gg = gx.pow(2).sum();
            gg.backward();
            hv[run] = xin.grad().data().toDoubleArray();
            double[] w = lstm.parameters().get(1).grad().toDoubleArray();
            hv[run] = java.util.stream.DoubleStream.concat(java.util.Arrays.stream(hv[run]), java.util.Arrays.stream(w))
                    .toArray();
        }
        assertArrayEquals(hv[0], hv[1], 1e-10);
    }
}
