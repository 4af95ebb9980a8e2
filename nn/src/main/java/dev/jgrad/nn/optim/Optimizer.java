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

    public final void zeroGrad() {
        params.forEach(Parameter::zeroGrad);
    }
}
