package io.tensorplane.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The registered {@link Backend}s, found once through {@link ServiceLoader}, by scheme. */
final class Backends {
    private static final Map<String, Backend> BY_SCHEME = load();

    private Backends() {
    }

    private static Map<String, Backend> load() {
        Map<String, Backend> m = new TreeMap<>();
        List<String> clashes = new ArrayList<>();
        try {
            for (Backend b : ServiceLoader.load(Backend.class, Backends.class.getClassLoader())) {
                Backend old = m.putIfAbsent(b.scheme(), b);
                if (old != null) {
                    clashes.add(b.scheme() + " (" + old.getClass().getName() + ", " + b.getClass().getName() + ")");
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("a backend failed to register: " + e.getMessage(), e);
        }
        if (!clashes.isEmpty()) {
            // Two modules claiming one scheme is a packaging error, not something to resolve by load order.
            throw new IllegalStateException("two backends register the same scheme: " + String.join(", ", clashes));
        }
        return Collections.unmodifiableMap(m);
    }

    static Backend find(String scheme) {
        return BY_SCHEME.get(scheme);
    }

    /** {@code null:<size>, mem:<size> or file:<path>}: the registered schemes for messages. */
    static String synopsis() {
        List<String> forms = new ArrayList<>();
        for (Backend b : BY_SCHEME.values()) {
            forms.add(b.scheme() + ":" + b.target());
        }
        if (forms.size() <= 1) {
            return forms.isEmpty() ? "(no backend registered)" : forms.get(0);
        }
        return String.join(", ", forms.subList(0, forms.size() - 1)) + " or " + forms.get(forms.size() - 1);
    }

    static List<Backend> all() {
        return List.copyOf(BY_SCHEME.values());
    }
}
