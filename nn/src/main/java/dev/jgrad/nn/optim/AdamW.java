package dev.jgrad.nn.optim;

import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.AdamStep;
import dev.jgrad.tensor.backend.Backends;
import java.util.List;

/**
 * Adam (Kingma and Ba 2014) with decoupled weight decay (Loshchilov and Hutter 2017). As in
 * nanoGPT, decay applies only to parameters of rank >= 2 (matrices, embeddings), never to
 * biases or LayerNorm gains. With weightDecay = 0 this is plain Adam.
 */
public final class AdamW extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NdArray[] m;
    private final NdArray[] v;

    public AdamW(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0 && weightDecay >= 0)) {
            throw new IllegalArgumentException("AdamW: invalid betas (" + beta1 + ", " + beta2 + "), eps " + eps
                    + " or weight decay " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = new NdArray[params.size()];
        this.v = new NdArray[params.size()];
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0.01);
    }

    /** Plain Adam (no decay). */
    public static AdamW adam(List<Parameter> params, double lr) {
        return new AdamW(params, lr, 0.9, 0.999, 1e-8, 0);
    }

    @Override
    public java.util.Map<String, NdArray> stateArrays() {
        java.util.Map<String, NdArray> out = new java.util.LinkedHashMap<>();
        saveSlots(out, "m", m);
        saveSlots(out, "v", v);
        return out;
    }

    @Override
    public void loadStateArrays(java.util.Map<String, NdArray> state, long steps) {
        loadSlots(state, "m", m);
        loadSlots(state, "v", v);
        restoreSteps(steps);
    }

    @Override
    protected void update(int i, Parameter p) {
        NdArray g = p.grad();
        NdArray w0 = p.data();
        if (w0.dtype() == DType.F32 && w0.isContiguous() && g.dtype() == DType.F32) {
            // The fused kernel: one pass over w, g, m, v, updating in place.
            if (m[i] == null) {
                m[i] = NdArray.zeros(DType.F32, w0.shape());
                v[i] = NdArray.zeros(DType.F32, w0.shape());
            }
            boolean decayed = weightDecay != 0 && w0.rank() >= 2;
            Backends.get().adamwStep(w0, g.contiguous(), m[i], v[i], new AdamStep((float) lr(), (float) beta1,
                    (float) beta2, (float) eps, decayed ? (float) (1 - lr() * weightDecay) : 1f,
                    (float) (1 - Math.pow(beta1, steps())), (float) (1 - Math.pow(beta2, steps()))));
            return;
        }
        updateComposite(i, p);
    }

    /** The same update from array ops: F64 parameters, and the oracle the fused kernel is tested against. */
    void updateComposite(int i, Parameter p) {
        NdArray g = p.grad();
        m[i] = m[i] == null ? g.mul(1 - beta1) : m[i].mul(beta1).add(g.mul(1 - beta1));
        v[i] = v[i] == null ? g.mul(g).mul(1 - beta2) : v[i].mul(beta2).add(g.mul(g).mul(1 - beta2));
        double bc1 = 1 - Math.pow(beta1, steps());
        double bc2 = 1 - Math.pow(beta2, steps());
        NdArray w = p.data();
        if (weightDecay != 0 && w.rank() >= 2) {
            w = w.mul(1 - lr() * weightDecay);
        }
        NdArray denom = v[i].div(bc2).sqrt().add(eps);
        p.assign(w.sub(m[i].div(bc1).div(denom).mul(lr())));
    }
}
