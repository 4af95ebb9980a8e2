package dev.jgrad.tensor.cpu;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.PackedMatrix;

/**
 * The CPU backend's matrix products: which kernel a product goes to ({@link Gemm}, the panel
 * product of a {@link PackedMatrix}, or the naive oracles in {@link MatmulKernels}) and how
 * batched products are split across the pool.
 */
final class MatrixProducts {
    private MatrixProducts() {
    }

    /** See {@link dev.jgrad.tensor.backend.Backend#pack}: F32 as panels, other dtypes as a plain copy. */
    static PackedMatrix pack(NdArray b) {
        if (b.dtype() != DType.F32) {
            return new PackedMatrix(b.dtype(), b.size(0), b.size(1), b.copy());
        }
        int[] st = b.layout().strides();
        return new PackedMatrix(DType.F32, b.size(0), b.size(1),
                MatmulKernels.panels(b.storageF32(), b.layout().offset(), st[0], st[1], b.size(0), b.size(1)));
    }

    /** a (M, K) x packed b into contiguous out (M, N); the oracle (simd off) unpacks first. */
    static void matmulInto(NdArray a, PackedMatrix b, NdArray out, boolean accumulate, boolean simd) {
        if (!(b.data() instanceof float[] p)) {
            matmulInto(a, (NdArray) b.data(), out, accumulate, simd);
            return;
        }
        int k = b.rows();
        int n = b.cols();
        if (!simd) {
            // The oracle reads plain rows: unpack (only the scalar-twin mode comes here).
            NdArray plain = NdArray.zeros(DType.F32, k, n);
            MatmulKernels.unpanel(p, k, n, plain.storageF32());
            matmulInto(a, plain, out, accumulate, false);
            return;
        }
        int[] as = a.layout().strides();
        MatmulKernels.panelProduct(a.storageF32(), a.layout().offset(), as[0], as[1], p, k, n, out.storageF32(),
                out.layout().offset(), n, a.size(0), accumulate, true);
    }

    /**
     * Batched (..., M, K) x (..., K, N) into contiguous out, batch dims already broadcast equal:
     * the packed GEMM per product (few big products split across the pool, many small ones a
     * whole product per task), or the naive oracle kernels when SIMD is off or the dtype is not
     * F32.
     */
    static void matmulInto(NdArray a, NdArray b, NdArray out, boolean accumulate, boolean simd) {
        int r = a.rank();
        int m = a.size(-2);
        int k = a.size(-1);
        int n = b.size(-1);
        int[] outDims = out.shape().dims();
        int batch = m * n == 0 ? 0 : out.numel() / (m * n);
        if (out.numel() == 0) {
            return;
        }
        int co0 = out.layout().offset();
        int[] as = a.layout().strides();
        int[] bs = b.layout().strides();
        int[] batchDims = java.util.Arrays.copyOf(outDims, r - 2);
        int sam = as[r - 2];
        int sak = as[r - 1];
        int sbk = bs[r - 2];
        int sbn = bs[r - 1];
        // Storage offsets of each batch's A and B (batch dims may be broadcast, stride 0).
        int[] aOff = new int[batch];
        int[] bOff = new int[batch];
        for (int bi = 0; bi < batch; bi++) {
            int ao = a.layout().offset();
            int bo = b.layout().offset();
            int rem = bi;
            for (int d = batchDims.length - 1; d >= 0; d--) {
                int idx = rem % batchDims[d];
                rem /= batchDims[d];
                ao += idx * as[d];
                bo += idx * bs[d];
            }
            aOff[bi] = ao;
            bOff[bi] = bo;
        }
        if (a.dtype() == DType.F32 && simd) {
            float[] av = a.storageF32();
            float[] bv = b.storageF32();
            float[] cv = out.storageF32();
            long work = (long) m * n * k;
            if (batch == 1 || (batch < 2 * Parallel.threads() && work >= 4 * Gemm.PARALLEL_MIN)) {
                // Few products, each big enough to split across the pool by itself.
                for (int bi = 0; bi < batch; bi++) {
                    Gemm.sgemm(av, aOff[bi], sam, sak, bv, bOff[bi], sbk, sbn, cv, co0 + bi * m * n, n, m, n, k,
                            accumulate, true);
                }
            } else {
                // Many products (attention heads): whole products per task.
                int grain = (int) Math.max(1, Gemm.PARALLEL_MIN / Math.max(work, 1));
                Parallel.forRange(batch, grain, (lo, hi) -> {
                    for (int bi = lo; bi < hi; bi++) {
                        Gemm.sgemm(av, aOff[bi], sam, sak, bv, bOff[bi], sbk, sbn, cv, co0 + bi * m * n, n, m, n, k,
                                accumulate, false);
                    }
                });
            }
            return;
        }
        if (accumulate) {
            // The oracle kernels overwrite; add their product instead.
            NdArray product = NdArray.zeros(out.dtype(), out.shape());
            matmulInto(a, b, product, false, simd);
            CpuBackend.accumulate(out, product);
            return;
        }
        int rowBlock = 16;
        int blocks = (m + rowBlock - 1) / rowBlock;
        long flopsPerTask = 2L * rowBlock * n * Math.max(k, 1);
        int grain = (int) Math.max(1, (1L << 21) / flopsPerTask);
        Parallel.forRange(batch * blocks, grain, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int bi = t / blocks;
                int rowLo = (t % blocks) * rowBlock;
                int rowHi = Math.min(m, rowLo + rowBlock);
                int ao = aOff[bi] + rowLo * sam;
                int co = co0 + bi * m * n + rowLo * n;
                switch (a.dtype()) {
                    case F32 -> MatmulKernels.naive(a.storageF32(), ao, sam, sak, b.storageF32(), bOff[bi], sbk, sbn,
                            out.storageF32(), co, rowHi - rowLo, n, k);
                    case F64 -> MatmulKernels.naiveF64(a.storageF64(), ao, sam, sak, b.storageF64(), bOff[bi], sbk,
                            sbn, out.storageF64(), co, rowHi - rowLo, n, k);
                    case I32 -> MatmulKernels.naiveI32(a.storageI32(), ao, sam, sak, b.storageI32(), bOff[bi], sbk,
                            sbn, out.storageI32(), co, rowHi - rowLo, n, k);
                }
            }
        });
    }
}
