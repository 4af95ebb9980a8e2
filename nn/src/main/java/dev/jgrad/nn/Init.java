package dev.jgrad.nn;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;

/** Weight initialisers. All draw from the caller's seeded generator. */
public final class Init {
    private Init() {
    }

    public static NdArray zeros(DType dtype, int... shape) {
        return NdArray.zeros(dtype, shape);
    }

    public static NdArray normal(Generator g, DType dtype, double std, int... shape) {
        return NdArray.randn(g, dtype, shape).mul(std);
    }

    public static NdArray uniform(Generator g, DType dtype, double bound, int... shape) {
        return NdArray.rand(g, dtype, shape).mul(2 * bound).sub(bound);
    }

    /** Glorot and Bengio 2010: U(-a, a), a = sqrt(6 / (fanIn + fanOut)), for a (fanOut, fanIn) weight. */
    public static NdArray xavierUniform(Generator g, DType dtype, int fanOut, int fanIn) {
        return uniform(g, dtype, Math.sqrt(6.0 / (fanIn + fanOut)), fanOut, fanIn);
    }

    /** He et al. 2015: N(0, gain / sqrt(fanIn)); gain 5/3 for tanh, sqrt(2) for ReLU. */
    public static NdArray kaimingNormal(Generator g, DType dtype, double gain, int fanOut, int fanIn) {
        return normal(g, dtype, gain / Math.sqrt(fanIn), fanOut, fanIn);
    }
}
