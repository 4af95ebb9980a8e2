package example;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.NdArray;

/**
 * A user-defined op (outside jgrad's packages) that passes its input through and keeps the
 * gradient it receives: the one thing an op of our own never does, and the reason the engine
 * recycles no gradient of a pass whose graph holds a user-defined op.
 */
public final class KeepingIdentity extends Function {
    public Tensor kept;

    @Override
    protected NdArray forward(Tensor... inputs) {
        return inputs[0].data();
    }

    @Override
    protected Tensor[] backward(Tensor grad) {
        kept = grad;
        return new Tensor[] {grad};
    }
}
