package dev.jgrad.nn.optim;

import dev.jgrad.nn.Parameter;
import java.util.List;

/** Updates parameters in place from their gradients. */
public abstract class Optimizer {
    protected final List<Parameter> params;
    private double lr;
    private long steps;

    protected Optimizer(List<Parameter> params, double lr) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": no parameters to optimize");
        }
        if (!(lr >= 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": learning rate must be >= 0, got " + lr);
        }
        this.params = List.copyOf(params);
        this.lr = lr;
    }

    public double lr() {
        return lr;
    }

    /** Sets the learning rate for the next steps (schedules call this). */
    public void setLr(double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": learning rate must be >= 0, got " + lr);
        }
        this.lr = lr;
    }

    public long steps() {
        return steps;
    }

    /** One update; parameters without a gradient are left alone. */
    public final void step() {
        steps++;
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            if (p.grad() != null) {
                update(i, p);
            }
        }
    }

    protected abstract void update(int index, Parameter p);

    /** Internal state (moments, velocities) keyed "kind.index", for checkpoints. */
    public abstract java.util.Map<String, dev.jgrad.tensor.NdArray> stateArrays();

    /** Restores what {@link #stateArrays} gave, and the step count. */
    public abstract void loadStateArrays(java.util.Map<String, dev.jgrad.tensor.NdArray> state, long steps);

    protected final void restoreSteps(long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("optimizer: negative step count " + steps);
        }
        this.steps = steps;
    }

    /** Reads state arrays named prefix.i into slots, checking shapes against the parameters. */
    protected final void loadSlots(java.util.Map<String, dev.jgrad.tensor.NdArray> state, String prefix,
                                   dev.jgrad.tensor.NdArray[] slots) {
        for (int i = 0; i < slots.length; i++) {
            dev.jgrad.tensor.NdArray a = state.get(prefix + "." + i);
            if (a != null && !a.shape().equals(params.get(i).shape())) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": state " + prefix + "." + i + " has shape "
                        + a.shape() + " but parameter " + i + " has " + params.get(i).shape());
            }
            slots[i] = a == null ? null : a.copy();
        }
    }

    protected static void saveSlots(java.util.Map<String, dev.jgrad.tensor.NdArray> out, String prefix,
                                    dev.jgrad.tensor.NdArray[] slots) {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null) {
                out.put(prefix + "." + i, slots[i]);
            }
        }
    }

    public final void zeroGrad() {
        params.forEach(Parameter::zeroGrad);
    }
}
