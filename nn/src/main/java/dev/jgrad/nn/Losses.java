package dev.jgrad.nn;

import dev.jgrad.autograd.Function;
import dev.jgrad.autograd.GradMode;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.ArrayPool;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.backend.Backends;

/** Classification losses over logits (N, V) or (..., V) and I32 targets of the leading shape. */
public final class Losses {
    /** PyTorch's default ignore index. */
    public static final int IGNORE_INDEX = -100;

    public enum Reduction { MEAN, SUM }

    private Losses() {
    }

    /** Mean cross-entropy with no ignored targets. */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        return crossEntropy(logits, targets, IGNORE_INDEX, Reduction.MEAN);
    }

    /**
     * Cross-entropy as one fused op: log-softmax and the negative log-likelihood of the target
     * in the forward pass, and (softmax - onehot) · g in the backward pass, so the (N, V)
     * log-probabilities never become a node of their own. Targets equal to {@code ignoreIndex}
     * contribute nothing; MEAN divides by the number of targets that are not ignored (NaN when
     * all are, as in PyTorch).
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Reduction reduction) {
        if (logits.rank() < 1 || !logits.dtype().isFloating()) {
            throw new IllegalArgumentException("cross_entropy: logits must be floating with a class dim, got "
                    + logits.dtype() + " " + logits.shape());
        }
        if (targets.dtype() != DType.I32) {
            throw new IllegalArgumentException("cross_entropy: targets must be I32, got " + targets.dtype() + " "
                    + targets.shape());
        }
        int v = logits.size(-1);
        int[] lead = java.util.Arrays.copyOf(logits.shape().dims(), logits.rank() - 1);
        if (!targets.shape().equals(dev.jgrad.tensor.Shape.of(lead))) {
            throw new IllegalArgumentException("cross_entropy: logits " + logits.shape() + " need targets of shape "
                    + dev.jgrad.tensor.Shape.of(lead) + ", got " + targets.shape());
        }
        int[] t = targets.data().toIntArray();
        for (int i = 0; i < t.length; i++) {
            if (t[i] != ignoreIndex && (t[i] < 0 || t[i] >= v)) {
                throw new IndexOutOfBoundsException("cross_entropy: target " + t[i] + " at position " + i
                        + " is out of range for " + v + " classes (ignore index " + ignoreIndex + ")");
            }
        }
        Tensor flat = logits.reshape(-1, v);
        return new CrossEntropy(t, ignoreIndex, reduction).apply(flat);
    }

    /** Negative log-likelihood of log-probabilities (N, V) at I32 targets (N), mean over all targets. */
    public static Tensor nll(Tensor logProbs, Tensor targets) {
        if (logProbs.rank() != 2 || targets.rank() != 1 || targets.size(0) != logProbs.size(0)) {
            throw new IllegalArgumentException("nll: expects log-probs (N, V) and targets (N), got " + logProbs.shape()
                    + " and " + targets.shape());
        }
        return logProbs.gather(1, targets.reshape(-1, 1)).mean().neg();
    }

    static final class CrossEntropy extends Function {
        private final int[] targets;
        private final int ignoreIndex;
        private final Reduction reduction;
        /** Targets that are not ignored: MEAN's N, in the loss and in its gradient. */
        private final int counted;

        CrossEntropy(int[] targets, int ignoreIndex, Reduction reduction) {
            this.targets = targets;
            this.ignoreIndex = ignoreIndex;
            this.reduction = reduction;
            int c = 0;
            for (int t : targets) {
                c += t != ignoreIndex ? 1 : 0;
            }
            this.counted = c;
        }

        @Override
        public String name() {
            return "CrossEntropy";
        }

        /** softmax - onehot from the fused forward (F32 only); the first-order backward scales it. */
        private NdArray fusedGrad;

        @Override
        protected NdArray forward(Tensor... in) {
            save(in[0]);
            NdArray x = in[0].data();
            if (x.dtype() == DType.F32) {
                // One pass over the logits: loss and softmax - onehot together.
                NdArray xc = x.contiguous();
                fusedGrad = NdArray.empty(DType.F32, xc.shape());
                // The reduction's 1/N goes into the kernel's last pass over each row: a backward
                // from the loss itself then needs no pass of its own (64 x 50257: a 13 MB array).
                double total = Backends.get().softmaxCrossEntropy(xc, targets, ignoreIndex, (float) gradScale(),
                        fusedGrad);
                return NdArray.scalar(DType.F32, reduction == Reduction.MEAN ? total / counted : total);
            }
            NdArray logp = x.logSoftmax(1);
            int n = targets.length;
            double total = 0;
            for (int i = 0; i < n; i++) {
                if (targets[i] != ignoreIndex) {
                    total -= logp.getDouble(i, targets[i]);
                }
            }
            double loss = reduction == Reduction.MEAN ? total / counted : total;
            return NdArray.scalar(in[0].dtype(), loss);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor logits = saved(0);
            if (fusedGrad != null && !GradMode.isEnabled()) {
                // First order: the forward already computed (softmax - onehot) / N.
                // The array is this node's own and is handed over here, to the backward pass's
                // recording, so a leaf may keep it or the pool take it back.
                NdArray d = fusedGrad;
                double upstream = g.data().toDoubleArray()[0];
                if (upstream != 1.0) {
                    d.mul(upstream, d);
                }
                fusedGrad = null;
                ArrayPool.adopt(d);
                return new Tensor[] {Tensor.of(d)};
            }
            // Higher order (create_graph): the same gradient from differentiable ops.
            int n = targets.length;
            int v = logits.size(1);
            int[] hot = new int[n * v];
            int[] kept = new int[n];
            for (int i = 0; i < n; i++) {
                if (targets[i] != ignoreIndex) {
                    hot[i * v + targets[i]] = 1;
                    kept[i] = 1;
                }
            }
            NdArray onehot = NdArray.of(hot, n, v).to(logits.dtype());
            NdArray keep = NdArray.of(kept, n, 1).to(logits.dtype());
            Tensor d = logits.softmax(1).sub(Tensor.of(onehot)).mul(Tensor.of(keep.mul(gradScale())));
            return new Tensor[] {d.mul(g)};
        }

        /**
         * The gradient's factor per counted row: 1/N for MEAN, 1 for SUM. With every target
         * ignored the MEAN loss is NaN (0/0) but its gradient is zero, as in PyTorch, whose
         * backward skips ignored rows rather than multiplying them by 1/0.
         */
        private double gradScale() {
            return reduction != Reduction.MEAN ? 1.0 : counted == 0 ? 0.0 : 1.0 / counted;
        }
    }
}
