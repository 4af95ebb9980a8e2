package dev.jgrad.tensor.backend;

import java.util.Comparator;
import java.util.ServiceLoader;

/**
 * Chooses the backend once per JVM. Providers are found with {@link ServiceLoader}; the
 * highest {@link Backend#priority()} wins unless the system property {@code jgrad.backend}
 * names one. The holder idiom makes the choice lazily and thread-safely without locking.
 */
public final class Backends {
    private Backends() {
    }

    public static Backend get() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final Backend INSTANCE = choose();

        private static Backend choose() {
            String wanted = System.getProperty("jgrad.backend");
            var providers = ServiceLoader.load(Backend.class, Backends.class.getClassLoader()).stream()
                    .map(ServiceLoader.Provider::get)
                    .toList();
            if (providers.isEmpty()) {
                throw new IllegalStateException("backend: no jgrad Backend provider found on the class or module path");
            }
            if (wanted != null) {
                return providers.stream().filter(b -> b.name().equals(wanted)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("backend: jgrad.backend=" + wanted
                                + " but only " + providers.stream().map(Backend::name).toList() + " are available"));
            }
            return providers.stream().max(Comparator.comparingInt(Backend::priority)).orElseThrow();
        }
    }
}
