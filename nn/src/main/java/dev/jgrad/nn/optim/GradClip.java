package dev.jgrad.nn.optim;

import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.Backends;
import java.util.ArrayList;
import java.util.List;

/** Gradient clipping by global norm (PyTorch clip_grad_norm_). */
public final class GradClip {
    private GradClip() {
    }

    /**
     * Scales every gradient in place so that their joint L2 norm is at most {@code maxNorm};
     * returns the norm before clipping.
     */
    public static double clipGradNorm(List<Parameter> params, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clip_grad_norm: max norm must be positive, got " + maxNorm);
        }
        List<NdArray> grads = new ArrayList<>(params.size());
        for (Parameter p : params) {
            NdArray g = p.grad();
            if (g != null) {
                grads.add(g);
            }
        }
        double norm = Math.sqrt(Backends.get().sumOfSquares(grads));
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1) {
            for (Parameter p : params) {
                NdArray g = p.grad();
                if (g != null) {
                    g.mul(scale, g);
                }
            }
        }
        return norm;
    }
}
