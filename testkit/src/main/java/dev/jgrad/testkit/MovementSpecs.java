package dev.jgrad.testkit;

import static dev.jgrad.testkit.Generators.fill;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.testkit.OpSpec.Inputs;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Rows for the view ops: permute, transpose, slicing, expand, reshapes. */
final class MovementSpecs {
    private MovementSpecs() {
    }

    /** One float array of a generated shape plus parameters derived from that shape. */
    static Arbitrary<Inputs> withParams(int minRank, BiFunction<int[], Long, int[]> params) {
        return Generators.shapes(minRank, OpSpecs.MAX_RANK, 0, OpSpecs.MAX_DIM).flatMap(s ->
                Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as((seed, choice) ->
                        new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed)},
                                params.apply(s, Math.abs(choice % 1_000_003)))));
    }

    static int pick(long choice, int salt, int bound) {
        return (int) (Math.floorMod(choice * 31 + salt * 7919L, Math.max(bound, 1)));
    }

    static void addTo(List<OpSpec> t) {
        t.add(OpSpec.of("reshape", () -> withParams(0, (s, c) -> reversed(s)),
                (in, p) -> in[0].reshape(p), (in, p) -> in[0].reshape(p)));
        t.add(OpSpec.of("view_flatten", () -> withParams(0, (s, c) -> new int[0]),
                (in, p) -> in[0].view(-1), (in, p) -> in[0].reshape(in[0].numel())));
        t.add(OpSpec.of("permute", () -> withParams(0, (s, c) -> permutation(s.length, c)),
                (in, p) -> in[0].permute(p), (in, p) -> in[0].permute(p)));
        t.add(OpSpec.of("transpose", () -> withParams(1, (s, c) -> new int[] {pick(c, 1, s.length), pick(c, 2, s.length)}),
                (in, p) -> in[0].transpose(p[0], p[1]), (in, p) -> in[0].permute(swap(in[0].rank(), p[0], p[1]))));
        t.add(OpSpec.of("slice", () -> withParams(1, (s, c) -> {
                    int d = pick(c, 1, s.length);
                    int start = pick(c, 2, s[d] + 1);
                    int end = start + pick(c, 3, s[d] - start + 1);
                    return new int[] {d, start, end, 1 + pick(c, 4, 3)};
                }),
                (in, p) -> in[0].slice(p[0], p[1], p[2], p[3]), (in, p) -> in[0].slice(p[0], p[1], p[2], p[3])));
        t.add(OpSpec.of("narrow", () -> withParams(1, (s, c) -> {
                    int d = pick(c, 1, s.length);
                    int start = pick(c, 2, s[d] + 1);
                    return new int[] {d, start, pick(c, 3, s[d] - start + 1)};
                }),
                (in, p) -> in[0].narrow(p[0], p[1], p[2]), (in, p) -> in[0].slice(p[0], p[1], p[1] + p[2], 1)));
        t.add(OpSpec.of("select", () -> Generators.shapes(1, OpSpecs.MAX_RANK, 1, OpSpecs.MAX_DIM).flatMap(s ->
                        Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as((seed, c) -> {
                            int d = pick(c, 1, s.length);
                            return new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed)},
                                    new int[] {d, pick(c, 2, s[d]) - (pick(c, 3, 2) == 1 ? s[d] : 0)});
                        })),
                (in, p) -> in[0].select(p[0], p[1]),
                (in, p) -> {
                    int i = p[1] < 0 ? p[1] + in[0].shape()[p[0]] : p[1];
                    RefArray sl = in[0].slice(p[0], i, i + 1, 1);
                    return sl.reshape(RefArray.dropAt(sl.shape(), p[0]));
                }));
        t.add(OpSpec.of("expand", () -> Generators.shapes(OpSpecs.MAX_RANK, OpSpecs.MAX_DIM).flatMap(base ->
                        Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as((seed, bits) -> {
                            int drop = (int) Math.floorMod(bits, base.length + 1);
                            int[] small = Arrays.copyOfRange(base, drop, base.length);
                            for (int i = 0; i < small.length; i++) {
                                if (((bits >>> (i + 4)) & 1) == 1) {
                                    small[i] = 1;
                                }
                            }
                            return new Inputs(new NdArray[] {fill(small, Domain.ANY, DType.F64, seed)}, base);
                        })),
                (in, p) -> in[0].expand(p), (in, p) -> in[0].expand(p)));
        t.add(OpSpec.of("unsqueeze", () -> withParams(0, (s, c) -> new int[] {pick(c, 1, s.length + 1)}),
                (in, p) -> in[0].unsqueeze(p[0]), (in, p) -> {
                    int[] s = in[0].shape();
                    int[] out = new int[s.length + 1];
                    for (int i = 0, j = 0; i < out.length; i++) {
                        out[i] = i == p[0] ? 1 : s[j++];
                    }
                    return in[0].reshape(out);
                }));
        t.add(OpSpec.of("squeeze", () -> withParams(1, (s, c) -> new int[] {pick(c, 1, s.length)}),
                (in, p) -> in[0].squeeze(p[0]), (in, p) -> {
                    int[] s = in[0].shape();
                    return s[p[0]] == 1 ? in[0].reshape(RefArray.dropAt(s, p[0])) : in[0];
                }));
        t.add(OpSpec.of("flatten_range", () -> withParams(1, (s, c) -> {
                    int a = pick(c, 1, s.length);
                    return new int[] {a, a + pick(c, 2, s.length - a)};
                }),
                (in, p) -> in[0].flatten(p[0], p[1]), (in, p) -> {
                    int[] s = in[0].shape();
                    int[] out = new int[s.length - (p[1] - p[0])];
                    int k = 0;
                    for (int i = 0; i < p[0]; i++) {
                        out[k++] = s[i];
                    }
                    int m = 1;
                    for (int i = p[0]; i <= p[1]; i++) {
                        m *= s[i];
                    }
                    out[k++] = m;
                    for (int i = p[1] + 1; i < s.length; i++) {
                        out[k++] = s[i];
                    }
                    return in[0].reshape(out);
                }));
        // Pieces of a non-leaf tensor put back together: several slice/select gradients must add
        // into one buffer of the intermediate (the engine's in-place path for views).
        t.add(OpSpec.of("unbind_restack", () -> Generators.shapes(1, OpSpecs.MAX_RANK, 1, OpSpecs.MAX_DIM).flatMap(s ->
                        Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as((seed, c) ->
                                new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed)},
                                        new int[] {pick(c, 1, s.length)}))),
                (in, p) -> {
                    var x = in[0].mul(1.5);
                    var parts = new dev.jgrad.autograd.Tensor[x.size(p[0])];
                    for (int i = 0; i < parts.length; i++) {
                        parts[i] = x.select(p[0], i);
                    }
                    return dev.jgrad.autograd.Tensor.stack(p[0], parts);
                },
                (in, p) -> in[0].map(v -> 1.5 * v)));
        t.add(OpSpec.of("split_recat", () -> Generators.shapes(1, OpSpecs.MAX_RANK, 1, OpSpecs.MAX_DIM).flatMap(s ->
                        Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as((seed, c) ->
                                new Inputs(new NdArray[] {fill(s, Domain.ANY, DType.F64, seed)},
                                        new int[] {pick(c, 1, s.length), 1 + pick(c, 2, 3)}))),
                (in, p) -> dev.jgrad.autograd.Tensor.cat(p[0], in[0].exp().split(p[1], p[0])),
                (in, p) -> in[0].map(Math::exp)));
        t.add(OpSpec.of("transpose_contiguous", () -> withParams(2, (s, c) -> new int[0]),
                (in, p) -> in[0].transpose(0, 1).contiguous(),
                (in, p) -> in[0].permute(swap(in[0].rank(), 0, 1))));
    }

    static int[] reversed(int[] s) {
        int[] r = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            r[i] = s[s.length - 1 - i];
        }
        return r;
    }

    static int[] permutation(int n, long c) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = pick(c, i, i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }

    static int[] swap(int rank, int a, int b) {
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = i;
        }
        int x = a < 0 ? a + rank : a;
        int y = b < 0 ? b + rank : b;
        p[x] = y;
        p[y] = x;
        return p;
    }
}
