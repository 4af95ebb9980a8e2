package dev.jgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.jgrad.tensor.NdArray;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Gradients of views (narrow, split, select, slice) of an intermediate tensor, which the engine
 * writes straight into the parts of the input's gradient they cover, zeroing only what no view
 * wrote. Each case sums {@code w_i * view_i(2 x)} with small integer weights, so the gradient of
 * x is twice the sum of the weights scattered to the positions each view reads, computed here
 * with plain loops and exact in float. The tests run with {@code jgrad.poisonEmpty}, so a part
 * the engine forgot to zero shows up as NaN.
 */
class ViewGradientTest {
    private static final int R = 5;
    private static final int C = 7;

    /** One view of the (R, C) tensor h: how to take it, and where its element i lies in h. */
    private record View(java.util.function.UnaryOperator<Tensor> take, int[] rows, int[] cols) {
        static View narrow(int dim, int from, int len) {
            return dim == 0 ? block(from, len, 0, C, t -> t.narrow(0, from, len))
                    : block(0, R, from, len, t -> t.narrow(1, from, len));
        }

        static View select(int dim, int index) {
            return dim == 0 ? block(index, 1, 0, C, t -> t.select(0, index))
                    : block(0, R, index, 1, t -> t.select(1, index));
        }

        static View whole() {
            return block(0, R, 0, C, t -> t);
        }

        /** Columns from, from + step, ... below end. */
        static View columnSlice(int from, int end, int step) {
            List<int[]> at = new ArrayList<>();
            for (int r = 0; r < R; r++) {
                for (int c = from; c < end; c += step) {
                    at.add(new int[] {r, c});
                }
            }
            return of(at, t -> t.slice(1, from, end, step));
        }

        private static View block(int r0, int nr, int c0, int nc, java.util.function.UnaryOperator<Tensor> take) {
            List<int[]> at = new ArrayList<>();
            for (int r = r0; r < r0 + nr; r++) {
                for (int c = c0; c < c0 + nc; c++) {
                    at.add(new int[] {r, c});
                }
            }
            return of(at, take);
        }

        private static View of(List<int[]> at, java.util.function.UnaryOperator<Tensor> take) {
            int[] rows = new int[at.size()];
            int[] cols = new int[at.size()];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = at.get(i)[0];
                cols[i] = at.get(i)[1];
            }
            return new View(take, rows, cols);
        }
    }

    /**
     * Backward through sum_i w_i * view_i(2 x) against the scattered reference, the views'
     * products created in the order given (the engine meets them in the reverse order).
     */
    private static void check(View... views) {
        float[] xs = new float[R * C];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = 0.25f * (i % 9) - 1;
        }
        Tensor x = Tensor.param(NdArray.of(xs, R, C));
        Tensor h = x.mul(2);
        float[] expected = new float[R * C];
        Tensor loss = null;
        for (int v = 0; v < views.length; v++) {
            Tensor part = views[v].take().apply(h);
            int n = views[v].rows().length;
            float[] w = new float[n];
            for (int i = 0; i < n; i++) {
                w[i] = (i * 7 + v * 3) % 11 - 5;
                expected[views[v].rows()[i] * C + views[v].cols()[i]] += 2 * w[i];
            }
            Tensor term = part.mul(Tensor.of(NdArray.of(w, part.shape().dims()))).sum();
            loss = loss == null ? term : loss.add(term);
        }
        loss.backward();
        assertArrayEquals(expected, x.grad().data().toFloatArray(), 0);
    }

    @Test
    void splitIntoPartsThatCoverTheWhole() {
        check(View.narrow(1, 0, 3), View.narrow(1, 3, 3), View.narrow(1, 6, 1));
        check(View.narrow(0, 0, 2), View.narrow(0, 2, 2), View.narrow(0, 4, 1));
    }

    @Test
    void partsNoViewReadsGetZeroGradients() {
        check(View.narrow(1, 0, 2), View.narrow(1, 4, 2));        // columns 2, 3 and 6 unread
        check(View.narrow(1, 3, 2));                              // both ends unread
        check(View.select(0, 3));
    }

    @Test
    void overlappingViewsAddWhereTheyOverlap() {
        check(View.narrow(0, 0, 3), View.narrow(0, 2, 3));
        check(View.narrow(1, 1, 4), View.narrow(1, 0, 2), View.narrow(1, 4, 3));
        check(View.select(1, 2), View.select(1, 2));
    }

    @Test
    void viewsAlongDifferentDims() {
        check(View.narrow(1, 0, 2), View.select(0, 1), View.narrow(1, 5, 2));
        check(View.select(0, 4), View.select(1, 6));
    }

    @Test
    void everyRowSelectedOneByOne() {
        View[] rows = new View[R];
        for (int r = 0; r < R; r++) {
            rows[r] = View.select(0, r);
        }
        check(rows);
    }

    @Test
    void stridedSlicesAndEmptyViews() {
        check(View.columnSlice(0, C, 2), View.narrow(1, 1, 2));
        check(View.narrow(1, 0, 3), View.columnSlice(1, C, 3));
        check(View.narrow(1, 2, 0), View.narrow(1, 0, 2), View.narrow(0, 5, 0));
    }

    @Test
    void viewsMixedWithAUseOfTheWholeTensor() {
        check(View.whole(), View.narrow(1, 0, 3), View.narrow(1, 3, 4));   // the whole use runs last
        check(View.narrow(1, 0, 3), View.narrow(1, 5, 2), View.whole());   // the whole use runs first
        check(View.narrow(0, 1, 2), View.whole(), View.narrow(0, 3, 2));
    }

    /** GPT's attention input: qkv (B, T, 3C) split on its last dim, each part viewed as heads. */
    @Test
    void qkvSplitIntoHeads() {
        int b = 2;
        int t = 3;
        int c = 4;
        int nh = 2;
        float[] xs = new float[b * t * 3 * c];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = i % 5 - 2;
        }
        Tensor x = Tensor.param(NdArray.of(xs, b, t, 3 * c));
        Tensor[] parts = x.mul(3).split(c, 2);
        Tensor loss = null;
        float[] expected = new float[xs.length];
        for (int p = 0; p < 3; p++) {
            Tensor heads = parts[p].reshape(b, t, nh, c / nh).transpose(1, 2);   // (B, nh, T, hs)
            float[] w = new float[b * nh * t * (c / nh)];
            for (int i = 0; i < w.length; i++) {
                w[i] = (i * 5 + p) % 7 - 3;
            }
            // w is (B, nh, T, hs); its element (bi, hi, ti, si) reads x at (bi, ti, p C + hi hs + si).
            int hs = c / nh;
            for (int bi = 0; bi < b; bi++) {
                for (int hi = 0; hi < nh; hi++) {
                    for (int ti = 0; ti < t; ti++) {
                        for (int si = 0; si < hs; si++) {
                            float wi = w[((bi * nh + hi) * t + ti) * hs + si];
                            expected[(bi * t + ti) * 3 * c + p * c + hi * hs + si] += 3 * wi;
                        }
                    }
                }
            }
            Tensor term = heads.mul(Tensor.of(NdArray.of(w, b, nh, t, hs))).sum();
            loss = loss == null ? term : loss.add(term);
        }
        loss.backward();
        assertArrayEquals(expected, x.grad().data().toFloatArray(), 0);
    }

    @Test
    void doublePrecisionViewsAgreeWithTheDifferentiableRoute() {
        Tensor x = Tensor.param(NdArray.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Tensor[] cols = x.mul(2).chunk(3, 1);
        cols[0].mul(3).add(cols[2].mul(5)).sum().backward();
        assertArrayEquals(new double[] {6, 0, 10, 6, 0, 10}, x.grad().data().toDoubleArray(), 0);
        // With createGraph the engine takes each view's own backward (zeros with the part written).
        Tensor[] again = x.mul(2).chunk(3, 1);
        Tensor viaScatter = Tensor.grad(again[0].mul(3).add(again[2].mul(5)).sum(), new Tensor[] {x}, null, false,
                true)[0];
        assertArrayEquals(x.grad().data().toDoubleArray(), viaScatter.data().toDoubleArray(), 0);
    }
}
