package dev.jgrad.nn;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.GradMode;
import dev.jgrad.autograd.NoGrad;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.Backends;

/**
 * Ba et al. 2016: normalise the last dim to zero mean and unit (biased) variance, then scale
 * and shift. F32 runs one fused op (forward saves each row's mean and rstd; the backward is
 * two passes, as llm.c's); other dtypes are built from Tensor ops, which is also the oracle the
 * fused op is tested against.
 */
public final class LayerNorm extends Module implements Layer {
    private final int size;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    public LayerNorm(int size, double eps, DType dtype) {
        this(size, eps, true, dtype);
    }

    /** @param bias false for a LayerNorm with a gain only (nanoGPT's bias=False) */
    public LayerNorm(int size, double eps, boolean bias, DType dtype) {
        if (size <= 0 || !(eps > 0)) {
            throw new IllegalArgumentException("LayerNorm: need size > 0 and eps > 0, got " + size + ", " + eps);
        }
        this.size = size;
        this.eps = eps;
        this.weight = parameter("weight", NdArray.ones(dtype, size));
        this.bias = bias ? parameter("bias", NdArray.zeros(dtype, size)) : null;
    }

    public LayerNorm(int size) {
        this(size, 1e-5, DType.F32);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() == 0 || x.size(-1) != size) {
            throw new IllegalArgumentException("LayerNorm(" + size + "): input shape " + x.shape()
                    + " does not end in " + size);
        }
        if (x.dtype() == DType.F32 && weight.data().dtype() == DType.F32) {
            return bias == null ? new Fused(eps).apply(x, weight.tensor())
                    : new Fused(eps).apply(x, weight.tensor(), bias.tensor());
        }
        int[] last = {-1};
        Tensor centered = x.sub(x.mean(last, true));
        Tensor var = centered.mul(centered).mean(last, true);
        Tensor y = centered.mul(var.add(eps).rsqrt()).mul(weight.tensor());
        return bias == null ? y : y.add(bias.tensor());
    }

    /**
     * Inference without autograd into arrays the caller owns (a decoding loop reuses them token
     * after token): y = LayerNorm(x) into {@code out} (x's shape), each row's mean and rstd into
     * {@code mean} and {@code rstd} (rows = x.numel() / C, F32). The same kernel as {@link
     * #forward} for F32, so the same bits; other dtypes compute {@link #forward} and copy.
     */
    public NdArray forwardInto(NdArray x, NdArray out, NdArray mean, NdArray rstd) {
        if (x.rank() == 0 || x.size(-1) != size) {
            throw new IllegalArgumentException("LayerNorm(" + size + "): input shape " + x.shape()
                    + " does not end in " + size);
        }
        int rows = x.numel() / size;
        if (!out.shape().equals(x.shape()) || out.dtype() != x.dtype() || !out.isContiguous()
                || mean.numel() != rows || rstd.numel() != rows || !mean.isContiguous() || !rstd.isContiguous()
                || mean.dtype() != DType.F32 || rstd.dtype() != DType.F32) {
            throw new IllegalArgumentException("LayerNorm(" + size + ").forwardInto: for x " + x.dtype() + " " + x.shape()
                    + " needs a contiguous out of that shape and dtype and contiguous F32 mean and rstd of " + rows
                    + " elements, got out " + out.dtype() + " " + out.shape() + ", mean " + mean.shape() + ", rstd "
                    + rstd.shape());
        }
        if (x.dtype() == DType.F32 && weight.data().dtype() == DType.F32) {
            Backends.get().layerNormForward(x.contiguous(), weight.data().contiguous(),
                    bias == null ? null : bias.data().contiguous(), eps, out, mean, rstd);
            return out;
        }
        try (NoGrad ignored = NoGrad.enter()) {
            return out.copyFrom(forward(Tensor.of(x)).data());
        }
    }

    /** The fused op: inputs x (..., C), weight (C) and optionally bias (C). */
    static final class Fused extends Function {
        private final double eps;
        private NdArray mean;
        private NdArray rstd;
        private boolean hasBias;

        Fused(double eps) {
            this.eps = eps;
        }

        @Override
        public String name() {
            return "LayerNorm";
        }

        @Override
        protected NdArray forward(Tensor... in) {
            save(in[0], in[1]);
            hasBias = in.length > 2;
            NdArray x = in[0].data().contiguous();
            int c = x.size(-1);
            int rows = c == 0 ? 0 : x.numel() / c;
            NdArray y = NdArray.empty(DType.F32, x.shape());
            mean = NdArray.empty(DType.F32, rows);
            rstd = NdArray.empty(DType.F32, rows);
            Backends.get().layerNormForward(x, in[1].data().contiguous(),
                    in.length > 2 ? in[2].data().contiguous() : null, eps, y, mean, rstd);
            return y;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            Tensor w = saved(1);
            int c = x.size(-1);
            if (!GradMode.isEnabled()) {
                NdArray dx = NdArray.empty(DType.F32, x.shape());
                NdArray dw = NdArray.empty(DType.F32, c);
                NdArray db = hasBias ? NdArray.empty(DType.F32, c) : null;
                Backends.get().layerNormBackward(g.data().contiguous(), x.data().contiguous(), w.data().contiguous(),
                        mean, rstd, dx, dw, db);
                return hasBias ? new Tensor[] {Tensor.of(dx), Tensor.of(dw), Tensor.of(db)}
                        : new Tensor[] {Tensor.of(dx), Tensor.of(dw)};
            }
            // create_graph: the same formulas from differentiable ops, so gradients of gradients work.
            int[] last = {-1};
            Tensor centered = x.sub(x.mean(last, true));
            Tensor rs = centered.mul(centered).mean(last, true).add(eps).rsqrt();
            Tensor xhat = centered.mul(rs);
            Tensor gw = g.mul(w);
            Tensor dx = gw.sub(gw.mean(last, true)).sub(xhat.mul(gw.mul(xhat).mean(last, true))).mul(rs);
            Tensor dw = g.mul(xhat).reshape(-1, c).sum(new int[] {0}, false);
            Tensor db = g.reshape(-1, c).sum(new int[] {0}, false);
            return hasBias ? new Tensor[] {dx, dw, db} : new Tensor[] {dx, dw};
        }
    }
}
