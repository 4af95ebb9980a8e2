package dev.jgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
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

    /**
     * add hands one gradient array to both inputs. A leaf keeps a gradient without copying only
     * when nothing else holds it, so two leaves never end up sharing storage.
     */
    @Test
    void leavesHandedTheSameGradientDoNotShareIt() {
        Tensor a = Tensor.randn(gen, DType.F32, 64, 48).requiresGrad(true);
        Tensor b = Tensor.randn(gen, DType.F32, 64, 48).requiresGrad(true);
        a.add(b).tanh().sum().backward();
        assertNotSame(a.grad().data().storageF32(), b.grad().data().storageF32());
        float[] before = b.grad().data().toFloatArray();
        a.grad().data().addFrom(a.grad().data());   // an in-place update of one .grad, as optimizers do
        assertArrayEquals(before, b.grad().data().toFloatArray(), "b's gradient changed with a's");

        Tensor[] returned = Tensor.grad(a.add(b).tanh().sum(), new Tensor[] {a, b}, null, false, false);
        assertNotSame(returned[0].data().storageF32(), returned[1].data().storageF32(), "Tensor.grad");
    }

    /**
     * u = exp(3a) is added to the leaf a twice, so add hands one gradient array both to the Exp
     * node, where it waits as a pending sum, and to a, whose first gradient it is. The other
     * addition then adds into a's .grad in place before Exp has read its sum. Had a kept the
     * shared array, Exp would read a corrupted sum. Each order of the operands, and each order
     * of creation (the engine runs the later branch first); compared bit for bit with a pass
     * that recycles nothing.
     */
    @Test
    void aLeafDoesNotKeepAGradientAPendingNodeStillReads() {
        for (boolean leafFirst : new boolean[] {true, false}) {
            for (boolean n2First : new boolean[] {true, false}) {
                float[][] grads = new float[2][];
                for (int pass = 0; pass < 2; pass++) {
                    Tensor a = Tensor.of(x.data()).requiresGrad(true);
                    Tensor u = a.mul(3).exp();
                    Tensor n2 = n2First ? a.add(u).tanh() : null;
                    Tensor n1 = leafFirst ? a.add(u) : u.add(a);
                    if (!n2First) {
                        n2 = a.add(u).tanh();
                    }
                    Tensor out = n1.mul(n2);
                    if (pass == 1) {
                        out = new KeepingIdentity().apply(out);   // recycling off
                    }
                    out.sum().backward();
                    grads[pass] = a.grad().data().toFloatArray();
                }
                assertArrayEquals(grads[1], grads[0], "leaf first: " + leafFirst + ", n2 first: " + n2First);
            }
        }
    }

    /**
     * out = (a + 1 + tanh(exp(3a))) * tanh(a). The outer add leaves one gradient array pending at
     * both a + 1 and the Tanh of exp; a + 1 then passes it on to a, and tanh(a) (created in
     * between, so it runs in between) adds into a's .grad in place before the Tanh of exp has
     * read its pending gradient. Compared bit for bit with a pass that recycles nothing, for
     * .grad and for the gradient Tensor.grad returns.
     */
    @Test
    void aLeafDoesNotKeepAGradientAnotherPendingSumHolds() {
        float[][] grads = new float[3][];
        for (int pass = 0; pass < 3; pass++) {
            Tensor a = Tensor.of(x.data()).requiresGrad(true);
            Tensor q = a.mul(3).exp().tanh();
            Tensor r = a.tanh();
            Tensor out = a.add(1.0).add(q).mul(r);
            if (pass == 1) {
                out = new KeepingIdentity().apply(out);   // recycling off
            }
            if (pass == 2) {
                grads[pass] = Tensor.grad(out.sum(), new Tensor[] {a}, null, false, false)[0].data().toFloatArray();
            } else {
                out.sum().backward();
                grads[pass] = a.grad().data().toFloatArray();
            }
        }
        assertArrayEquals(grads[1], grads[0], ".grad");
        assertArrayEquals(grads[1], grads[2], "Tensor.grad");
    }
}
