package dev.jgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.ArrayPool;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import example.KeepingIdentity;
import org.junit.jupiter.api.Test;

/**
 * The engine hands dead intermediate gradients back to the {@link ArrayPool}: results must not
 * change by a bit, and nothing anyone can still reach may ever be overwritten.
 */
class RecyclingTest {
    private final Generator gen = new Generator(21);
    // Every intermediate has at least ArrayPool.MIN_LENGTH elements, so all of them are candidates.
    private final Tensor x = Tensor.randn(gen, DType.F32, 64, 48).requiresGrad(true);
    private final Tensor w1 = Tensor.randn(gen, DType.F32, 48, 48).requiresGrad(true);
    private final Tensor b1 = Tensor.randn(gen, DType.F32, 48).requiresGrad(true);
    private final Tensor w2 = Tensor.randn(gen, DType.F32, 64, 40).requiresGrad(true);

    /**
     * Shared subexpressions (pending sums), views (chunk, narrow, transpose), broadcasting (the
     * bias), a gradient passed through unchanged (add) and products: every way a gradient can be
     * aliased on its way back.
     */
    private Tensor loss(Function userOp, double scale) {
        Tensor h = x.mul(scale).matmul(w1).add(b1).tanh();
        if (userOp != null) {
            h = userOp.apply(h);
        }
        Tensor r = h.add(h.mul(h));
        Tensor[] halves = r.chunk(2, 1);
        Tensor y = halves[0].mul(halves[1]).add(r.narrow(1, 8, 24)).add(h.narrow(1, 0, 24));
        Tensor z = y.t().matmul(w2).gelu();
        return z.mul(z).sum().add(r.sum());
    }

    private float[][] gradients(Function userOp) {
        for (Tensor p : new Tensor[] {x, w1, b1, w2}) {
            p.zeroGrad();
        }
        loss(userOp, 1).backward();
        return new float[][] {x.grad().data().toFloatArray(), w1.grad().data().toFloatArray(),
            b1.grad().data().toFloatArray(), w2.grad().data().toFloatArray()};
    }

    @Test
    void gradientsAreBitIdenticalWithAndWithoutRecycling() {
        ArrayPool.clear();
        float[][] recycled = gradients(null);
        assertTrue(ArrayPool.heldFloats() > 0, "the pass should have handed gradients back");
        float[][] again = gradients(null);   // this forward and backward draw on the pool
        ArrayPool.clear();
        float[][] fresh = gradients(new KeepingIdentity());
        assertEquals(0, ArrayPool.heldFloats(), "a user-defined op in the graph turns recycling off");
        for (int i = 0; i < fresh.length; i++) {
            assertArrayEquals(fresh[i], recycled[i], "gradient " + i);
            assertArrayEquals(fresh[i], again[i], "gradient " + i + ", second pass");
        }
    }

    @Test
    void nothingReachableIsOverwrittenByLaterPasses() {
        KeepingIdentity keeper = new KeepingIdentity();
        loss(keeper, 1).backward();
        float[] kept = keeper.kept.data().toFloatArray();

        Tensor h = x.matmul(w1).add(b1).tanh();
        h.retainGrad();
        Tensor r = h.add(h.mul(h));
        Tensor[] captured = Tensor.grad(r.tanh().sum(), new Tensor[] {h}, null, true, false);
        r.mul(r).sum().backward();
        Tensor xGrad = x.grad();
        x.zeroGrad();   // the user keeps the old gradient; later passes make new ones
        float[] hData = h.data().toFloatArray();
        float[] rData = r.data().toFloatArray();
        float[] hGrad = h.grad().data().toFloatArray();
        float[] xGradData = xGrad.data().toFloatArray();
        float[] capturedGrad = captured[0].data().toFloatArray();

        for (int pass = 0; pass < 4; pass++) {
            // Other values than above: a recycled array overwritten with the same numbers would hide the bug.
            loss(null, 1.5 + pass).backward();
        }
        assertArrayEquals(kept, keeper.kept.data().toFloatArray(), "a gradient a user op kept");
        assertArrayEquals(hData, h.data().toFloatArray(), "a forward activation");
        assertArrayEquals(rData, r.data().toFloatArray(), "a forward activation");
        assertArrayEquals(hGrad, h.grad().data().toFloatArray(), "a retained gradient");
        assertArrayEquals(capturedGrad, captured[0].data().toFloatArray(), "a gradient from Tensor.grad");
        assertArrayEquals(xGradData, xGrad.data().toFloatArray(), "a leaf's earlier .grad");
    }
}
