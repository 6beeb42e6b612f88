package io.tensorplane.engine.poll;

import java.util.Arrays;
import java.util.Locale;

/**
 * Configuration of a group of pollers: idle strategy, threading mode, CPUs to pin to, thread name
 * prefix. Immutable; each {@code with...} returns a copy and validates its argument.
 */
public final class PollerConfig {
    private final String idle;
    private final ThreadingMode threading;
    private final int[] cpus;
    private final String name;

    private PollerConfig(String idle, ThreadingMode threading, int[] cpus, String name) {
        this.idle = idle;
        this.threading = threading;
        this.cpus = cpus;
        this.name = name;
    }

    /** {@code backoff} idle strategy, dedicated threads, no pinning, threads named {@code tensorplane-poller}. */
    public static PollerConfig defaults() {
        return new PollerConfig(IdleStrategies.DEFAULT, ThreadingMode.DEDICATED, new int[0], "tensorplane-poller");
    }

    /** One of {@link IdleStrategies#NAMES}. */
    public PollerConfig withIdle(String idleStrategy) {
        IdleStrategies.parse(idleStrategy); // validates
        return new PollerConfig(idleStrategy.trim().toLowerCase(Locale.ROOT), threading, cpus, name);
    }

    public PollerConfig withThreading(ThreadingMode mode) {
        return new PollerConfig(idle, mode, cpus, name);
    }

    /** Parses {@code dedicated}, {@code shared} or {@code invoker}. */
    public PollerConfig withThreading(String mode) {
        try {
            return withThreading(ThreadingMode.valueOf(mode.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("unknown threading mode '" + mode + "'; expected dedicated, shared or invoker");
        }
    }

    /** CPUs to pin poller threads to (empty: no pinning). */
    public PollerConfig withCpus(int... cpus) {
        for (int c : cpus) {
            if (c < 0) {
                throw new IllegalArgumentException("bad CPU number " + c);
            }
        }
        return new PollerConfig(idle, threading, cpus.clone(), name);
    }

    /** Parses a CPU list such as {@code 2,3} or {@code 4-7} or {@code 0,2-3}; empty for none. */
    public PollerConfig withCpus(String list) {
        return withCpus(CpuList.parse(list));
    }

    public PollerConfig withName(String threadNamePrefix) {
        return new PollerConfig(idle, threading, cpus, threadNamePrefix);
    }

    public String idle() { return idle; }
    public ThreadingMode threading() { return threading; }
    public int[] cpus() { return cpus.clone(); }
    public String name() { return name; }

    @Override
    public String toString() {
        return "idle=" + idle + " threading=" + threading.name().toLowerCase(Locale.ROOT)
                + (cpus.length == 0 ? "" : " cpus=" + Arrays.toString(cpus));
    }
}
