package io.tensorplane.engine;

import java.util.List;

/**
 * A kind of backend ({@code null}, {@code mem}, {@code file}, ...), registered with the engine through
 * {@link java.util.ServiceLoader}: a module that brings one lists its class in
 * {@code META-INF/services/io.tensorplane.engine.Backend}. Specs name it by its {@link #scheme()}; the
 * engine parses what all specs share (the scheme, the common options {@code bs}, {@code latency},
 * {@code jitter}, {@code faults}, {@code seed}, and the emulation decorators) and hands the rest to
 * {@link #parse}. Front doors never name a backend, so a new one changes nothing else.
 */
public interface Backend {

    /** The scheme that selects this backend: the part of a spec before the first {@code ':'}. */
    String scheme();

    /** How the target after the colon is written, for help and error messages: {@code <size>}, {@code <path>}. */
    String target();

    /** The options this backend takes beyond the common ones. */
    List<Option> options();

    /**
     * Validates everything that can be checked without taking a resource (sizes, paths, permissions)
     * and returns how to open the device.
     *
     * @throws IllegalArgumentException with a message that names the problem and the spec
     */
    Opener parse(BackendArgs args);

    /** Opens a validated backend spec. */
    @FunctionalInterface
    interface Opener {
        /** @throws IllegalArgumentException if the device cannot be opened, with the reason */
        BlockDevice open();
    }

    /** An option of a backend: {@code name} alone (a flag) or {@code name=value}. */
    record Option(String name, boolean takesValue, String help) {
        public static Option flag(String name, String help) {
            return new Option(name, false, help);
        }

        public static Option value(String name, String help) {
            return new Option(name, true, help);
        }
    }
}
