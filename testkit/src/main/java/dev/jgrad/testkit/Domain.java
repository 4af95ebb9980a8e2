package dev.jgrad.testkit;

import dev.jgrad.tensor.Generator;

/**
 * Where an op's inputs are drawn from, so that finite differences never straddle a kink or a
 * pole (|x| at least 0.2 from a non-smooth point is far beyond eps = 1e-6).
 */
public enum Domain {
    /** Uniform in (-2, 2). */
    ANY,
    /** Uniform in (0.2, 3): log, sqrt, rsqrt, pow bases. */
    POSITIVE,
    /** |x| uniform in (0.2, 2), random sign: abs, relu, sign, divisors. */
    AWAY_FROM_ZERO,
    /** Like ANY but at least 0.1 away from ±0.5: clamp(-0.5, 0.5). */
    AWAY_FROM_HALF;

    public double sample(Generator g) {
        return switch (this) {
            case ANY -> -2 + 4 * g.nextDouble();
            case POSITIVE -> 0.2 + 2.8 * g.nextDouble();
            case AWAY_FROM_ZERO -> (g.nextDouble() < 0.5 ? -1 : 1) * (0.2 + 1.8 * g.nextDouble());
            case AWAY_FROM_HALF -> {
                double v;
                do {
                    v = -2 + 4 * g.nextDouble();
                } while (Math.abs(Math.abs(v) - 0.5) < 0.1);
                yield v;
            }
        };
    }
}
