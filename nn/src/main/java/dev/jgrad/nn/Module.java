package dev.jgrad.nn;

import dev.jgrad.tensor.NdArray;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of every layer and model. Parameters and children are registered explicitly by name
 * in the constructor, so full names such as {@code blocks.0.attn.qkv.weight} are stable, follow
 * registration order and equal the checkpoint keys; no reflection is involved.
 */
public abstract class Module {
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, dev.jgrad.tensor.Generator> randomSources = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a parameter initialised with a copy of {@code init}. */
    protected final Parameter parameter(String name, NdArray init) {
        checkName(name);
        Parameter p = new Parameter(init);
        params.put(name, p);
        return p;
    }

    /** Registers a child module under {@code name}; returns it for assignment to a field. */
    protected final <M extends Module> M child(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    /**
     * Registers a random generator the module draws from while training (dropout masks), so
     * checkpoints can save and restore its state for an exact resume.
     */
    protected final dev.jgrad.tensor.Generator randomSource(String name, dev.jgrad.tensor.Generator g) {
        checkName(name);
        randomSources.put(name, g);
        return g;
    }

    /** Every registered random generator under its full dotted name. */
    public final Map<String, dev.jgrad.tensor.Generator> namedRandomSources() {
        Map<String, dev.jgrad.tensor.Generator> out = new LinkedHashMap<>();
        Deque<Map.Entry<String, Module>> stack = new ArrayDeque<>();
        stack.push(Map.entry("", this));
        while (!stack.isEmpty()) {
            var e = stack.pop();
            e.getValue().randomSources.forEach((n, g) -> out.put(e.getKey() + n, g));
            List<Map.Entry<String, Module>> kids = new ArrayList<>(e.getValue().children.entrySet());
            Collections.reverse(kids);
            for (var k : kids) {
                stack.push(Map.entry(e.getKey() + k.getKey() + ".", k.getValue()));
            }
        }
        return out;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": invalid name '" + name
                    + "' (non-empty, no dots)");
        }
        if (params.containsKey(name) || children.containsKey(name) || randomSources.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' registered twice");
        }
    }

    /** Every parameter under its full dotted name, in registration order (depth first). */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        // Explicit stack of (prefix, module); children pushed in reverse to keep registration order.
        Deque<Map.Entry<String, Module>> stack = new ArrayDeque<>();
        stack.push(Map.entry("", this));
        while (!stack.isEmpty()) {
            var e = stack.pop();
            String prefix = e.getKey();
            Module m = e.getValue();
            m.params.forEach((n, p) -> out.put(prefix + n, p));
            List<Map.Entry<String, Module>> kids = new ArrayList<>(m.children.entrySet());
            Collections.reverse(kids);
            for (var k : kids) {
                stack.push(Map.entry(prefix + k.getKey() + ".", k.getValue()));
            }
        }
        return out;
    }

    public final List<Parameter> parameters() {
        return List.copyOf(namedParameters().values());
    }

    public final long numParameters() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.numel();
        }
        return n;
    }

    /** Training mode (dropout active) or evaluation mode, for this module and all below it. */
    public final void train(boolean on) {
        Deque<Module> stack = new ArrayDeque<>();
        stack.push(this);
        while (!stack.isEmpty()) {
            Module m = stack.pop();
            m.training = on;
            m.children.values().forEach(stack::push);
        }
    }

    public final void eval() {
        train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    public final void zeroGrad() {
        parameters().forEach(Parameter::zeroGrad);
    }
}
