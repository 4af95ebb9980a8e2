package dev.jgrad.autograd;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.Shape;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One differentiable operation and, once applied, its node on the tape. Every built-in op is a
 * small subclass with {@link #forward} and, directly under it, {@link #backward}; users extend
 * it the same way for ops of their own (see README, "Adding an op").
 *
 * <p>Contract: {@code forward} computes the result from the inputs' data and saves what backward
 * needs with {@link #save}; {@code backward} receives the gradient of the result and returns one
 * gradient per input ({@code null} where there is none), written with {@link Tensor} ops so that
 * gradients of gradients work ({@code createGraph}). A gradient may have the broadcast shape of
 * the result: the engine sums it back to the input's shape (the one place unbroadcasting
 * happens). An instance is applied once.
 *
 * <p>jgrad's own ops never keep the gradient they receive or the ones they return, which lets
 * the engine recycle dead gradient arrays during backward. A graph holding an op defined
 * elsewhere is run without recycling, so a user's op may keep whatever it likes.
 */
public abstract class Function {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    // Filled by apply() when the op is recorded.
    long sequence;
    Object[] next;            // per input: its Function, its leaf Tensor, or null (no grad needed)
    Shape[] inputShapes;
    DType[] inputTypes;
    Tensor retained;          // output whose .grad the user asked to keep (retainGrad)
    boolean released;
    private boolean applied;
    private boolean recording;
    private Tensor[] saved;
    private boolean saveResult;
    private Tensor result;

    /** Computes the result from the inputs' data; runs with recording off. */
    protected abstract NdArray forward(Tensor... inputs);

    /** Gradients of the inputs given the gradient of the result. */
    protected abstract Tensor[] backward(Tensor grad);

    /** A name for error messages; the class name by default. */
    public String name() {
        return getClass().getSimpleName();
    }

    /** Keeps tensors for backward; they are dropped once backward has run (unless the graph is retained). */
    protected final void save(Tensor... tensors) {
        saved = tensors.clone();
    }

    /** Keeps this op's own result for backward (e.g. exp, tanh, softmax). */
    protected final void saveResult() {
        saveResult = true;
    }

    protected final Tensor saved(int i) {
        if (released || saved == null) {
            throw freed();
        }
        return saved[i];
    }

    protected final Tensor result() {
        if (released || result == null) {
            throw freed();
        }
        return result;
    }

    private IllegalStateException freed() {
        return new IllegalStateException("backward: " + name() + " has already been run and its saved tensors"
                + " freed; call backward with retainGraph=true if you need to backward through the graph a second"
                + " time");
    }

    /** Runs the op and, when any input requires grad and recording is on, records it on the tape. */
    public final Tensor apply(Tensor... inputs) {
        if (applied) {
            throw new IllegalStateException(name() + ": a Function instance can be applied only once");
        }
        applied = true;
        boolean record = false;
        if (GradMode.isEnabled()) {
            for (Tensor t : inputs) {
                record |= t.requiresGrad();
            }
        }
        recording = record;
        NdArray out;
        try (NoGrad ignored = NoGrad.enter()) {
            out = forward(inputs);
        }
        if (out == null) {
            throw new IllegalStateException(name() + ": forward returned null");
        }
        if (!record) {
            saved = null;
            return new Tensor(out, null);
        }
        next = new Object[inputs.length];
        inputShapes = new Shape[inputs.length];
        inputTypes = new DType[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = inputs[i];
            inputShapes[i] = t.shape();
            inputTypes[i] = t.dtype();
            if (t.requiresGrad()) {
                next[i] = t.gradFn() != null ? t.gradFn() : t;
            }
        }
        sequence = SEQUENCE.incrementAndGet();
        Tensor r = new Tensor(out, this);
        if (saveResult) {
            result = r;
        }
        return r;
    }

    /**
     * Inside {@link #forward}: whether this application goes on the tape (grad mode on and some
     * input requires grad), so the forward may make now what only the backward needs.
     */
    protected final boolean recorded() {
        return recording;
    }

    /** True when input {@code i} needs a gradient: backward may skip work for the others. */
    protected final boolean needsGrad(int i) {
        return next != null && next[i] != null;
    }

    void release() {
        released = true;
        saved = null;
        result = null;
    }
}
