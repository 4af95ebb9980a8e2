package dev.jgrad.nn.optim;

import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.Backends;
import dev.jgrad.tensor.backend.SgdStep;
import java.util.List;

/** SGD with optional momentum and L2 weight decay, with PyTorch's update rule. */
public final class SGD extends Optimizer {
    private final double momentum;
    private final double weightDecay;
    private final NdArray[] velocity;

    public SGD(List<Parameter> params, double lr, double momentum, double weightDecay) {
        super(params, lr);
        if (momentum < 0 || weightDecay < 0) {
            throw new IllegalArgumentException("SGD: momentum and weight decay must be >= 0, got " + momentum + ", "
                    + weightDecay);
        }
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.velocity = new NdArray[params.size()];
    }

    public SGD(List<Parameter> params, double lr) {
        this(params, lr, 0, 0);
    }

    @Override
    public java.util.Map<String, NdArray> stateArrays() {
        java.util.Map<String, NdArray> out = new java.util.LinkedHashMap<>();
        saveSlots(out, "velocity", velocity);
        return out;
    }

    @Override
    public void loadStateArrays(java.util.Map<String, NdArray> state, long steps) {
        loadSlots(state, "velocity", velocity);
        restoreSteps(steps);
    }

    @Override
    protected void update(int i, Parameter p) {
        NdArray w = p.data();
        NdArray g = p.grad();
        if (w.dtype() == DType.F32 && w.isContiguous() && g.dtype() == DType.F32) {
            // The fused kernel: one pass over w, g (and the velocity), in place, no temporaries.
            boolean first = momentum != 0 && velocity[i] == null;
            if (first) {
                velocity[i] = NdArray.zeros(DType.F32, w.shape());
            }
            Backends.get().sgdStep(w, g.contiguous(), velocity[i],
                    new SgdStep((float) lr(), (float) momentum, (float) weightDecay, first));
            return;
        }
        updateComposite(i, p);
    }

    /** The same update from array ops: F64 parameters, and the oracle the fused kernel is tested against. */
    void updateComposite(int i, Parameter p) {
        NdArray g = p.grad();
        if (weightDecay != 0) {
            g = g.add(p.data().mul(weightDecay));
        }
        if (momentum != 0) {
            velocity[i] = velocity[i] == null ? g.copy() : velocity[i].mul(momentum).add(g);
            g = velocity[i];
        }
        p.assign(p.data().sub(g.mul(lr())));
    }
}
