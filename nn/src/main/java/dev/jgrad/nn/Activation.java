package dev.jgrad.nn;

import dev.jgrad.autograd.Tensor;

/** Parameter-free elementwise layers, for use in a {@link Sequential}. */
public final class Activation extends Module implements Layer {
    public enum Kind { TANH, RELU, GELU, SIGMOID }

    private final Kind kind;

    public Activation(Kind kind) {
        this.kind = kind;
    }

    public static Activation tanh() {
        return new Activation(Kind.TANH);
    }

    public static Activation relu() {
        return new Activation(Kind.RELU);
    }

    public static Activation gelu() {
        return new Activation(Kind.GELU);
    }

    public static Activation sigmoid() {
        return new Activation(Kind.SIGMOID);
    }

    @Override
    public Tensor forward(Tensor x) {
        return switch (kind) {
            case TANH -> x.tanh();
            case RELU -> x.relu();
            case GELU -> x.gelu();
            case SIGMOID -> x.sigmoid();
        };
    }
}
