package dev.jgrad.nn;

import java.util.List;

/** An indexed container: its modules are registered as children "0", "1", ... (PyTorch ModuleList). */
public final class ModuleList<M extends Module> extends Module {
    private final List<M> modules;

    public ModuleList(List<M> modules) {
        for (int i = 0; i < modules.size(); i++) {
            child(Integer.toString(i), modules.get(i));
        }
        this.modules = List.copyOf(modules);
    }

    public M get(int i) {
        return modules.get(i);
    }

    public int size() {
        return modules.size();
    }
}
