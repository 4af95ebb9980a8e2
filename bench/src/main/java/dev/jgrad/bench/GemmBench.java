package dev.jgrad.bench;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.cpu.CpuBackend;
import dev.jgrad.tensor.cpu.Parallel;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * F32 GEMM, C = A (m, k) x B (k, n), row-major, for four implementations on the same data in
 * the same run: jgrad's scalar twin (the oracle kernel), jgrad's packed SIMD GEMM, EJML (the
 * pure-Java baseline) and OpenBLAS {@code cblas_sgemm} (the native ceiling, through JavaCPP),
 * each writing into a result allocated once; and jgrad again with a fresh result per call.
 *
 * <p>{@code shape} is {@code n} for a square product, {@code MxKxN}, or {@code BxMxKxN} for a
 * batch of B independent products. GFLOP/s = 2 B M K N / time; {@link GemmReport} computes it
 * from the JMH JSON.
 */
@State(Scope.Benchmark)
public class GemmBench extends JmhDefaults {
    @Param({"64", "128", "256", "512", "1024", "2048", "207", "300", "702",
        "768x128x384", "768x128x128", "768x128x512", "768x512x128", "768x128x65", "48x256x64x64"})
    String shape;

    @Param({"1", "2"})
    int threads;

    int batch;
    int m;
    int k;
    int n;
    NdArray x;
    NdArray y;
    NdArray z;
    FMatrixRMaj[] ea;
    FMatrixRMaj[] eb;
    FMatrixRMaj[] ec;
    FloatPointer pa;
    FloatPointer pb;
    FloatPointer pc;

    /** Parses a shape parameter into {batch, m, k, n}. */
    static int[] parse(String shape) {
        String[] p = shape.split("x");
        return switch (p.length) {
            case 1 -> new int[] {1, Integer.parseInt(p[0]), Integer.parseInt(p[0]), Integer.parseInt(p[0])};
            case 3 -> new int[] {1, Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
            case 4 -> new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]),
                Integer.parseInt(p[3])};
            default -> throw new IllegalArgumentException("GemmBench: shape must be N, MxKxN or BxMxKxN, got " + shape);
        };
    }

    @Setup(Level.Trial)
    public void setup() {
        int[] s = parse(shape);
        batch = s[0];
        m = s[1];
        k = s[2];
        n = s[3];
        Parallel.setThreads(threads);
        EjmlConcurrency.setMaxThreads(threads);
        openblas_nolapack.blas_set_num_threads(threads);
        Generator g = new Generator(1);
        x = batch == 1 ? NdArray.randn(g, DType.F32, m, k) : NdArray.randn(g, DType.F32, batch, m, k);
        y = batch == 1 ? NdArray.randn(g, DType.F32, k, n) : NdArray.randn(g, DType.F32, batch, k, n);
        z = batch == 1 ? NdArray.zeros(DType.F32, m, n) : NdArray.zeros(DType.F32, batch, m, n);
        float[] av = x.toFloatArray();
        float[] bv = y.toFloatArray();
        ea = new FMatrixRMaj[batch];
        eb = new FMatrixRMaj[batch];
        ec = new FMatrixRMaj[batch];
        for (int i = 0; i < batch; i++) {
            ea[i] = new FMatrixRMaj(m, k);
            eb[i] = new FMatrixRMaj(k, n);
            ec[i] = new FMatrixRMaj(m, n);
            System.arraycopy(av, i * m * k, ea[i].data, 0, m * k);
            System.arraycopy(bv, i * k * n, eb[i].data, 0, k * n);
        }
        pa = new FloatPointer(av);
        pb = new FloatPointer(bv);
        pc = new FloatPointer((long) batch * m * n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pa.close();
        pb.close();
        pc.close();
    }

    /**
     * jgrad's packed, register-blocked Vector API GEMM (the default F32 path), into a result
     * array allocated once, as the EJML, OpenBLAS and PyTorch ({@code torch.mm(out=)}) columns do.
     */
    @Benchmark
    public NdArray jgrad() {
        return x.matmul(y, z);
    }

    /** The same product into a fresh result array per call ({@code x.matmul(y)}, what autograd does). */
    @Benchmark
    public NdArray jgradFreshResult() {
        return x.matmul(y);
    }

    /** jgrad's scalar twin: the i-j-k oracle kernel, split over rows on the same pool. */
    @Benchmark
    public NdArray scalarTwin() {
        CpuBackend.useSimd(false);
        try {
            return x.matmul(y, z);
        } finally {
            CpuBackend.useSimd(true);
        }
    }

    @Benchmark
    public FMatrixRMaj ejml() {
        for (int i = 0; i < batch; i++) {
            if (threads == 1) {
                CommonOps_FDRM.mult(ea[i], eb[i], ec[i]);
            } else {
                CommonOps_MT_FDRM.mult(ea[i], eb[i], ec[i]);
            }
        }
        return ec[batch - 1];
    }

    @Benchmark
    public FloatPointer openblas() {
        for (int i = 0; i < batch; i++) {
            openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                    openblas_nolapack.CblasNoTrans, m, n, k, 1f, pa.position((long) i * m * k), k,
                    pb.position((long) i * k * n), n, 0f, pc.position((long) i * m * n), n);
        }
        return pc;
    }
}
