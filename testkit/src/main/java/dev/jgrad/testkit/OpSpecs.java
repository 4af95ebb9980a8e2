package dev.jgrad.testkit;

import static dev.jgrad.testkit.Generators.fill;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.testkit.OpSpec.Inputs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * The op spec table: one row per differentiable op of {@link Tensor}. The generic properties in
 * {@link OpProperties} run every row; a new op needs only a new row here.
 */
public final class OpSpecs {
    static final int MAX_RANK = 3;
    static final int MAX_DIM = 4;

    private OpSpecs() {
    }

    /** Every row, in a stable order. */
    public static List<OpSpec> all() {
        List<OpSpec> t = new ArrayList<>();
        // ---- unary elementwise
        t.add(unary("neg", Domain.ANY, Tensor::neg, x -> -x));
        t.add(unary("exp", Domain.ANY, Tensor::exp, Math::exp));
        t.add(unary("log", Domain.POSITIVE, Tensor::log, Math::log));
        t.add(unary("sqrt", Domain.POSITIVE, Tensor::sqrt, Math::sqrt));
        t.add(unary("rsqrt", Domain.POSITIVE, Tensor::rsqrt, x -> 1 / Math.sqrt(x)));
        t.add(unary("abs", Domain.AWAY_FROM_ZERO, Tensor::abs, Math::abs));
        t.add(unary("sign", Domain.AWAY_FROM_ZERO, Tensor::sign, Math::signum));
        t.add(unary("tanh", Domain.ANY, Tensor::tanh, Math::tanh));
        t.add(unary("sigmoid", Domain.ANY, Tensor::sigmoid, x -> 1 / (1 + Math.exp(-x))));
        t.add(unary("relu", Domain.AWAY_FROM_ZERO, Tensor::relu, x -> Math.max(x, 0)));
        t.add(unary("gelu", Domain.ANY, Tensor::gelu, x -> 0.5 * x * (1 + Special.erf(x / Math.sqrt(2)))));
        t.add(unary("geluGrad", Domain.ANY, Tensor::geluGrad,
                x -> 0.5 * (1 + Special.erf(x / Math.sqrt(2))) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI)));
        t.add(unary("erf", Domain.ANY, Tensor::erf, Special::erf));
        t.add(unary("sin", Domain.ANY, Tensor::sin, Math::sin));
        t.add(unary("cos", Domain.ANY, Tensor::cos, Math::cos));
        t.add(unary("pow_scalar_3", Domain.ANY, x -> x.pow(3), x -> x * x * x));
        t.add(unary("pow_scalar_0", Domain.ANY, x -> x.pow(0), x -> 1.0));
        t.add(unary("pow_scalar_2.5", Domain.POSITIVE, x -> x.pow(2.5), x -> Math.pow(x, 2.5)));
        t.add(unary("clamp", Domain.AWAY_FROM_HALF, x -> x.clamp(-0.5, 0.5), x -> Math.min(Math.max(x, -0.5), 0.5)));
        t.add(unary("add_scalar", Domain.ANY, x -> x.add(1.5), x -> x + 1.5));
        t.add(unary("mul_scalar", Domain.ANY, x -> x.mul(-3), x -> x * -3));
        // ---- binary elementwise with broadcasting
        t.add(binary("add", Domain.ANY, Domain.ANY, Tensor::add, Double::sum));
        t.add(binary("sub", Domain.ANY, Domain.ANY, Tensor::sub, (a, b) -> a - b));
        t.add(binary("mul", Domain.ANY, Domain.ANY, Tensor::mul, (a, b) -> a * b));
        t.add(binary("div", Domain.ANY, Domain.AWAY_FROM_ZERO, Tensor::div, (a, b) -> a / b));
        t.add(binary("pow", Domain.POSITIVE, Domain.ANY, Tensor::pow, Math::pow));
        t.add(binary("maximum", Domain.ANY, Domain.ANY, Tensor::maximum, Math::max));
        t.add(binary("minimum", Domain.ANY, Domain.ANY, Tensor::minimum, Math::min));
        t.add(OpSpec.of("where", OpSpecs::whereInputs,
                (in, p) -> Tensor.where(in[0], in[1], in[2]),
                (in, p) -> RefArray.where(in[0], in[1], in[2])));
        t.add(OpSpec.of("masked_fill", OpSpecs::maskedFillInputs,
                (in, p) -> in[1].maskedFill(in[0], 7),
                (in, p) -> RefArray.where(in[0], new RefArray(new int[0], new double[] {7}), in[1])));
        // ---- reductions (params: keepdim, dims...)
        t.add(reduction("sum", 0, (x, d, k) -> x.sum(d, k), v -> Arrays.stream(v).sum()));
        t.add(reduction("mean", 1, (x, d, k) -> x.mean(d, k), v -> Arrays.stream(v).sum() / v.length));
        t.add(reduction("max", 1, (x, d, k) -> x.max(d, k), v -> Arrays.stream(v).max().orElseThrow()));
        t.add(reduction("min", 1, (x, d, k) -> x.min(d, k), v -> Arrays.stream(v).min().orElseThrow()));
        t.add(reduction("prod", 0, (x, d, k) -> x.prod(d, k), v -> Arrays.stream(v).reduce(1, (a, b) -> a * b)));
        t.add(reduction("logsumexp", 1, (x, d, k) -> x.logsumexp(d, k),
                v -> Math.log(Arrays.stream(v).map(Math::exp).sum())));
        t.add(reduction("var", 2, (x, d, k) -> x.var(d, 1, k), OpSpecs::sampleVariance));
        t.add(reduction("std", 2, (x, d, k) -> x.std(d, 1, k), v -> Math.sqrt(sampleVariance(v))));
        // ---- along one dim (params: dim)
        t.add(alongDim("softmax", Tensor::softmax, OpSpecs::softmaxRow));
        t.add(alongDim("log_softmax", Tensor::logSoftmax,
                row -> Arrays.stream(softmaxRow(row)).map(Math::log).toArray()));
        t.add(alongDim("cumsum", Tensor::cumsum, row -> {
            double[] out = new double[row.length];
            double s = 0;
            for (int i = 0; i < row.length; i++) {
                out[i] = s += row[i];
            }
            return out;
        }));
        // ---- linear algebra
        t.add(OpSpec.of("matmul", () -> Generators.matmulPairs(MAX_DIM).flatMap(s -> floats(Domain.ANY, s[0], s[1])),
                (in, p) -> in[0].matmul(in[1]), (in, p) -> RefArray.matmul(in[0], in[1])));
        t.add(OpSpec.of("linear", () -> Combinators.combine(Arbitraries.integers().between(0, MAX_DIM),
                        Arbitraries.integers().between(1, MAX_DIM), Arbitraries.integers().between(1, MAX_DIM))
                        .as((r, in, out) -> new int[][] {{r, in}, {out, in}, {out}})
                        .flatMap(s -> floats(Domain.ANY, s[0], s[1], s[2])),
                (in, p) -> new dev.jgrad.autograd.ops.Products.Linear().apply(in[0], in[1], in[2]),
                (in, p) -> RefArray.zip(RefArray.matmul(in[0], in[1].permute(1, 0)),
                        in[2].expand(new int[] {in[0].shape()[0], in[1].shape()[0]}), Double::sum)));
        MovementSpecs.addTo(t);
        IndexingSpecs.addTo(t);
        return List.copyOf(t);
    }

    // ------------------------------------------------------------------ row builders

    static OpSpec unary(String name, Domain d, Function<Tensor, Tensor> op, DoubleUnaryOperator ref) {
        return OpSpec.of(name, () -> Generators.shapes(MAX_RANK, MAX_DIM).flatMap(s -> floats(d, s)),
                (in, p) -> op.apply(in[0]), (in, p) -> in[0].map(ref));
    }

    static OpSpec binary(String name, Domain da, Domain db, java.util.function.BinaryOperator<Tensor> op,
                         DoubleBinaryOperator ref) {
        return OpSpec.of(name, () -> Generators.broadcastablePairs(MAX_RANK, MAX_DIM).flatMap(s -> floats2(da, db, s)),
                (in, p) -> op.apply(in[0], in[1]), (in, p) -> RefArray.zip(in[0], in[1], ref));
    }

    @FunctionalInterface
    interface ReduceOp {
        Tensor apply(Tensor x, int[] dims, boolean keepdim);
    }

    /**
     * @param minReduced 0: empty reductions allowed; 1: at least one element per group;
     *                   2: at least two (sample variance)
     */
    static OpSpec reduction(String name, int minReduced, ReduceOp op, java.util.function.ToDoubleFunction<double[]> ref) {
        Supplier<Arbitrary<Inputs>> gen = () -> Generators.shapes(0, MAX_RANK, minReduced, MAX_DIM)
                .flatMap(s -> Combinators.combine(Arbitraries.longs(), Arbitraries.integers().between(0, 1),
                        Arbitraries.longs()).as((seed, keep, bits) -> {
                            List<Integer> dims = new ArrayList<>();
                            for (int i = 0; i < s.length; i++) {
                                if (((bits >>> i) & 1) == 1) {
                                    dims.add(((bits >>> (8 + i)) & 1) == 1 ? i - s.length : i);
                                }
                            }
                            int[] params = new int[dims.size() + 1];
                            params[0] = keep;
                            for (int i = 0; i < dims.size(); i++) {
                                params[i + 1] = dims.get(i);
                            }
                            return new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed)}, params);
                        }));
        return OpSpec.of(name, gen,
                (in, p) -> op.apply(in[0], Arrays.copyOfRange(p, 1, p.length), p[0] == 1),
                (in, p) -> in[0].reduce(Arrays.copyOfRange(p, 1, p.length), p[0] == 1, ref));
    }

    static OpSpec alongDim(String name, java.util.function.BiFunction<Tensor, Integer, Tensor> op,
                           java.util.function.UnaryOperator<double[]> row) {
        Supplier<Arbitrary<Inputs>> gen = () -> Generators.shapes(MAX_RANK, MAX_DIM).flatMap(s ->
                Combinators.combine(Arbitraries.longs(), Arbitraries.integers().between(-Math.max(s.length, 1),
                        Math.max(s.length, 1) - 1)).as((seed, dim) ->
                        new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed)}, new int[] {dim})));
        return OpSpec.of(name, gen, (in, p) -> op.apply(in[0], p[0]), (in, p) -> in[0].alongDim(p[0], row));
    }

    // ------------------------------------------------------------------ input helpers

    static Arbitrary<Inputs> floats(Domain d, int[]... shapes) {
        return Arbitraries.longs().map(seed -> {
            NdArray[] a = new NdArray[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                a[i] = fill(shapes[i], d, DType.F64, seed + 7919L * i);
            }
            return new Inputs(a, new int[0]);
        });
    }

    static Arbitrary<Inputs> floats2(Domain da, Domain db, int[][] s) {
        return Arbitraries.longs().map(seed -> new Inputs(new NdArray[] {
            fill(s[0], da, DType.F64, seed), fill(s[1], db, DType.F64, seed + 1)}, new int[0]));
    }

    /** (mask, a, b) where the mask has a's shape and a, b broadcast. */
    static Arbitrary<Inputs> whereInputs() {
        return Generators.broadcastablePairs(MAX_RANK, MAX_DIM).flatMap(s -> Arbitraries.longs().map(seed ->
                new Inputs(new NdArray[] {
                    Generators.indices(s[0], 2, seed),
                    fill(s[0], Domain.ANY, DType.F64, seed + 1),
                    fill(s[1], Domain.ANY, DType.F64, seed + 2)}, new int[0])));
    }

    /** (mask, x) where the mask broadcasts to x's shape. */
    static Arbitrary<Inputs> maskedFillInputs() {
        return Generators.broadcastablePairs(MAX_RANK, MAX_DIM).flatMap(s -> Arbitraries.longs().map(seed ->
                new Inputs(new NdArray[] {
                    Generators.indices(s[1], 2, seed),
                    fill(RefArray.broadcastShape(s[0], s[1]), Domain.ANY, DType.F64, seed + 1)}, new int[0])));
    }

    static double sampleVariance(double[] v) {
        double mean = Arrays.stream(v).sum() / v.length;
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        return ss / (v.length - 1);
    }

    static double[] softmaxRow(double[] row) {
        double m = Arrays.stream(row).max().orElse(0);
        double[] e = Arrays.stream(row).map(x -> Math.exp(x - m)).toArray();
        double s = Arrays.stream(e).sum();
        return Arrays.stream(e).map(x -> x / s).toArray();
    }
}
