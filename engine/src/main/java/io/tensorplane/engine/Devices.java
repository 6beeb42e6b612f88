package io.tensorplane.engine;

import io.tensorplane.engine.backend.NullDevice;

/**
 * Opens engine devices from a spec string: {@code null:<size>}, {@code mem:<size>},
 * {@code file:<path>}. A bad spec fails here with an {@link IllegalArgumentException} whose
 * message names the problem.
 */
public final class Devices {
    private Devices() {
    }

    public static BlockDevice open(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty device spec; expected null:<size>, mem:<size> or file:<path>");
        }
        int colon = spec.indexOf(':');
        String scheme = colon < 0 ? spec : spec.substring(0, colon);
        String rest = colon < 0 ? "" : spec.substring(colon + 1);
        switch (scheme) {
            case "null":
                return new NullDevice(spec, Sizes.parse(rest, spec), 512);
            default:
                throw new IllegalArgumentException("unknown backend '" + scheme + "' in spec '" + spec
                        + "'; expected null:<size>, mem:<size> or file:<path>");
        }
    }
}
