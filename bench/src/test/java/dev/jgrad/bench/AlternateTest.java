package dev.jgrad.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The alternating runner: its arguments, its class loaders and its arithmetic. */
class AlternateTest {
    /** This test's own classpath, standing in for a benchmarks.jar: a second, separate copy of every class. */
    private static URL[] ownClasspath() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(Path.of(entry).toUri().toURL());
        }
        return urls.toArray(URL[]::new);
    }

    @Test
    void parsesJarsBenchmarkParamsAndRounds(@TempDir Path dir) throws Exception {
        Path a = Files.createFile(dir.resolve("a.jar"));
        Path b = Files.createFile(dir.resolve("b.jar"));
        Alternate.Plan p = Alternate.Plan.parse(a + "," + b, "StepBench.step", "-p", "model=gpt", "-p", "threads=2",
                "-rounds", "7", "-time", "0.25", "-warmup", "2");
        assertEquals(List.of(a, b), p.jars());
        assertEquals("StepBench", p.benchmark());
        assertEquals("step", p.method());
        assertEquals(Map.of("model", "gpt", "threads", "2"), p.params());
        assertEquals(7, p.rounds());
        assertEquals(0.25, p.seconds());
        assertEquals(2, p.warmup());
    }

    @Test
    void badArgumentsSayWhatIsWrong(@TempDir Path dir) throws Exception {
        Path a = Files.createFile(dir.resolve("a.jar"));
        String missing = dir.resolve("none.jar").toString();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Alternate.Plan.parse(missing, "StepBench.step"))
                .getMessage().contains("none.jar"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Alternate.Plan.parse(a.toString(), "StepBench"))
                .getMessage().contains("Bench.method"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Alternate.Plan.parse(a.toString(), "StepBench.step", "-p", "model")).getMessage().contains("name=value"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Alternate.Plan.parse(a.toString(), "StepBench.step", "-rounds", "0")).getMessage().contains("-rounds"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Alternate.Plan.parse(a.toString(), "StepBench.step", "-forks", "2")).getMessage().contains("-forks"));
    }

    @Test
    void runsEachBuildInItsOwnLoaderAndReportsRatiosToTheFirst() throws Exception {
        Alternate.Plan plan = new Alternate.Plan(List.of(), "PeakBench", "fmaLoop", Map.of("threads", "1"), 3, 0.01, 1);
        try (Alternate.Subject a = new Alternate.Subject("a", ownClasspath(), plan);
             Alternate.Subject b = new Alternate.Subject("b", ownClasspath(), plan)) {
            double[][] t = Alternate.run(plan, List.of(a, b));
            assertEquals(2, t.length);
            for (double[] build : t) {
                assertEquals(3, build.length);
                for (double ns : build) {
                    assertTrue(ns > 0, "a round's time per call: " + ns);
                }
            }
            // Two copies of the benchmark, neither of them this test's own.
            assertEquals("dev.jgrad.bench.PeakBench", a.benchmarkClass().getName());
            assertTrue(a.benchmarkClass() != b.benchmarkClass() && a.benchmarkClass() != PeakBench.class);
            assertTrue(a.sink instanceof Float, "the last call's result is kept: " + a.sink);
            String s = Alternate.summary(List.of("a", "b"), t);
            assertTrue(s.lines().anyMatch(l -> l.startsWith("a ") && l.endsWith(" 1.000")), s);
            assertTrue(s.lines().anyMatch(l -> l.startsWith("b ")), s);
        }
    }

    @Test
    void refusesParametersAndMethodsTheBenchmarkDoesNotHave() {
        Alternate.Plan noParam = new Alternate.Plan(List.of(), "PeakBench", "fmaLoop", Map.of("shape", "512"), 1, 0.01, 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Alternate.Subject("a", ownClasspath(), noParam))
                .getMessage().contains("PeakBench has no @Param shape"));
        Alternate.Plan notBench = new Alternate.Plan(List.of(), "PeakBench", "setup", Map.of("threads", "1"), 1, 0.01, 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Alternate.Subject("a", ownClasspath(), notBench))
                .getMessage().contains("PeakBench.setup is not a no-argument @Benchmark method"));
        Alternate.Plan noMethod = new Alternate.Plan(List.of(), "PeakBench", "fma", Map.of("threads", "1"), 1, 0.01, 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Alternate.Subject("a", ownClasspath(), noMethod))
                .getMessage().contains("PeakBench.fma is not a no-argument @Benchmark method"));
        Alternate.Plan noClass = new Alternate.Plan(List.of(), "PeekBench", "fmaLoop", Map.of(), 1, 0.01, 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Alternate.Subject("a", ownClasspath(), noClass))
                .getMessage().contains("a has no class dev.jgrad.bench.PeekBench"));
    }

    @Test
    void parametersNotGivenTakeTheAnnotationsOnlyValueOrMustBeGiven() throws Exception {
        // KernelBench's simd is @Param({"true"}): left unset, a boolean field would read false
        // and the benchmark would time the scalar twins.
        Alternate.Plan kernels = new Alternate.Plan(List.of(), "KernelBench", "softmax",
                Map.of("shape", "768x65", "threads", "1"), 1, 0.01, 0);
        try (Alternate.Subject k = new Alternate.Subject("k", ownClasspath(), kernels)) {
            assertEquals(Boolean.TRUE, k.value("simd"));
            assertEquals("768x65", k.value("shape"));
        }
        Alternate.Plan peak = new Alternate.Plan(List.of(), "PeakBench", "fmaLoop", Map.of(), 1, 0.01, 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Alternate.Subject("a", ownClasspath(), peak))
                .getMessage().contains("PeakBench needs -p threads=... (one of 1, 2)"));
    }

    @Test
    void medianAndRoundByRoundRatios() {
        assertEquals(2.0, Alternate.median(new double[] {3, 1, 2}));
        assertEquals(2.5, Alternate.median(new double[] {4, 1, 3, 2}));
        // b is twice a in every round although the rounds themselves vary tenfold.
        String s = Alternate.summary(List.of("a", "b"), new double[][] {{1000, 10000, 2000}, {2000, 20000, 4000}});
        assertTrue(s.contains("2.000\n") || s.contains("2.000\r\n"), s);
        assertTrue(s.lines().anyMatch(l -> l.startsWith("b ") && l.contains(" 4.000 ") && l.contains(" 2.000 ")), s);
    }
}
