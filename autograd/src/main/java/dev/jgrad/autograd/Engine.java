package dev.jgrad.autograd;

import dev.jgrad.autograd.ops.ViewGradient;
import dev.jgrad.tensor.ArrayPool;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.Shape;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
                    merge(pending, owned, root.gradFn(), seeds[r], createGraph, recycler);
                }
            }
            for (Function f : order) {
                Tensor g = pending.remove(f);
                if (g == null) {
                    continue;
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
                    view.viewOf(ownedBuffer(pending, owned, input, f, recycler)).addFrom(g.data());
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
                        merge(pending, owned, fn, gi, createGraph, recycler);
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
    private static void merge(Map<Function, Tensor> pending, Set<Function> owned, Function fn, Tensor g,
                              boolean createGraph, Recycler recycler) {
        Tensor cur = pending.get(fn);
        if (cur == null) {
            pending.put(fn, g);
            recycler.hold(g);
        } else if (createGraph) {
            pending.put(fn, cur.add(g));
        } else {
            ownedBuffer(pending, owned, fn, null, recycler).addFrom(g.data());
        }
    }

    /** The node's pending gradient as an engine-owned array (zeros of the input shape if none yet). */
    private static NdArray ownedBuffer(Map<Function, Tensor> pending, Set<Function> owned, Function fn,
                                       Function viewOp, Recycler recycler) {
        Tensor cur = pending.get(fn);
        if (cur != null && owned.contains(fn)) {
            return cur.data();
        }
        NdArray buf = cur != null ? cur.data().copy() : NdArray.zeros(viewOp.inputTypes[0], viewOp.inputShapes[0]);
        Tensor t = Tensor.of(buf);
        pending.put(fn, t);
        owned.add(fn);
        recycler.hold(t);
        if (cur != null) {
            recycler.drop(cur);
            recycler.consider(cur);   // the sum no longer needs it; it may still be one of this node's results
        }
        return buf;
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
