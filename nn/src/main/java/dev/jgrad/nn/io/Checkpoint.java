package dev.jgrad.nn.io;

import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.tensor.NdArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Full training state in one safetensors file: the model's parameters under their path names
 * (so PyTorch sees the same keys), the optimizer's state under {@code optim.*}, and metadata
 * strings (step, optimizer step count, the states of the model's dropout generators under
 * {@code rng.*}, the data position, configs).
 */
public final class Checkpoint {
    public static final String OPTIM_PREFIX = "optim.";
    public static final String OPTIM_STEPS = "optim.steps";
    /** Metadata prefix of the states of the model's random generators (dropout). */
    public static final String RNG_PREFIX = "rng.";

    private Checkpoint() {
    }

    public static void save(Path file, Module model, Optimizer optimizer, Map<String, String> metadata)
            throws IOException {
        Map<String, NdArray> tensors = new LinkedHashMap<>();
        model.namedParameters().forEach((n, p) -> tensors.put(n, p.data()));
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        model.namedRandomSources().forEach((n, g) -> meta.put(RNG_PREFIX + n, Long.toString(g.state())));
        if (optimizer != null) {
            optimizer.stateArrays().forEach((k, v) -> tensors.put(OPTIM_PREFIX + k, v));
            meta.put(OPTIM_STEPS, Long.toString(optimizer.steps()));
        }
        SafeTensors.write(file, tensors, meta);
    }

    /**
     * Loads parameters (and optimizer state when given) after checking every name, shape and
     * dtype first, so a mismatching file changes nothing. Returns the metadata.
     */
    public static Map<String, String> load(Path file, Module model, Optimizer optimizer) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, Parameter> params = model.namedParameters();
        for (var e : params.entrySet()) {
            NdArray a = c.tensors().get(e.getKey());
            if (a == null) {
                throw new IOException("checkpoint " + file + ": parameter '" + e.getKey() + "' is missing");
            }
            if (!a.shape().equals(e.getValue().shape()) || a.dtype() != e.getValue().data().dtype()) {
                throw new IOException("checkpoint " + file + ": parameter '" + e.getKey() + "' is " + a.dtype() + " "
                        + a.shape() + " in the file but " + e.getValue().data().dtype() + " " + e.getValue().shape()
                        + " in the model");
            }
        }
        for (String name : c.tensors().keySet()) {
            if (!name.startsWith(OPTIM_PREFIX) && !params.containsKey(name)) {
                throw new IOException("checkpoint " + file + ": unexpected tensor '" + name + "' (not in the model)");
            }
        }
        Map<String, NdArray> optimState = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> {
            if (k.startsWith(OPTIM_PREFIX)) {
                optimState.put(k.substring(OPTIM_PREFIX.length()), v);
            }
        });
        if (optimizer != null) {
            long steps = Long.parseLong(c.metadata().getOrDefault(OPTIM_STEPS, "0"));
            try {
                optimizer.loadStateArrays(optimState, steps);
            } catch (IllegalArgumentException e) {
                throw new IOException("checkpoint " + file + ": " + e.getMessage(), e);
            }
        }
        params.forEach((n, p) -> p.assign(c.tensors().get(n)));
        model.namedRandomSources().forEach((n, g) -> {
            String state = c.metadata().get(RNG_PREFIX + n);
            if (state != null) {
                g.setState(Long.parseLong(state));
            }
        });
        return c.metadata();
    }
}
