package dev.jgrad.autograd;

import dev.jgrad.autograd.ops.ViewGradient;
import dev.jgrad.tensor.ArrayPool;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.Shape;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode sweep over the tape. Nodes are found with an explicit stack (no recursion, so
 * 200,000-node chains are fine) and run in reverse creation order, which is a topological order
 * because an op is always created after its inputs. Each node's gradient is complete when it
 * runs; its input gradients are summed back to the input shapes here and nowhere else.
 */
final class Engine {
    private Engine() {
    }

    /**
     * Runs backward from {@code roots} seeded with {@code seeds}. With {@code capture} null, leaf
     * gradients accumulate into {@code .grad}; otherwise only the gradients of the captured
     * tensors are returned, in order, and no {@code .grad} is touched (PyTorch autograd.grad).
     */
    static Tensor[] run(Tensor[] roots, Tensor[] seeds, boolean retainGraph, boolean createGraph, Tensor[] capture) {
        Map<Function, Tensor> pending = new IdentityHashMap<>();
        // Pending gradients the engine allocated itself, so it may add into them in place.
        Set<Function> owned = Collections.newSetFromMap(new IdentityHashMap<>());
        // Owned sums that views have written only part of so far (see addToView).
        Map<Function, Unwritten> unwritten = new IdentityHashMap<>();
        Map<Object, Integer> captureIndex = new IdentityHashMap<>();
        Tensor[] captured = capture == null ? null : new Tensor[capture.length];
        if (capture != null) {
            for (int i = 0; i < capture.length; i++) {
                if (!capture[i].requiresGrad()) {
                    throw new IllegalArgumentException("grad: input " + i + " of shape " + capture[i].shape()
                            + " does not require grad");
                }
                captureIndex.put(capture[i].isLeaf() ? capture[i] : capture[i].gradFn(), i);
            }
        }
        List<Function> order = collect(roots);
        Recycler recycler = new Recycler(!createGraph && builtInOnly(order));
        try (NoGrad mode = createGraph ? NoGrad.enableGrad() : NoGrad.enter(); recycler) {
            for (int r = 0; r < roots.length; r++) {
                Tensor root = roots[r];
                if (!root.requiresGrad()) {
                    throw new IllegalArgumentException("backward: tensor of shape " + root.shape()
                            + " does not require grad and has no grad_fn");
                }
                if (root.isLeaf()) {
                    deliverLeaf(root, seeds[r], captured == null ? null : captureIndex.get(root), captured, createGraph,
                            false);
                } else {
                    merge(pending, owned, unwritten, root.gradFn(), seeds[r], createGraph, recycler);
                }
            }
            for (Function f : order) {
                Tensor g = pending.remove(f);
                if (g == null) {
                    continue;
                }
                Unwritten rest = unwritten.remove(f);
                if (rest != null) {
                    rest.zero();
                }
                recycler.drop(g);
                if (f.released) {
                    throw new IllegalStateException("backward: trying to backward through " + f.name()
                            + " a second time, but its buffers were freed by the first backward; pass"
                            + " retainGraph=true to the first call");
                }
                Integer ci = captureIndex.get(f);
                if (ci != null) {
                    captured[ci] = accumulate(captured[ci], g);
                }
                if (f.retained != null && captured == null) {
                    f.retained.setGrad(accumulate(f.retained.grad(), createGraph ? g : g.detach()));
                }
                if (!createGraph && f instanceof ViewGradient view && f.next[0] instanceof Function input) {
                    addToView(pending, owned, unwritten, input, f, view, g.data(), recycler);
                    recycler.consider(g);
                    recycler.flush();
                    if (!retainGraph) {
                        f.release();
                    }
                    continue;
                }
                Tensor[] grads = f.backward(g);
                if (grads == null || grads.length != f.next.length) {
                    throw new IllegalStateException(f.name() + ": backward returned "
                            + (grads == null ? "null" : grads.length + " gradients") + " for " + f.next.length
                            + " inputs");
                }
                Tensor[] summed = new Tensor[grads.length];
                for (int i = 0; i < grads.length; i++) {
                    Object edge = f.next[i];
                    if (edge == null || grads[i] == null) {
                        continue;
                    }
                    Tensor gi = sumTo(grads[i], f.inputShapes[i], f.name(), i);
                    if (gi.dtype() != f.inputTypes[i]) {
                        throw new IllegalStateException(f.name() + ": gradient of input " + i + " has dtype "
                                + gi.dtype() + " but the input is " + f.inputTypes[i]);
                    }
                    if (edge instanceof Function fn) {
                        merge(pending, owned, unwritten, fn, gi, createGraph, recycler);
                    } else {
                        Tensor leaf = (Tensor) edge;
                        Integer li = captured == null ? null : captureIndex.get(leaf);
                        boolean first = captured == null ? leaf.grad() == null : li != null && captured[li] == null;
                        deliverLeaf(leaf, gi, li, captured, createGraph, first && recycler.steal(gi, grads, f.next, i));
                    }
                    summed[i] = gi;
                }
                // Only now, with every result merged or delivered, can the pending counts say
                // which of this node's gradients nothing refers to any more.
                recycler.consider(g);
                for (int i = 0; i < grads.length; i++) {
                    recycler.consider(grads[i]);
                    recycler.consider(summed[i]);
                }
                recycler.flush();
                if (!retainGraph) {
                    f.release();
                }
            }
        }
        return captured;
    }

    /**
     * Adds a gradient to a node's pending sum. Without createGraph the sum lives in a buffer the
     * engine owns and grows in place; the additions happen in the same order either way.
     */
    private static void merge(Map<Function, Tensor> pending, Set<Function> owned, Map<Function, Unwritten> unwritten,
                              Function fn, Tensor g, boolean createGraph, Recycler recycler) {
        Tensor cur = pending.get(fn);
        if (cur == null) {
            pending.put(fn, g);
            recycler.hold(g);
        } else if (createGraph) {
            pending.put(fn, cur.add(g));
        } else {
            ownedBuffer(pending, owned, unwritten, fn, recycler).addFrom(g.data());
        }
    }

    /**
     * Adds the gradient of a view ({@code viewOp}'s output, a part of its input) into that part
     * of the input's pending sum. The first view to arrive gets a buffer that is not zero-filled:
     * it copies its gradient into its part, and later views copy into theirs as long as each is
     * a range of the same dim that nothing has written yet; only what no view wrote is zeroed,
     * when the sum is next used. Splitting GPT's qkv projection into q, k and v (three ranges of
     * its last dim) so costs three copies, where a zero-filled buffer cost a fill of the whole
     * (serial, on the calling thread) and three read-modify-write passes.
     */
    private static void addToView(Map<Function, Tensor> pending, Set<Function> owned, Map<Function, Unwritten> unwritten,
                                  Function input, Function viewOp, ViewGradient view, NdArray g, Recycler recycler) {
        Tensor cur = pending.get(input);
        Unwritten u = unwritten.get(input);
        if (cur == null) {
            NdArray buf = NdArray.empty(viewOp.inputTypes[0], viewOp.inputShapes[0]);
            NdArray window = view.viewOf(buf);
            Span span = Span.of(buf, window);
            own(pending, owned, input, buf, recycler);
            if (span == null) {
                buf.copyFrom(NdArray.scalar(buf.dtype(), 0));
                window.addFrom(g);
                return;
            }
            u = new Unwritten(buf, span.dim);
            window.copyFrom(g);
            u.written.set(span.from, span.to);
            unwritten.put(input, u);
            return;
        }
        if (u != null) {
            NdArray window = view.viewOf(u.buf);
            Span span = Span.of(u.buf, window);
            if (span != null && span.dim == u.dim && u.free(span)) {
                window.copyFrom(g);
                u.written.set(span.from, span.to);
                return;
            }
        }
        view.viewOf(ownedBuffer(pending, owned, unwritten, input, recycler)).addFrom(g);
    }

    /**
     * A range {@code [from, to)} of one dim of a contiguous array: the elements a view of it
     * covers, when they are such a range (a narrow, a slice of step 1, a select).
     */
    private record Span(int dim, int from, int to) {
        /** The span {@code window}, a view of the contiguous {@code buf}'s storage, covers, or null. */
        static Span of(NdArray buf, NdArray window) {
            int r = buf.rank();
            if (r == 0) {
                return null;
            }
            if (window.numel() == 0) {
                return new Span(0, 0, 0);
            }
            int[] bs = buf.layout().strides();
            int[] ws = window.layout().strides();
            int delta = window.layout().offset() - buf.layout().offset();
            if (window.rank() == r) {
                int dim = -1;
                for (int i = 0; i < r; i++) {
                    if (window.size(i) != buf.size(i) || (ws[i] != bs[i] && window.size(i) > 1)) {
                        if (dim >= 0) {
                            return null;
                        }
                        dim = i;
                    }
                }
                if (dim < 0) {
                    return delta == 0 ? new Span(0, 0, buf.size(0)) : null;
                }
                if (window.size(dim) > 1 && ws[dim] != bs[dim]) {
                    return null;
                }
                return range(buf, dim, delta, window.size(dim));
            }
            if (window.rank() == r - 1) {
                for (int d = 0; d < r; d++) {
                    if (sameBut(buf, bs, window, ws, d)) {
                        Span s = range(buf, d, delta, 1);
                        if (s != null) {
                            return s;
                        }
                    }
                }
            }
            return null;
        }

        /** Whether {@code window}'s dims are {@code buf}'s without dim d, strides included. */
        private static boolean sameBut(NdArray buf, int[] bs, NdArray window, int[] ws, int d) {
            for (int i = 0, j = 0; i < buf.rank(); i++) {
                if (i == d) {
                    continue;
                }
                if (window.size(j) != buf.size(i) || (ws[j] != bs[i] && buf.size(i) > 1)) {
                    return false;
                }
                j++;
            }
            return true;
        }

        /** Elements {@code delta / stride} to that plus {@code length} of dim d, if delta lands on one. */
        private static Span range(NdArray buf, int d, int delta, int length) {
            int stride = buf.layout().stride(d);
            if (stride <= 0 || delta % stride != 0) {
                return null;
            }
            int from = delta / stride;
            return from >= 0 && from + length <= buf.size(d) ? new Span(d, from, from + length) : null;
        }
    }

    /** An owned sum whose indices along {@code dim} not in {@code written} still hold garbage. */
    private static final class Unwritten {
        final NdArray buf;
        final int dim;
        final BitSet written = new BitSet();

        Unwritten(NdArray buf, int dim) {
            this.buf = buf;
            this.dim = dim;
        }

        boolean free(Span s) {
            int next = written.nextSetBit(s.from);
            return next < 0 || next >= s.to;
        }

        /** Zeroes every index of dim nothing wrote, making the buffer an ordinary sum. */
        void zero() {
            int n = buf.size(dim);
            NdArray zero = NdArray.scalar(buf.dtype(), 0);
            for (int from = written.nextClearBit(0); from < n; ) {
                int next = written.nextSetBit(from);
                int to = next < 0 ? n : Math.min(next, n);
                buf.narrow(dim, from, to - from).copyFrom(zero);
                from = written.nextClearBit(to);
            }
            written.set(0, n);
        }
    }

    /**
     * The node's pending gradient (there is one) as an array the engine owns and may add into:
     * a copy of it the first time, with any part no view has written zeroed.
     */
    private static NdArray ownedBuffer(Map<Function, Tensor> pending, Set<Function> owned,
                                       Map<Function, Unwritten> unwritten, Function fn, Recycler recycler) {
        Tensor cur = pending.get(fn);
        if (owned.contains(fn)) {
            Unwritten rest = unwritten.remove(fn);
            if (rest != null) {
                rest.zero();
            }
            return cur.data();
        }
        NdArray buf = cur.data().copy();
        own(pending, owned, fn, buf, recycler);
        recycler.drop(cur);
        recycler.consider(cur);   // the sum no longer needs it; it may still be one of this node's results
        return buf;
    }

    /** Makes {@code buf}, an array the engine just allocated, the node's pending sum. */
    private static void own(Map<Function, Tensor> pending, Set<Function> owned, Function fn, NdArray buf,
                            Recycler recycler) {
        Tensor t = Tensor.of(buf);
        pending.put(fn, t);
        owned.add(fn);
        recycler.hold(t);
    }

    /** Whether every node is one of jgrad's own ops (see {@link Recycler}). */
    private static boolean builtInOnly(List<Function> order) {
        for (Function f : order) {
            if (!f.getClass().getName().startsWith("dev.jgrad.")) {
                return false;
            }
        }
        return true;
    }

    /**
     * Hands this pass's intermediate gradients back to the {@link ArrayPool} once dead, so the
     * rest of the pass and the next forward reuse warm arrays instead of fresh ones. A gradient
     * is dead when no pending sum refers to its storage (counted here, per storage array, views
     * included) after the node that received it and every node that produced it have run: what
     * the engine delivers to .grad and to captured and retained gradients is either a copy or an
     * array {@link #steal stolen} out of the recording, so only pending sums can still hold one.
     * The pool itself refuses anything not allocated during this pass
     * (seeds, saved activations, user data). Off under createGraph (gradients are graph nodes
     * then) and when the graph holds a user-defined op, whose backward might keep the arrays it
     * receives or returns; jgrad's own ops never do.
     */
    private static final class Recycler implements AutoCloseable {
        private final ArrayPool.Recording recording;
        private final Map<float[], Integer> refs = new IdentityHashMap<>();
        private final List<NdArray> candidates = new ArrayList<>();

        Recycler(boolean on) {
            recording = on ? ArrayPool.record() : null;
        }

        void hold(Tensor t) {
            if (recording != null && t.dtype() == DType.F32) {
                refs.merge(t.data().storageF32(), 1, Integer::sum);
            }
        }

        void drop(Tensor t) {
            if (recording != null && t.dtype() == DType.F32) {
                refs.computeIfPresent(t.data().storageF32(), (k, n) -> n == 1 ? null : n - 1);
            }
        }

        /**
         * Whether a leaf receiving its first gradient may keep {@code results[i]}'s storage
         * instead of a copy, as PyTorch's AccumulateGrad steals a gradient nobody else holds
         * (a copy is a fresh array, cold in cache: 40 µs of a 240 µs LayerNorm forward +
         * backward at 768 x 128). Only a whole, contiguous array made during this pass
         * qualifies, and only while no pending sum refers to its storage (results before i that
         * share it were merged into one, or copied, or stole it already and took it out of the
         * recording) and no later result going to an input does.
         */
        boolean steal(Tensor t, Tensor[] results, Object[] edges, int i) {
            if (recording == null || t.dtype() != DType.F32) {
                return false;
            }
            NdArray a = t.data();
            float[] s = a.storageF32();
            if (!a.isContiguous() || a.layout().offset() != 0 || a.numel() != s.length || refs.containsKey(s)) {
                return false;
            }
            for (int j = i + 1; j < results.length; j++) {
                if (edges[j] != null && results[j] != null && results[j].dtype() == DType.F32
                        && results[j].data().storageF32() == s) {
                    return false;
                }
            }
            return recording.disown(a);   // it leaves the recording: the pool never takes it back
        }

        /** Notes a gradient that may be dead once the current node is done. */
        void consider(Tensor t) {
            if (recording != null && t != null && t.dtype() == DType.F32) {
                candidates.add(t.data());
            }
        }

        /** Releases the noted gradients that no pending sum refers to (the pool ignores repeats). */
        void flush() {
            for (NdArray a : candidates) {
                if (!refs.containsKey(a.storageF32())) {
                    recording.release(a);
                }
            }
            candidates.clear();
        }

        @Override
        public void close() {
            if (recording != null) {
                recording.close();
            }
        }
    }

    /**
     * A leaf's gradient into its .grad, or with {@code captured} into slot {@code ci} (null: the
     * leaf is not captured). With {@code steal} it keeps g's storage as its first gradient (see
     * {@link Recycler#steal}).
     */
    private static void deliverLeaf(Tensor leaf, Tensor g, Integer ci, Tensor[] captured, boolean createGraph,
                                    boolean steal) {
        if (captured != null) {
            if (ci != null) {
                captured[ci] = steal ? g : accumulate(captured[ci], g);
            }
            return;
        }
        Tensor add = createGraph ? g : g.detach();
        leaf.setGrad(steal ? add : accumulate(leaf.grad(), add));
    }

    private static Tensor accumulate(Tensor current, Tensor g) {
        if (current == null) {
            // A fresh copy: one gradient array may flow to several inputs (add returns g twice),
            // and each .grad must own its storage so it can be scaled or updated in place.
            return g.requiresGrad() ? g : Tensor.of(g.data().copy());
        }
        if (!current.requiresGrad() && !g.requiresGrad() && current.dtype() == g.dtype()
                && current.shape().equals(g.shape()) && !current.data().layout().hasExpandedDims()) {
            // In place, as PyTorch's AccumulateGrad does outside create_graph: no fresh array per step.
            current.data().addFrom(g.data());
            return current;
        }
        return current.add(g);
    }

    /** Every node reachable from the roots, latest first. */
    private static List<Function> collect(Tensor[] roots) {
        IdentityHashMap<Function, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Function> stack = new ArrayDeque<>();
        List<Function> all = new ArrayList<>();
        for (Tensor r : roots) {
            if (r.gradFn() != null && seen.put(r.gradFn(), Boolean.TRUE) == null) {
                stack.push(r.gradFn());
            }
        }
        while (!stack.isEmpty()) {
            Function f = stack.pop();
            all.add(f);
            for (Object e : f.next) {
                if (e instanceof Function fn && seen.put(fn, Boolean.TRUE) == null) {
                    stack.push(fn);
                }
            }
        }
        all.sort(Comparator.comparingLong((Function f) -> f.sequence).reversed());
        return all;
    }

    /**
     * Sums a gradient computed in a broadcast shape back to the input's shape: leading dims
     * that broadcasting added are summed away, dims that were 1 are summed with keepdim.
     */
    static Tensor sumTo(Tensor g, Shape target, String op, int input) {
        Shape have = g.shape();
        if (have.equals(target)) {
            return g;
        }
        if (!target.broadcastsTo(have)) {
            throw new IllegalStateException(op + ": gradient of input " + input + " has shape " + have
                    + ", which does not broadcast from the input shape " + target);
        }
        int lead = have.rank() - target.rank();
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < have.rank(); i++) {
            if (i < lead || (target.size(i - lead) == 1 && have.size(i) != 1)) {
                dims.add(i);
            }
        }
        Tensor s = dims.isEmpty() ? g : g.sum(dims.stream().mapToInt(Integer::intValue).toArray(), true);
        return s.reshape(target.dims());
    }
}
