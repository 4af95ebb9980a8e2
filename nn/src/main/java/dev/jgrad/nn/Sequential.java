package dev.jgrad.nn;

import dev.jgrad.autograd.Tensor;
import java.util.List;

/** Layers applied in order; children are named "0", "1", ... as in PyTorch. */
public final class Sequential extends Module implements Layer {
    private final List<Layer> layers;

    public Sequential(Layer... layers) {
        for (int i = 0; i < layers.length; i++) {
            if (!(layers[i] instanceof Module m)) {
                throw new IllegalArgumentException("Sequential: layer " + i + " is not a Module");
            }
            child(Integer.toString(i), m);
        }
        this.layers = List.of(layers);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (Layer l : layers) {
            h = l.forward(h);
        }
        return h;
    }
}
