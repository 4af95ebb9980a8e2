package dev.jgrad.autograd;

/**
 * Whether ops record themselves on the tape, per thread. Use {@link NoGrad} to switch recording
 * off for a block; the engine switches it on inside backward only for {@code createGraph}.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {
    }

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Sets the mode and returns the previous one. */
    static boolean set(boolean enabled) {
        boolean[] cell = ENABLED.get();
        boolean previous = cell[0];
        cell[0] = enabled;
        return previous;
    }
}
