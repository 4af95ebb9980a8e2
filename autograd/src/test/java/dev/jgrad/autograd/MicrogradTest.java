package dev.jgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.tensor.DType;
import org.junit.jupiter.api.Test;

/** The expression from micrograd's README, with its published values. */
class MicrogradTest {
    private static Tensor leaf(double v) {
        return Tensor.param(dev.jgrad.tensor.NdArray.scalar(DType.F64, v));
    }

    @Test
    void readmeExpressionMatchesPublishedValues() {
        Tensor a = leaf(-4.0);
        Tensor b = leaf(2.0);
        Tensor c = a.add(b);
        Tensor d = a.mul(b).add(b.pow(3));
        c = c.add(c.add(1));
        c = c.add(c.add(1).add(a.neg()));
        d = d.add(d.mul(2).add(b.add(a).relu()));
        d = d.add(d.mul(3).add(b.sub(a).relu()));
        Tensor e = c.sub(d);
        Tensor f = e.pow(2);
        Tensor g = f.div(2.0);
        g = g.add(Tensor.scalar(DType.F64, 10.0).div(f));
        g.backward();
        assertEquals(24.7041, g.item(), 5e-5);
        assertEquals(138.8338, a.grad().item(), 5e-5);
        assertEquals(645.5773, b.grad().item(), 5e-5);
    }
}
