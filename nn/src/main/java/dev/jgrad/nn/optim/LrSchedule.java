package dev.jgrad.nn.optim;

/** Learning rate as a function of the step (0-based). */
@FunctionalInterface
public interface LrSchedule {
    double lr(long step);

    static LrSchedule constant(double lr) {
        return step -> lr;
    }

    /** lr times gamma for every {@code every} steps done (PyTorch StepLR). */
    static LrSchedule step(double lr, long every, double gamma) {
        if (every <= 0) {
            throw new IllegalArgumentException("step schedule: period must be positive, got " + every);
        }
        return step -> lr * Math.pow(gamma, (double) (step / every));
    }

    /**
     * nanoGPT's schedule: linear warmup from 0 to {@code max} over {@code warmup} steps, cosine
     * decay to {@code min} at {@code decaySteps}, {@code min} after.
     */
    static LrSchedule warmupCosine(double max, double min, long warmup, long decaySteps) {
        if (warmup < 0 || decaySteps < warmup) {
            throw new IllegalArgumentException("warmup-cosine: need 0 <= warmup <= decay steps, got " + warmup + ", "
                    + decaySteps);
        }
        return step -> {
            if (step < warmup) {
                return max * (step + 1) / warmup;
            }
            if (step > decaySteps) {
                return min;
            }
            double ratio = decaySteps == warmup ? 1 : (double) (step - warmup) / (decaySteps - warmup);
            return min + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (max - min);
        };
    }
}
