package dev.jgrad.lm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The demo's micrograd expression against the values micrograd's README publishes. */
class DemoTest {
    @Test
    void microgradExpressionMatchesPublishedValues() {
        double[] m = Demo.micrograd();
        assertEquals(24.7041, m[0], 5e-5);
        assertEquals(138.8338, m[1], 5e-5);
        assertEquals(645.5773, m[2], 5e-5);
    }
}
