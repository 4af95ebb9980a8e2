package dev.jgrad.testkit;

import static dev.jgrad.testkit.Generators.fill;
import static dev.jgrad.testkit.MovementSpecs.pick;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.testkit.OpSpec.Inputs;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Rows for gather/scatter, concatenation, triangles and sorting. */
final class IndexingSpecs {
    private IndexingSpecs() {
    }

    /** An array of a shape with every dim >= minDim, a chosen dim, and a generated choice. */
    private interface Build {
        Inputs build(int[] shape, long seed, long choice);
    }

    private static Arbitrary<Inputs> gen(int minRank, int minDim, Build b) {
        return Generators.shapes(minRank, OpSpecs.MAX_RANK, minDim, OpSpecs.MAX_DIM).flatMap(s ->
                Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as((seed, c) ->
                        b.build(s, seed, Math.abs(c % 1_000_003))));
    }

    static void addTo(List<OpSpec> t) {
        t.add(OpSpec.of("index_select", () -> gen(1, 1, (s, seed, c) -> {
                    int d = pick(c, 1, s.length);
                    NdArray idx = Generators.indices(new int[] {pick(c, 2, 5)}, s[d], seed + 1);
                    return new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed), idx}, new int[] {d});
                }),
                (in, p) -> in[0].indexSelect(p[0], in[1]),
                (in, p) -> {
                    int[] shape = in[0].shape().clone();
                    shape[p[0]] = in[1].numel();
                    double[] idx = new double[RefArray.numel(shape)];
                    for (int i = 0; i < idx.length; i++) {
                        idx[i] = in[1].values()[RefArray.unravel(i, shape)[p[0]]];
                    }
                    return RefArray.gather(in[0], p[0], new RefArray(shape, idx));
                }));
        t.add(OpSpec.of("index_add", () -> gen(1, 1, (s, seed, c) -> {
                    int d = pick(c, 1, s.length);
                    int[] src = s.clone();
                    src[d] = pick(c, 2, 5);
                    return new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed),
                        Generators.indices(new int[] {src[d]}, s[d], seed + 1), fill(src, Domain.ANY, DType.F64, seed + 2)},
                            new int[] {d});
                }),
                (in, p) -> in[0].indexAdd(p[0], in[1], in[2]),
                (in, p) -> {
                    double[] out = in[0].values().clone();
                    for (int i = 0; i < in[2].numel(); i++) {
                        int[] idx = RefArray.unravel(i, in[2].shape());
                        idx[p[0]] = (int) in[1].values()[idx[p[0]]];
                        out[RefArray.ravel(idx, in[0].shape())] += in[2].values()[i];
                    }
                    return new RefArray(in[0].shape(), out);
                }));
        t.add(OpSpec.of("gather", () -> gen(1, 1, (s, seed, c) -> {
                    int d = pick(c, 1, s.length);
                    int[] is = s.clone();
                    for (int i = 0; i < is.length; i++) {
                        is[i] = i == d ? pick(c, 2 + i, 5) : pick(c, 2 + i, s[i] + 1);
                    }
                    return new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed),
                        Generators.indices(is, s[d], seed + 1)}, new int[] {d});
                }),
                (in, p) -> in[0].gather(p[0], in[1]),
                (in, p) -> RefArray.gather(in[0], p[0], in[1])));
        t.add(OpSpec.of("scatter_add", () -> gen(1, 1, (s, seed, c) -> {
                    int d = pick(c, 1, s.length);
                    int[] src = s.clone();
                    src[d] = pick(c, 2, 5);
                    return new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed),
                        Generators.indices(src, s[d], seed + 1), fill(src, Domain.ANY, DType.F64, seed + 2)},
                            new int[] {d});
                }),
                (in, p) -> in[0].scatterAdd(p[0], in[1], in[2]),
                (in, p) -> {
                    double[] out = in[0].values().clone();
                    for (int i = 0; i < in[1].numel(); i++) {
                        int[] idx = RefArray.unravel(i, in[1].shape());
                        idx[p[0]] = (int) in[1].values()[i];
                        out[RefArray.ravel(idx, in[0].shape())] += in[2].values()[i];
                    }
                    return new RefArray(in[0].shape(), out);
                }));
        t.add(OpSpec.of("embedding", () -> Combinators.combine(Arbitraries.integers().between(1, 5),
                        Arbitraries.integers().between(0, 4), Generators.shapes(2, 3), Arbitraries.longs())
                        .as((v, dd, ids, seed) -> new Inputs(new NdArray[] {
                            fill(new int[] {v, dd}, Domain.ANY, DType.F64, seed),
                            Generators.indices(ids, v, seed + 1)}, new int[0])),
                (in, p) -> Tensor.embedding(in[0], in[1]),
                (in, p) -> {
                    int dd = in[0].shape()[1];
                    int[] shape = Arrays.copyOf(in[1].shape(), in[1].rank() + 1);
                    shape[in[1].rank()] = dd;
                    double[] out = new double[RefArray.numel(shape)];
                    for (int i = 0; i < in[1].numel(); i++) {
                        for (int j = 0; j < dd; j++) {
                            out[i * dd + j] = in[0].at((int) in[1].values()[i], j);
                        }
                    }
                    return new RefArray(shape, out);
                }));
        t.add(OpSpec.of("cat", () -> gen(1, 0, (s, seed, c) -> {
                    int d = pick(c, 1, s.length);
                    NdArray[] parts = new NdArray[3];
                    for (int k = 0; k < 3; k++) {
                        int[] ps = s.clone();
                        ps[d] = pick(c, 2 + k, 4);
                        parts[k] = fill(ps, Domain.ANY, DType.F64, seed + k);
                    }
                    return new Inputs(parts, new int[] {d});
                }),
                (in, p) -> Tensor.cat(p[0], in), (in, p) -> RefArray.cat(p[0], in)));
        t.add(OpSpec.of("stack", () -> gen(0, 0, (s, seed, c) -> new Inputs(new NdArray[] {
                    fill(s, Domain.ANY, DType.F64, seed), fill(s, Domain.ANY, DType.F64, seed + 1)},
                        new int[] {pick(c, 1, s.length + 1)})),
                (in, p) -> Tensor.stack(p[0], in),
                (in, p) -> {
                    RefArray[] u = new RefArray[in.length];
                    for (int k = 0; k < in.length; k++) {
                        int[] s = in[k].shape();
                        int[] us = new int[s.length + 1];
                        for (int i = 0, j = 0; i < us.length; i++) {
                            us[i] = i == p[0] ? 1 : s[j++];
                        }
                        u[k] = in[k].reshape(us);
                    }
                    return RefArray.cat(p[0], u);
                }));
        t.add(triangle("tril", true));
        t.add(triangle("triu", false));
        t.add(OpSpec.of("topk", () -> gen(1, 1, (s, seed, c) -> {
                    int d = pick(c, 1, s.length);
                    return new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed)},
                            new int[] {d, pick(c, 2, s[d] + 1), pick(c, 3, 2)});
                }),
                (in, p) -> in[0].topk(p[1], p[0], p[2] == 1)[0],
                (in, p) -> in[0].alongDim(p[0], row -> sorted(row, p[2] == 1)).slice(p[0], 0, p[1], 1)));
        t.add(OpSpec.of("sort", () -> gen(1, 0, (s, seed, c) -> new Inputs(
                        new NdArray[] {fill(s, Domain.ANY, DType.F64, seed)},
                        new int[] {pick(c, 1, s.length), pick(c, 2, 2)})),
                (in, p) -> in[0].sort(p[0], p[1] == 1)[0],
                (in, p) -> in[0].alongDim(p[0], row -> sorted(row, p[1] == 1))));
        t.add(OpSpec.of("max_with_indices", () -> gen(1, 1, (s, seed, c) -> new Inputs(
                        new NdArray[] {fill(s, Domain.ANY, DType.F64, seed)},
                        new int[] {pick(c, 1, s.length), pick(c, 2, 2)})),
                (in, p) -> in[0].maxWithIndices(p[0], p[1] == 1)[0],
                (in, p) -> in[0].reduce(new int[] {p[0]}, p[1] == 1, v -> Arrays.stream(v).max().orElseThrow())));
    }

    static double[] sorted(double[] row, boolean descending) {
        double[] s = row.clone();
        Arrays.sort(s);
        if (descending) {
            for (int i = 0; i < s.length / 2; i++) {
                double tmp = s[i];
                s[i] = s[s.length - 1 - i];
                s[s.length - 1 - i] = tmp;
            }
        }
        return s;
    }

    private static OpSpec triangle(String name, boolean lower) {
        return OpSpec.of(name, () -> gen(2, 0, (s, seed, c) -> new Inputs(
                        new NdArray[] {fill(s, Domain.ANY, DType.F64, seed)}, new int[] {pick(c, 1, 5) - 2})),
                (in, p) -> lower ? in[0].tril(p[0]) : in[0].triu(p[0]),
                (in, p) -> {
                    int[] s = in[0].shape();
                    double[] out = in[0].values().clone();
                    for (int i = 0; i < out.length; i++) {
                        int[] idx = RefArray.unravel(i, s);
                        int diff = idx[s.length - 1] - idx[s.length - 2];
                        if (lower ? diff > p[0] : diff < p[0]) {
                            out[i] = 0;
                        }
                    }
                    return new RefArray(s, out);
                });
    }
}
