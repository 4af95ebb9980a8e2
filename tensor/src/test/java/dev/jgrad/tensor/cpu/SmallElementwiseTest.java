package dev.jgrad.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Small contiguous elementwise ops skip the row planner (Elementwise.small): every operand
 * layout that path accepts, and the ones it must hand back to the planner, against the scalar
 * twins, which go through the planner. Sizes straddle the planner's grain.
 */
class SmallElementwiseTest {
    private static final List<BinaryOperator<NdArray>> BINARY = List.of(NdArray::add, NdArray::sub, NdArray::mul,
            NdArray::div, NdArray::maximum);

    @AfterEach
    void restore() {
        CpuBackend.useSimd(true);
    }

    /** Right-hand operands of a (2, 50) left one: each layout the direct path takes, and some it must not. */
    private static List<NdArray> rightOperands(Generator g) {
        return List.of(
                NdArray.randn(g, DType.F32, 2, 50),                                // same shape
                NdArray.randn(g, DType.F32, 3, 50).narrow(0, 1, 2),                // same shape, offset
                NdArray.randn(g, DType.F32, 50),                                   // a bias row
                NdArray.randn(g, DType.F32, 3, 50).select(0, 2),                   // a bias row at an offset
                NdArray.randn(g, DType.F32, 1, 50),                                // a row with a size-1 dim
                NdArray.scalar(DType.F32, 1.75),                                   // one value
                NdArray.randn(g, DType.F32, 1, 1).add(3),                          // one value, rank 2
                NdArray.randn(g, DType.F32, 4).narrow(0, 3, 1),                    // one value at an offset
                NdArray.randn(g, DType.F32, 2, 1),                                 // a column: planner
                NdArray.randn(g, DType.F32, 50, 2).select(1, 0),                   // a strided row: planner
                NdArray.randn(g, DType.F32, 50, 2).t());                           // transposed: planner
    }

    @Test
    void binaryOpsOnEveryOperandLayoutEqualTheScalarTwin() {
        Generator g = new Generator(11);
        NdArray a = NdArray.randn(g, DType.F32, 3, 50).narrow(0, 1, 2);           // contiguous, offset 50
        for (NdArray b : rightOperands(g)) {
            for (int k = 0; k < BINARY.size(); k++) {
                CpuBackend.useSimd(true);
                float[] simd = BINARY.get(k).apply(a, b).toFloatArray();
                CpuBackend.useSimd(false);
                float[] twin = BINARY.get(k).apply(a, b).toFloatArray();
                assertArrayEquals(twin, simd, "op " + k + " with b " + b.shape() + " " + b.layout());
            }
        }
    }

    @Test
    void outArgumentsAliasingAnInputStayExact() {
        Generator g = new Generator(12);
        NdArray bias = NdArray.randn(g, DType.F32, 50);
        NdArray x = NdArray.randn(g, DType.F32, 4, 50);
        CpuBackend.useSimd(false);
        float[] expected = x.add(bias).mul(x).toFloatArray();
        CpuBackend.useSimd(true);
        NdArray out = x.copy();
        out.add(bias, out);
        out.mul(x, out);
        assertArrayEquals(expected, out.toFloatArray());
        // out = b itself (same layout) is allowed too.
        NdArray y = NdArray.randn(g, DType.F32, 4, 50);
        CpuBackend.useSimd(false);
        float[] expectedY = x.sub(y).toFloatArray();
        CpuBackend.useSimd(true);
        x.sub(y, y);
        assertArrayEquals(expectedY, y.toFloatArray());
    }

    @Test
    void sizesAroundTheGrainAgree() {
        Generator g = new Generator(13);
        for (int n : new int[] {0, 1, 15, 17, Strided.GRAIN - 1, Strided.GRAIN, Strided.GRAIN + 1}) {
            NdArray a = NdArray.randn(g, DType.F32, n);
            NdArray b = NdArray.randn(g, DType.F32, n);
            NdArray row = NdArray.randn(g, DType.F32, 1);
            CpuBackend.useSimd(false);
            float[] sum = a.add(b).toFloatArray();
            float[] scaled = a.mul(row).toFloatArray();
            float[] tanh = a.tanh().toFloatArray();
            CpuBackend.useSimd(true);
            assertArrayEquals(sum, a.add(b).toFloatArray(), "n = " + n);
            assertArrayEquals(scaled, a.mul(row).toFloatArray(), "n = " + n);
            assertClose(tanh, a.tanh().toFloatArray(), 2.5e-7, "tanh, n = " + n);
        }
        NdArray s = NdArray.scalar(DType.F32, 0.5);
        assertEquals(1.0, s.add(s).item());
        assertEquals(0, s.layout().rank());
    }

    @Test
    void unaryOpsOnOffsetViewsAndSeveralScratchChunksAgree() {
        Generator g = new Generator(14);
        // 2 * 1024 + 37 elements: the two-pass kernels (GELU, GELU', erf) run three scratch chunks.
        NdArray x = NdArray.randn(g, DType.F32, 3, 2085).mul(3).narrow(0, 1, 2);
        List<UnaryOperator<NdArray>> ops = List.of(NdArray::gelu, NdArray::geluGrad, NdArray::erf, NdArray::exp,
                NdArray::tanh);
        for (int k = 0; k < ops.size(); k++) {
            for (NdArray v : new NdArray[] {x, x.select(0, 1).narrow(0, 5, 40)}) {
                CpuBackend.useSimd(false);
                float[] twin = ops.get(k).apply(v).toFloatArray();
                CpuBackend.useSimd(true);
                assertClose(twin, ops.get(k).apply(v).toFloatArray(), 1e-6, "op " + k + " on " + v.shape());
            }
        }
    }

    @Test
    void copiesOfBroadcastRowsAndOffsetsAreExact() {
        Generator g = new Generator(15);
        for (DType t : new DType[] {DType.F32, DType.F64, DType.I32}) {
            NdArray src = NdArray.randn(g, DType.F32, 3, 7).mul(10).to(t);
            NdArray row = src.select(0, 2);                                      // offset 14
            NdArray dst = NdArray.zeros(t, 5, 7);
            dst.copyFrom(row);
            NdArray part = NdArray.zeros(t, 4, 3, 7).select(0, 1);               // contiguous, offset 21
            part.copyFrom(src);
            NdArray col = NdArray.zeros(t, 3, 7);
            col.copyFrom(src.narrow(1, 0, 1));                                   // a column: planner
            NdArray one = NdArray.zeros(t, 2, 3);
            one.copyFrom(src.select(0, 1).select(0, 4));                         // one value
            double[] s = src.toDoubleArray();
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 7; j++) {
                    assertEquals(s[14 + j], dst.select(0, i).select(0, j).item(), t + " row copy");
                }
            }
            assertArrayEquals(s, part.toDoubleArray(), t + " offset copy");
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 7; j++) {
                    assertEquals(s[7 * i], col.select(0, i).select(0, j).item(), t + " column copy");
                }
            }
            for (double v : one.toDoubleArray()) {
                assertEquals(s[11], v, t + " one value");
            }
        }
    }

    @Test
    void addmmStartsFromTheBiasRow() {
        Generator g = new Generator(16);
        NdArray bias = NdArray.randn(g, DType.F32, 2, 6).select(0, 1);
        NdArray x = NdArray.randn(g, DType.F32, 3, 4);
        NdArray w = NdArray.randn(g, DType.F32, 4, 6);
        float[] got = NdArray.addmm(bias, x, w).toFloatArray();
        float[] xs = x.toFloatArray();
        float[] ws = w.toFloatArray();
        float[] bs = bias.toFloatArray();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 6; j++) {
                double e = bs[j];
                for (int p = 0; p < 4; p++) {
                    e += (double) xs[4 * i + p] * ws[6 * p + j];
                }
                assertEquals(e, got[6 * i + j], 1e-5, "addmm at " + i + "," + j);
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual, double rel, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]) / Math.max(Math.abs(expected[i]), 1.0);
            assertTrue(err <= rel, what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
        }
    }
}
