package dev.jgrad.autograd;

import dev.jgrad.autograd.ops.ViewGradient;
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
        try (NoGrad mode = createGraph ? NoGrad.enableGrad() : NoGrad.enter()) {
            for (int r = 0; r < roots.length; r++) {
                Tensor root = roots[r];
                if (!root.requiresGrad()) {
                    throw new IllegalArgumentException("backward: tensor of shape " + root.shape()
                            + " does not require grad and has no grad_fn");
                }
                if (root.isLeaf()) {
                    deliverLeaf(root, seeds[r], captureIndex, captured, createGraph);
                } else {
                    merge(pending, owned, root.gradFn(), seeds[r], createGraph);
                }
            }
            for (Function f : order) {
                Tensor g = pending.remove(f);
                if (g == null) {
                    continue;
                }
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
                    view.viewOf(ownedBuffer(pending, owned, input, f)).addFrom(g.data());
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
                        merge(pending, owned, fn, gi, createGraph);
                    } else {
                        deliverLeaf((Tensor) edge, gi, captureIndex, captured, createGraph);
                    }
                }
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
                              boolean createGraph) {
        Tensor cur = pending.get(fn);
        if (cur == null) {
            pending.put(fn, g);
        } else if (createGraph) {
            pending.put(fn, cur.add(g));
        } else {
            ownedBuffer(pending, owned, fn, null).addFrom(g.data());
        }
    }

    /** The node's pending gradient as an engine-owned array (zeros of the input shape if none yet). */
    private static NdArray ownedBuffer(Map<Function, Tensor> pending, Set<Function> owned, Function fn,
                                       Function viewOp) {
        Tensor cur = pending.get(fn);
        if (cur != null && owned.contains(fn)) {
            return cur.data();
        }
        NdArray buf = cur != null ? cur.data().copy() : NdArray.zeros(viewOp.inputTypes[0], viewOp.inputShapes[0]);
        pending.put(fn, Tensor.of(buf));
        owned.add(fn);
        return buf;
    }

    private static void deliverLeaf(Tensor leaf, Tensor g, Map<Object, Integer> captureIndex, Tensor[] captured,
                                    boolean createGraph) {
        if (captured != null) {
            Integer ci = captureIndex.get(leaf);
            if (ci != null) {
                captured[ci] = accumulate(captured[ci], g);
            }
            return;
        }
        Tensor add = createGraph ? g : g.detach();
        leaf.setGrad(accumulate(leaf.grad(), add));
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
