package dev.jgrad.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The LSTM step kernels, SIMD and scalar twin, against the cell's formulas written out here in
 * double, on one step's rows of (B, T, .) arrays (a row stride of their own), with hidden sizes
 * that leave vector tails, in place where the SPI allows it, and split over threads.
 */
class LstmCellTest {
    private final int threadsBefore = Parallel.threads();

    @AfterEach
    void restore() {
        CpuBackend.useSimd(true);
        Parallel.setThreads(threadsBefore);
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** Step s of a (B, T, n) array: rows T n apart. */
    private static NdArray step(NdArray bt, int s) {
        return bt.select(1, s);
    }

    @Test
    void forwardAndBackwardFollowTheCellFormulas() {
        // hidden sizes: below one vector, one and a bit, several with a tail; B 40 x 4H = 1520..
        // splits over two threads at H = 300
        int[] hiddens = {3, 17, 45, 300};
        for (boolean simd : new boolean[] {true, false}) {
            CpuBackend.useSimd(simd);
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                for (int hid : hiddens) {
                    int b = hid == 300 ? 40 : 5;
                    int t = 3;
                    String at = "simd " + simd + ", threads " + threads + ", H " + hid;
                    Generator g = new Generator(hid * 7L + b);
                    NdArray gates = NdArray.randn(g, DType.F32, b, t, 4 * hid).mul(2.0);
                    NdArray pre = NdArray.randn(g, DType.F32, b, t, 4 * hid);
                    NdArray cPrev = NdArray.randn(g, DType.F32, b, t, hid);
                    NdArray act = gates.copy();                                   // in place: act is gates
                    NdArray c = NdArray.full(DType.F32, 9, b, t, hid);
                    NdArray tanhC = NdArray.full(DType.F32, 9, b, t, hid);
                    NdArray h = NdArray.full(DType.F32, 9, b, t, hid);
                    int s = 1;
                    Backends.get().lstmCellForward(step(act, s), step(pre, s), step(cPrev, s), step(act, s),
                            step(c, s), step(tanhC, s), step(h, s));
                    for (int r = 0; r < b; r++) {
                        for (int j = 0; j < hid; j++) {
                            double zi = gates.getDouble(r, s, j) + pre.getDouble(r, s, j);
                            double zf = gates.getDouble(r, s, hid + j) + pre.getDouble(r, s, hid + j);
                            double zg = gates.getDouble(r, s, 2 * hid + j) + pre.getDouble(r, s, 2 * hid + j);
                            double zo = gates.getDouble(r, s, 3 * hid + j) + pre.getDouble(r, s, 3 * hid + j);
                            double i = sigmoid(zi);
                            double f = sigmoid(zf);
                            double gg = Math.tanh(zg);
                            double o = sigmoid(zo);
                            double cc = f * cPrev.getDouble(r, s, j) + i * gg;
                            String e = at + " row " + r + " col " + j;
                            assertEquals(i, act.getDouble(r, s, j), 1e-6, e + " i");
                            assertEquals(f, act.getDouble(r, s, hid + j), 1e-6, e + " f");
                            assertEquals(gg, act.getDouble(r, s, 2 * hid + j), 1e-6, e + " g");
                            assertEquals(o, act.getDouble(r, s, 3 * hid + j), 1e-6, e + " o");
                            assertEquals(cc, c.getDouble(r, s, j), 1e-5, e + " c");
                            assertEquals(Math.tanh(cc), tanhC.getDouble(r, s, j), 1e-5, e + " tanh c");
                            assertEquals(o * Math.tanh(cc), h.getDouble(r, s, j), 1e-5, e + " h");
                            // other steps' rows untouched
                            assertEquals(9.0, c.getDouble(r, 0, j), e + " step 0 of c");
                            assertEquals(9.0, h.getDouble(r, 2, j), e + " step 2 of h");
                        }
                    }

                    NdArray gh = NdArray.randn(g, DType.F32, b, t, hid);
                    NdArray gc = NdArray.randn(g, DType.F32, b, t, hid);
                    NdArray dh = NdArray.randn(g, DType.F32, b, hid);
                    NdArray dcNext = NdArray.randn(g, DType.F32, b, hid);
                    NdArray dc = dcNext.copy();                                   // in place: dcOut is dcNext
                    NdArray dGates = NdArray.full(DType.F32, 9, b, t, 4 * hid);
                    Backends.get().lstmCellBackward(step(act, s), step(tanhC, s), step(cPrev, s), step(gh, s),
                            step(gc, s), dh, dc, step(dGates, s), dc);
                    for (int r = 0; r < b; r++) {
                        for (int j = 0; j < hid; j++) {
                            double i = act.getDouble(r, s, j);
                            double f = act.getDouble(r, s, hid + j);
                            double gg = act.getDouble(r, s, 2 * hid + j);
                            double o = act.getDouble(r, s, 3 * hid + j);
                            double tc = tanhC.getDouble(r, s, j);
                            double dhs = gh.getDouble(r, s, j) + dh.getDouble(r, j);
                            double dcs = gc.getDouble(r, s, j) + dcNext.getDouble(r, j) + dhs * o * (1 - tc * tc);
                            String e = at + " row " + r + " col " + j;
                            double tol = 1e-5 * (1 + Math.abs(dcs) + Math.abs(dhs));
                            assertEquals(dcs * gg * i * (1 - i), dGates.getDouble(r, s, j), tol, e + " d i");
                            assertEquals(dcs * cPrev.getDouble(r, s, j) * f * (1 - f), dGates.getDouble(r, s, hid + j),
                                    tol, e + " d f");
                            assertEquals(dcs * i * (1 - gg * gg), dGates.getDouble(r, s, 2 * hid + j), tol, e + " d g");
                            assertEquals(dhs * tc * o * (1 - o), dGates.getDouble(r, s, 3 * hid + j), tol, e + " d o");
                            assertEquals(dcs * f, dc.getDouble(r, j), tol, e + " d c'");
                            assertEquals(9.0, dGates.getDouble(r, 0, j), e + " step 0 of d gates");
                        }
                    }
                }
            }
        }
    }

    @Test
    void mismatchedShapesAreClearErrors() {
        NdArray gates = NdArray.zeros(DType.F32, 2, 8);
        NdArray state = NdArray.zeros(DType.F32, 2, 2);
        NdArray narrow = NdArray.zeros(DType.F32, 2, 6);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Backends.get().lstmCellForward(gates, narrow, state, gates, state, state, state));
        assertTrue(e.getMessage().contains("lstmCellForward") && e.getMessage().contains("(2, 6)"), e.getMessage());
        NdArray oneRow = NdArray.zeros(DType.F32, 1, 2);
        e = assertThrows(IllegalArgumentException.class, () -> Backends.get().lstmCellBackward(gates, state, state,
                state, state, oneRow, state, gates, state));
        assertTrue(e.getMessage().contains("lstmCellBackward") && e.getMessage().contains("(1, 2)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Backends.get().lstmCellBackward(gates, state, state,
                state, state, state, state, narrow, state));
        assertTrue(e.getMessage().contains("lstmCellBackward") && e.getMessage().contains("(2, 6)"), e.getMessage());
    }

    @Test
    void layoutsTheKernelsCannotReadAreClearErrors() {
        NdArray ok = NdArray.zeros(DType.F32, 2, 8);
        NdArray okState = NdArray.zeros(DType.F32, 2, 2);
        NdArray strided = NdArray.zeros(DType.F32, 2, 4).t();                     // (4, 2), column stride 4
        var e = assertThrows(IllegalArgumentException.class,
                () -> Backends.get().lstmCellForward(ok, ok, strided.narrow(0, 0, 2), ok, okState, okState, okState));
        assertTrue(e.getMessage().contains("lstmCellForward") && e.getMessage().contains("(2, 2)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Backends.get().lstmCellBackward(ok, okState, okState,
                okState, okState, okState, okState, NdArray.zeros(DType.F64, 2, 8), okState));
        assertTrue(e.getMessage().contains("lstmCellBackward") && e.getMessage().contains("F64"), e.getMessage());
    }
}
