package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jgrad.autograd.NoGrad;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.autograd.check.GradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.Backends;
import dev.jgrad.tensor.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/**
 * Causal attention: the composite (float64) path against finite differences, and the fused
 * float32 kernels (and their scalar twins) against the composite, for full and cached
 * (Tq < Tk) queries and for strided q, k, v views like those split from a qkv projection.
 */
class AttentionTest {
    private static final Generator G = new Generator(77);

    /** (B, nh, T, hs) as a strided view: a (B, T, nh, hs) array transposed, as GPT makes it. */
    private static NdArray headsView(DType dt, int b, int nh, int t, int hs) {
        return NdArray.randn(G, DType.F64, b, t, nh, hs).to(dt).transpose(1, 2);
    }

    /** The F32 copy of a heads view, itself a strided heads view (the kernels read it in place). */
    private static NdArray heads32(NdArray heads) {
        return heads.transpose(1, 2).to(DType.F32).transpose(1, 2);
    }

    /** An F32 copy of k held as the first Tk positions of a longer buffer, as a preallocated KV cache holds it. */
    private static NdArray cachePrefix(NdArray k) {
        int tk = k.size(2);
        NdArray buf = NdArray.full(DType.F32, Float.NaN, k.size(0), k.size(1), tk + 5, k.size(3));
        buf.narrow(2, 0, tk).copyFrom(k.to(DType.F32));
        return buf.narrow(2, 0, tk);
    }

    @Test
    void compositeGradientsMatchFiniteDifferences() {
        Tensor q = Tensor.param(NdArray.randn(G, DType.F64, 2, 2, 3, 4));
        Tensor k = Tensor.param(NdArray.randn(G, DType.F64, 2, 2, 5, 4));
        Tensor v = Tensor.param(NdArray.randn(G, DType.F64, 2, 2, 5, 4));
        GradCheck.assertGradients(in -> Attention.causal(in[0], in[1], in[2]), q, k, v);
    }

    @Test
    void fusedFloat32KernelsMatchTheCompositeAndTheirTwins() {
        // (B, nh, Tq, Tk, hs); the last five span several 64 x 64 tiles (a partial last tile, a
        // cached query block over three key tiles, one decoded token over three key tiles). With
        // AVX-512, hs 32 and 64 take the register tile straight for bands of 8 rows (64 two tiles
        // a band); 20, 150 and 70 rows end in a partial band, which goes through the GEMM.
        int[][] shapes = {{2, 3, 7, 7, 5}, {1, 2, 3, 9, 16}, {3, 4, 64, 64, 32}, {1, 1, 1, 20, 8},
            {1, 2, 20, 20, 64}, {1, 2, 150, 150, 16}, {1, 1, 150, 150, 32}, {2, 1, 70, 200, 8},
            {1, 1, 70, 200, 32}, {1, 1, 1, 130, 8}};
        for (int[] sh : shapes) {
            int b = sh[0];
            int nh = sh[1];
            int tq = sh[2];
            int tk = sh[3];
            int hs = sh[4];
            NdArray q = headsView(DType.F64, b, nh, tq, hs);
            NdArray k = headsView(DType.F64, b, nh, tk, hs);
            NdArray v = headsView(DType.F64, b, nh, tk, hs);
            NdArray up = NdArray.randn(G, DType.F64, b, nh, tq, hs);
            Tensor[] ref = {Tensor.param(q), Tensor.param(k), Tensor.param(v)};
            Tensor out64 = Attention.causal(ref[0], ref[1], ref[2]);
            out64.backward(Tensor.of(up));
            float[][][] byTwin = new float[2][][];
            for (int simd = 0; simd < 2; simd++) {
                CpuBackend.useSimd(simd == 1);
                try {
                    Tensor[] in = {Tensor.param(heads32(q)), Tensor.param(cachePrefix(k)), Tensor.param(heads32(v))};
                    Tensor out = Attention.causal(in[0], in[1], in[2]);
                    String at = "shape " + java.util.Arrays.toString(sh) + " simd " + simd;
                    assertArrayEquals(out64.data().to(DType.F32).toFloatArray(), out.data().toFloatArray(), 2e-5f, at);
                    out.backward(Tensor.of(up.to(DType.F32)));
                    byTwin[simd] = new float[3][];
                    for (int i = 0; i < 3; i++) {
                        assertArrayEquals(ref[i].grad().data().to(DType.F32).toFloatArray(),
                                in[i].grad().data().toFloatArray(), 5e-5f, at + " gradient " + i);
                        byTwin[simd][i] = in[i].grad().data().toFloatArray();
                    }
                } finally {
                    CpuBackend.useSimd(true);
                }
            }
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(byTwin[0][i], byTwin[1][i], 1e-5f, "SIMD against scalar twin, gradient " + i);
            }
        }
    }

    /**
     * Each gradient comes laid out as its input: a contiguous input (a leaf of its own) gets a
     * contiguous gradient, which a leaf keeps without a copy; heads viewed from a (B, T, nh, hs)
     * projection get that layout, which merges back into (B, T, C) as a view. The values are the
     * same bits either way.
     */
    @Test
    void gradientsComeLaidOutAsTheirInputs() {
        NdArray up = NdArray.randn(G, DType.F32, 2, 3, 9, 8);
        NdArray[] views = {headsView(DType.F32, 2, 3, 9, 8), headsView(DType.F32, 2, 3, 9, 8),
            headsView(DType.F32, 2, 3, 9, 8)};
        NdArray[] dense = {views[0].contiguous(), views[1].contiguous(), views[2].contiguous()};
        Tensor[] fromViews = backwardOf(views, up);
        Tensor[] fromDense = backwardOf(dense, up);
        for (int i = 0; i < 3; i++) {
            NdArray gv = fromViews[i].data();
            NdArray gd = fromDense[i].data();
            assertArrayEquals(gv.toFloatArray(), gd.toFloatArray(), 0f, "gradient " + i);
            assertArrayEquals(dense[i].layout().strides(), gd.layout().strides(),
                    "gradient " + i + " of a contiguous input");
            assertArrayEquals(views[i].layout().strides(), gv.layout().strides(), "gradient " + i + " of a heads view");
        }
    }

    /** The fused node's own gradients for inputs qkv and output gradient up (first order, as the engine asks). */
    private static Tensor[] backwardOf(NdArray[] qkv, NdArray up) {
        Attention.CausalSdpa f = new Attention.CausalSdpa();
        f.apply(Tensor.param(qkv[0]), Tensor.param(qkv[1]), Tensor.param(qkv[2]));
        try (NoGrad ignored = NoGrad.enter()) {
            return f.backward(Tensor.of(up));
        }
    }

    @Test
    void savedLogSumExpMatchesTheScalarTwin() {
        int b = 2;
        int nh = 2;
        int tq = 90;
        int tk = 140;
        int hs = 12;
        NdArray q = heads32(headsView(DType.F64, b, nh, tq, hs));
        NdArray k = heads32(headsView(DType.F64, b, nh, tk, hs));
        NdArray v = heads32(headsView(DType.F64, b, nh, tk, hs));
        float[][] lse = new float[2][];
        for (int simd = 0; simd < 2; simd++) {
            CpuBackend.useSimd(simd == 1);
            try {
                NdArray out = NdArray.zeros(DType.F32, b, nh, tq, hs);
                NdArray l = NdArray.zeros(DType.F32, b, nh, tq);
                Backends.get().causalAttentionForward(q, k, v, 1 / Math.sqrt(hs), out, l);
                lse[simd] = l.toFloatArray();
            } finally {
                CpuBackend.useSimd(true);
            }
        }
        assertArrayEquals(lse[0], lse[1], 1e-5f);
    }

    @Test
    void outputsWrittenInPlaceMustHaveUnitStrideRows() {
        NdArray q = heads32(headsView(DType.F64, 1, 2, 4, 3));
        NdArray out = NdArray.zeros(DType.F32, 1, 2, 3, 4).transpose(2, 3);   // (1, 2, 4, 3), last dim strided
        NdArray l = NdArray.zeros(DType.F32, 1, 2, 4);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Backends.get().causalAttentionForward(q, q, q, 1.0, out, l));
        assertEquals("causal_attention: out of shape (1, 2, 4, 3) must have a unit-stride last dim, but its strides"
                + " are [24, 12, 1, 4]", e.getMessage());
    }

    @Test
    void secondOrderThroughTheFloat32PathMatchesFloat64() {
        NdArray q = NdArray.randn(G, DType.F64, 1, 2, 4, 3);
        NdArray k = NdArray.randn(G, DType.F64, 1, 2, 4, 3);
        NdArray v = NdArray.randn(G, DType.F64, 1, 2, 4, 3);
        double[] hv = new double[2];
        for (int run = 0; run < 2; run++) {
            DType dt = run == 0 ? DType.F64 : DType.F32;
            Tensor tq = Tensor.param(q.to(dt));
            Tensor out = Attention.causal(tq, Tensor.of(k.to(dt)), Tensor.of(v.to(dt)));
            Tensor gq = Tensor.grad(out.pow(2).sum(), new Tensor[] {tq}, null, true, true)[0];
            hv[run] = Tensor.grad(gq.pow(2).sum(), tq)[0].data().sum().item();
        }
        assertEquals(hv[0], hv[1], 1e-3 * Math.max(1, Math.abs(hv[0])));
    }
}
