package dev.jgrad.autograd;

/**
 * A scope in which ops are not recorded (PyTorch {@code torch.no_grad()}):
 * <pre>{@code try (var ignored = NoGrad.enter()) { ... } }</pre>
 * Scopes nest; closing one restores the mode it found.
 */
public final class NoGrad implements AutoCloseable {
    private final boolean previous;
    private boolean closed;

    private NoGrad(boolean enabled) {
        this.previous = GradMode.set(enabled);
    }

    public static NoGrad enter() {
        return new NoGrad(false);
    }

    /** The opposite scope: recording on, whatever the surrounding mode (used for createGraph). */
    public static NoGrad enableGrad() {
        return new NoGrad(true);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            GradMode.set(previous);
        }
    }
}
