package dev.jgrad.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Every row of the op spec table against every generic property, from fixed seeds. After the
 * run, each property must have seen every row several times, so no op goes untested by chance.
 */
class OpTableTest {
    private static final int MIN_CASES_PER_OP = 10;
    private static final Map<String, Map<String, Integer>> HITS = new ConcurrentHashMap<>();

    private static void hit(String property, OpCase c) {
        HITS.computeIfAbsent(property, k -> new ConcurrentHashMap<>()).merge(c.spec().name(), 1, Integer::sum);
    }

    @Provide
    Arbitrary<OpCase> anyCase() {
        return Arbitraries.of(OpSpecs.all()).flatMap(OpSpec::cases);
    }

    @Property(tries = 3000, seed = "20261122", shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void forwardMatchesReference(@ForAll("anyCase") OpCase c) {
        OpProperties.forwardMatchesReference(c);
        OpProperties.forwardF32MatchesReference(c);
        hit("forward", c);
    }

    @Property(tries = 2500, seed = "20261123", shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void gradientsAreRight(@ForAll("anyCase") OpCase c) {
        OpProperties.gradcheckPasses(c);
        OpProperties.gradientsHaveInputShapes(c);
        hit("gradients", c);
    }

    @Property(tries = 2000, seed = "20261125", shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void gradientsOfGradientsAreRight(@ForAll("anyCase") OpCase c) {
        OpProperties.gradgradcheckPasses(c);
        hit("second order", c);
    }

    @Property(tries = 2000, seed = "20261124", shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void layoutIsIrrelevant(@ForAll("anyCase") OpCase c) {
        OpProperties.contiguityDoesNotMatter(c);
        hit("layout", c);
    }

    @Example
    void tableHasOneRowPerName() {
        List<String> names = OpSpecs.all().stream().map(OpSpec::name).toList();
        assertEquals(names.size(), names.stream().distinct().count(), "duplicate op names in " + names);
    }

    @AfterContainer
    static void everyRowWasExercisedByEveryProperty() {
        Set<String> missing = new TreeSet<>();
        for (String property : List.of("forward", "gradients", "layout", "second order")) {
            Map<String, Integer> seen = HITS.getOrDefault(property, Map.of());
            for (OpSpec spec : OpSpecs.all()) {
                if (seen.getOrDefault(spec.name(), 0) < MIN_CASES_PER_OP) {
                    missing.add(property + ":" + spec.name() + "=" + seen.getOrDefault(spec.name(), 0));
                }
            }
        }
        if (!missing.isEmpty() && HITS.size() == 4) {
            throw new AssertionError("op rows exercised fewer than " + MIN_CASES_PER_OP + " times: " + missing + " of " + HITS);
        }
    }
}
