package dev.jgrad.bench;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times one of this module's JMH benchmarks in two or more builds of jgrad inside one JVM, in
 * alternating rounds: A, B, A, B, ... Each build is a benchmarks.jar loaded by a class loader of
 * its own, so both run the same workload with their own copy of every class (and their own
 * thread pool) while the machine is in the same state. These VMs change speed by 30-50% within
 * minutes; two JMH runs of the same build minutes apart differ by more than most changes, while
 * the ratio of medians of alternating rounds repeats to a few percent. This is how the per-session
 * before/after figures in the README are measured.
 *
 * <pre>
 * ./jgrad bench-ab OLD.jar,NEW.jar StepBench.step -p model=gpt -p threads=1 [-rounds 31] [-time 0.5] [-warmup 5]
 * </pre>
 *
 * A benchmark here is a class with {@code @Param} fields, {@code @Setup} and {@code @TearDown}
 * methods and no-argument {@code @Benchmark} methods (all of ours); the runner sets every
 * {@code @Param} field (to the value given with {@code -p}, else to the annotation's value when
 * it lists only one, else it stops and asks for one), calls the setups once, then in every round calls the method until {@code -time}
 * seconds have passed and records the time per call. {@code -warmup} rounds come first and are
 * not counted. It prints each build's median and fastest round, and the median over rounds of
 * its time divided by the first build's in the same round ("/ first, median"), which a slow
 * stretch of the machine moves less than it moves either median.
 */
public final class Alternate {
    private static final String JMH = "org.openjdk.jmh.annotations.";

    private Alternate() {
    }

    /** What to run: the jars, the benchmark, its parameters and the rounds. */
    record Plan(List<Path> jars, String benchmark, String method, Map<String, String> params, int rounds,
                double seconds, int warmup) {
        static Plan parse(String... args) {
            if (args.length < 2) {
                throw new IllegalArgumentException("bench-ab: usage: JAR,JAR[,...] Bench.method [-p name=value]..."
                        + " [-rounds N] [-time SECONDS] [-warmup N]");
            }
            List<Path> jars = new ArrayList<>();
            for (String j : args[0].split(",")) {
                Path p = Path.of(j);
                if (!Files.isRegularFile(p)) {
                    throw new IllegalArgumentException("bench-ab: no jar at " + p.toAbsolutePath());
                }
                jars.add(p);
            }
            int dot = args[1].lastIndexOf('.');
            if (dot <= 0 || dot == args[1].length() - 1) {
                throw new IllegalArgumentException("bench-ab: expected Bench.method (e.g. StepBench.step), got " + args[1]);
            }
            Map<String, String> params = new LinkedHashMap<>();
            int rounds = 31;
            double seconds = 0.5;
            int warmup = 5;
            for (int i = 2; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("bench-ab: " + args[i] + " needs a value");
                }
                String v = args[i + 1];
                switch (args[i]) {
                    case "-p" -> {
                        int eq = v.indexOf('=');
                        if (eq <= 0) {
                            throw new IllegalArgumentException("bench-ab: -p expects name=value, got " + v);
                        }
                        params.put(v.substring(0, eq), v.substring(eq + 1));
                    }
                    case "-rounds" -> rounds = positive("-rounds", Integer.parseInt(v));
                    case "-time" -> seconds = positive("-time", Double.parseDouble(v));
                    case "-warmup" -> warmup = Math.max(0, Integer.parseInt(v));
                    default -> throw new IllegalArgumentException("bench-ab: unknown option " + args[i]);
                }
            }
            return new Plan(List.copyOf(jars), args[1].substring(0, dot), args[1].substring(dot + 1), params, rounds,
                    seconds, warmup);
        }

        private static <N extends Number> N positive(String option, N value) {
            if (value.doubleValue() <= 0) {
                throw new IllegalArgumentException("bench-ab: " + option + " must be positive, got " + value);
            }
            return value;
        }
    }

    /** One build's copy of the benchmark, ready to call. */
    static final class Subject implements AutoCloseable {
        final String name;
        private final URLClassLoader loader;
        private final Object state;
        private final Method method;
        private final List<Method> tearDowns = new ArrayList<>();
        /** Results land here so that no call's work can be discarded as unused. */
        volatile Object sink;

        Subject(String name, URL[] classpath, Plan plan) throws ReflectiveOperationException {
            this.name = name;
            // The platform loader as parent: jgrad's classes come from this build's jar alone.
            loader = new URLClassLoader(classpath, ClassLoader.getPlatformClassLoader());
            String cls = plan.benchmark().contains(".") ? plan.benchmark() : "dev.jgrad.bench." + plan.benchmark();
            Class<?> c;
            try {
                c = Class.forName(cls, true, loader);
            } catch (ClassNotFoundException e) {
                throw new IllegalArgumentException("bench-ab: " + name + " has no class " + cls);
            }
            state = c.getDeclaredConstructor().newInstance();
            for (Map.Entry<String, String> p : plan.params().entrySet()) {
                Field f = field(c, p.getKey());
                if (f == null || param(f) == null) {
                    throw new IllegalArgumentException("bench-ab: " + c.getSimpleName() + " has no @Param " + p.getKey());
                }
            }
            // Every @Param gets a value, as under JMH: the one given, else the annotation's only one.
            for (Class<?> k = c; k != null; k = k.getSuperclass()) {
                for (Field f : k.getDeclaredFields()) {
                    String[] values = param(f);
                    if (values == null) {
                        continue;
                    }
                    String v = plan.params().get(f.getName());
                    if (v == null && values.length != 1) {
                        throw new IllegalArgumentException("bench-ab: " + c.getSimpleName() + " needs -p " + f.getName()
                                + "=... (one of " + String.join(", ", values) + ")");
                    }
                    f.setAccessible(true);
                    f.set(state, convert(f.getType(), v != null ? v : values[0]));
                }
            }
            Method m0 = null;
            for (Method m : c.getMethods()) {
                if (m.getName().equals(plan.method()) && m.getParameterCount() == 0) {
                    m0 = m;
                }
            }
            method = m0;
            if (method == null || !annotated(method.getAnnotations(), "Benchmark")) {
                throw new IllegalArgumentException("bench-ab: " + c.getSimpleName() + "." + plan.method()
                        + " is not a no-argument @Benchmark method");
            }
            List<Method> setups = new ArrayList<>();
            for (Method m : c.getMethods()) {
                if (annotated(m.getAnnotations(), "Setup")) {
                    setups.add(m);
                }
                if (annotated(m.getAnnotations(), "TearDown")) {
                    tearDowns.add(m);
                }
            }
            for (Method m : setups) {
                m.invoke(state);
            }
        }

        Class<?> benchmarkClass() {
            return state.getClass();
        }

        /** The value a field of this build's benchmark holds (for tests). */
        Object value(String fieldName) throws ReflectiveOperationException {
            Field f = field(state.getClass(), fieldName);
            f.setAccessible(true);
            return f.get(state);
        }

        /** Calls the benchmark until {@code seconds} have passed; returns nanoseconds per call. */
        double round(double seconds) throws ReflectiveOperationException {
            long budget = (long) (seconds * 1e9);
            long start = System.nanoTime();
            long calls = 0;
            long now;
            do {
                sink = method.invoke(state);
                calls++;
                now = System.nanoTime();
            } while (now - start < budget);
            return (double) (now - start) / calls;
        }

        @Override
        public void close() throws IOException {
            try {
                for (Method m : tearDowns) {
                    m.invoke(state);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("bench-ab: " + name + " teardown failed", e);
            } finally {
                loader.close();
            }
        }

        private static Field field(Class<?> c, String name) {
            for (Class<?> k = c; k != null; k = k.getSuperclass()) {
                for (Field f : k.getDeclaredFields()) {
                    if (f.getName().equals(name)) {
                        return f;
                    }
                }
            }
            return null;
        }

        /** The values of f's {@code @Param} annotation, or null when it has none. */
        private static String[] param(Field f) throws ReflectiveOperationException {
            for (Annotation a : f.getAnnotations()) {
                if (a.annotationType().getName().equals(JMH + "Param")) {
                    return (String[]) a.annotationType().getMethod("value").invoke(a);
                }
            }
            return null;
        }

        /** By name: each build's loader has its own copy of JMH's annotation classes. */
        private static boolean annotated(Annotation[] annotations, String simpleName) {
            for (Annotation a : annotations) {
                if (a.annotationType().getName().equals(JMH + simpleName)) {
                    return true;
                }
            }
            return false;
        }

        private static Object convert(Class<?> type, String v) {
            if (type == int.class) {
                return Integer.parseInt(v);
            }
            if (type == long.class) {
                return Long.parseLong(v);
            }
            if (type == double.class) {
                return Double.parseDouble(v);
            }
            if (type == boolean.class) {
                return Boolean.parseBoolean(v);
            }
            if (type == String.class) {
                return v;
            }
            throw new IllegalArgumentException("bench-ab: @Param of type " + type.getName() + " is not supported");
        }
    }

    /** Per build, the time per call of each counted round (nanoseconds), in round order. */
    static double[][] run(Plan plan, List<Subject> subjects) throws ReflectiveOperationException {
        double[][] times = new double[subjects.size()][plan.rounds()];
        for (int r = -plan.warmup(); r < plan.rounds(); r++) {
            for (int s = 0; s < subjects.size(); s++) {
                double t = subjects.get(s).round(plan.seconds());
                if (r >= 0) {
                    times[s][r] = t;
                }
            }
        }
        return times;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** The table the runner prints: median and fastest round per build, and the median of round-by-round ratios. */
    static String summary(List<String> names, double[][] times) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-40s %14s %14s %16s%n", "build", "median us/op", "min us/op",
                "/ first, median"));
        for (int s = 0; s < names.size(); s++) {
            double[] ratio = new double[times[s].length];
            for (int r = 0; r < ratio.length; r++) {
                ratio[r] = times[s][r] / times[0][r];
            }
            double min = Arrays.stream(times[s]).min().orElse(Double.NaN);
            sb.append(String.format(Locale.ROOT, "%-40s %14.3f %14.3f %16.3f%n", names.get(s), median(times[s]) / 1e3,
                    min / 1e3, median(ratio)));
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        try {
            compare(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }

    private static void compare(String[] args) throws Exception {
        Plan plan = Plan.parse(args);
        List<Subject> subjects = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try {
            for (Path jar : plan.jars()) {
                String name = jar.toString();
                names.add(name);
                subjects.add(new Subject(name, new URL[] {jar.toUri().toURL()}, plan));
            }
            System.out.printf(Locale.ROOT, "%s.%s %s: %d warmup + %d rounds of %.2f s per build, alternating%n",
                    plan.benchmark(), plan.method(), plan.params(), plan.warmup(), plan.rounds(), plan.seconds());
            double[][] times = run(plan, subjects);
            System.out.print(summary(names, times));
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("bench-ab: the benchmark failed", e.getCause());
        } finally {
            for (Subject s : subjects) {
                s.close();
            }
        }
    }
}
