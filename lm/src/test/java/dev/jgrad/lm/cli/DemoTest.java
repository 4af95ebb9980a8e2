package dev.jgrad.lm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.nn.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's micrograd expression against the values micrograd's README publishes. */
class DemoTest {
    @Test
    void microgradExpressionMatchesPublishedValues() {
        double[] m = Demo.micrograd();
        assertEquals(24.7041, m[0], 5e-5);
        assertEquals(138.8338, m[1], 5e-5);
        assertEquals(645.5773, m[2], 5e-5);
    }

    @Test
    void demoWritesItsNumbersAsJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("demo.json");
        Main.demo(new Options(new String[] {"--metrics-json", json.toString()}, 0, Set.of("metrics-json"), Set.of()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        Map<?, ?> m = (Map<?, ?>) Json.parse(Files.readString(json));
        assertEquals(24.7041, ((Number) m.get("micrograd_g")).doubleValue(), 5e-5);
        double step0 = ((Number) m.get("mlp_loss_step0")).doubleValue();
        double step1 = ((Number) m.get("mlp_loss_step1")).doubleValue();
        assertTrue(step1 < step0, "one SGD step lowers the loss: " + step0 + " -> " + step1);
    }
}
