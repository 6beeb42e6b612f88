package io.tensorplane.engine.poll;

/** How pollers share threads: a configuration choice, not a code change (as in Aeron's ThreadingMode). */
public enum ThreadingMode {
    /** One thread per poller; with CPUs configured, poller {@code i} is pinned to {@code cpus[i % n]}. */
    DEDICATED,
    /** All pollers take turns on one thread (a composite agent); pinned to the first configured CPU. */
    SHARED,
    /** No thread: the caller drives the pollers by calling {@link PollerGroup#invoke()} from its own loop. */
    INVOKER
}
