package dev.jgrad.lm.cli;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.io.PrintStream;
import java.util.Arrays;

/** The engine demo: micrograd's expression, then two SGD steps of a tiny MLP. */
final class Demo {
    private Demo() {
    }

    /** micrograd README's expression at a = -4, b = 2, after backward: {g, dg/da, dg/db}. */
    static double[] micrograd() {
        Tensor a = Tensor.param(NdArray.scalar(DType.F64, -4));
        Tensor b = Tensor.param(NdArray.scalar(DType.F64, 2));
        Tensor c = a.add(b);
        Tensor d = a.mul(b).add(b.pow(3));
        c = c.add(c.add(1));
        c = c.add(c.add(1).add(a.neg()));
        d = d.add(d.mul(2).add(b.add(a).relu()));
        d = d.add(d.mul(3).add(b.sub(a).relu()));
        Tensor e = c.sub(d);
        Tensor f = e.pow(2);
        Tensor g = f.div(2.0).add(Tensor.scalar(DType.F64, 10.0).div(f));
        g.backward();
        return new double[] {g.item(), a.grad().item(), b.grad().item()};
    }

    /** Prints the demo; returns its numbers: micrograd's g, dg/da, dg/db and the MLP's two losses. */
    static double[] run(PrintStream out) {
        out.println("== micrograd's expression, a = -4, b = 2 (published: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773)");
        double[] m = micrograd();
        out.printf("g = %.4f   dg/da = %.4f   dg/db = %.4f%n%n", m[0], m[1], m[2]);

        out.println("== a 3-4-1 tanh MLP on 4 points, mean squared error, SGD (lr 0.1)");
        Generator gen = new Generator(42);
        Tensor x = Tensor.of(NdArray.fromArray(new float[][] {{2, 3, -1}, {3, -1, 0.5f}, {0.5f, 1, 1}, {1, 1, -1}}));
        Tensor y = Tensor.of(NdArray.fromArray(new float[][] {{1}, {-1}, {-1}, {1}}));
        Tensor w1 = Tensor.param(NdArray.randn(gen, DType.F32, 3, 4).mul(0.5));
        Tensor w2 = Tensor.param(NdArray.randn(gen, DType.F32, 4, 1).mul(0.5));
        double[] losses = new double[2];
        for (int step = 0; step < 2; step++) {
            Tensor pred = x.matmul(w1).tanh().matmul(w2).tanh();
            Tensor loss = pred.sub(y).pow(2).mean();
            loss.backward();
            losses[step] = loss.item();
            out.printf("step %d  loss = %.6f%n", step, losses[step]);
            if (step == 0) {
                out.println("predictions " + Arrays.toString(pred.data().toFloatArray()));
                out.println("dloss/dw2 = " + w2.grad().data());
            }
            w1 = Tensor.param(w1.data().sub(w1.grad().data().mul(0.1)));
            w2 = Tensor.param(w2.data().sub(w2.grad().data().mul(0.1)));
        }
        return new double[] {m[0], m[1], m[2], losses[0], losses[1]};
    }
}
