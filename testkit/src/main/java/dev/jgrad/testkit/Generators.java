package dev.jgrad.testkit;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * jqwik generators for tensor tests. Shapes include the scalar {@code ()} and zero-size dims;
 * values are drawn from a seed (so a failing case shrinks to a small seed and shape and is
 * reproducible); views can be made non-contiguous without changing their values.
 */
public final class Generators {
    private Generators() {
    }

    /** Shapes of rank 0..maxRank with sizes 0..maxDim (zero-size dims included). */
    public static Arbitrary<int[]> shapes(int maxRank, int maxDim) {
        return shapes(0, maxRank, 0, maxDim);
    }

    public static Arbitrary<int[]> shapes(int minRank, int maxRank, int minDim, int maxDim) {
        return Arbitraries.integers().between(minDim, maxDim).array(int[].class).ofMinSize(minRank).ofMaxSize(maxRank);
    }

    /** Shapes with no zero-size dim (at least one element). */
    public static Arbitrary<int[]> nonEmptyShapes(int minRank, int maxRank, int maxDim) {
        return shapes(minRank, maxRank, 1, maxDim);
    }

    /**
     * Two shapes that broadcast together: both derive from one base shape by dropping leading
     * dims and turning some dims into 1.
     */
    public static Arbitrary<int[][]> broadcastablePairs(int maxRank, int maxDim) {
        return shapes(maxRank, maxDim).flatMap(base -> Combinators.combine(
                derived(base), derived(base)).as((a, b) -> new int[][] {a, b}));
    }

    private static Arbitrary<int[]> derived(int[] base) {
        return Combinators.combine(
                Arbitraries.integers().between(0, base.length),
                Arbitraries.longs()).as((drop, bits) -> {
                    int[] s = Arrays.copyOfRange(base, drop, base.length);
                    for (int i = 0; i < s.length; i++) {
                        if (((bits >>> i) & 1) == 1) {
                            s[i] = 1;
                        }
                    }
                    return s;
                });
    }

    /** matmul-compatible shapes: 1-D and 2-D operands and batched ones with broadcast batch dims. */
    public static Arbitrary<int[][]> matmulPairs(int maxDim) {
        Arbitrary<Integer> d = Arbitraries.integers().between(0, maxDim);
        Arbitrary<Integer> kind = Arbitraries.integers().between(0, 5);
        return Combinators.combine(kind, d, d, d, broadcastablePairs(2, 3)).as((kd, m, k, n, batch) -> switch (kd) {
            case 0 -> new int[][] {{k}, {k}};
            case 1 -> new int[][] {{k}, {k, n}};
            case 2 -> new int[][] {{m, k}, {k}};
            case 3 -> new int[][] {{m, k}, {k, n}};
            default -> new int[][] {append(batch[0], m, k), append(batch[1], k, n)};
        });
    }

    static int[] append(int[] batch, int r, int c) {
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = r;
        out[batch.length + 1] = c;
        return out;
    }

    /** Arrays of the given shape with values from {@code domain}, filled from a generated seed. */
    public static Arbitrary<NdArray> arrays(int[] shape, Domain domain, DType dtype) {
        return Arbitraries.longs().map(seed -> fill(shape, domain, dtype, seed));
    }

    public static NdArray fill(int[] shape, Domain domain, DType dtype, long seed) {
        Generator g = new Generator(seed);
        NdArray a = NdArray.zeros(DType.F64, shape);
        double[] v = a.storageF64();
        for (int i = 0; i < v.length; i++) {
            v[i] = domain.sample(g);
        }
        return a.to(dtype);
    }

    /** I32 arrays of the given shape with values in [0, bound). */
    public static NdArray indices(int[] shape, int bound, long seed) {
        return NdArray.randint(new Generator(seed), 0, Math.max(bound, 1), shape);
    }

    /**
     * The same values in a non-contiguous layout: every element sits at an odd storage slot of
     * a buffer twice as large (stride doubled, offset 1), so no kernel can treat it as dense.
     */
    public static NdArray nonContiguous(NdArray a) {
        int[] big = Arrays.copyOf(a.shape().dims(), a.rank() + 1);
        big[a.rank()] = 2;
        NdArray buffer = NdArray.zeros(a.dtype(), big);
        NdArray view = buffer.select(-1, 1);
        view.copyFrom(a);
        return view;
    }
}
