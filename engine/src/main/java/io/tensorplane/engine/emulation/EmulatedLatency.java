package io.tensorplane.engine.emulation;

/**
 * Implemented by the channels of {@link LatencyDevice}: the latency the model drew for the last
 * submission on the channel, so that a decorator above it (the trace) can record what the emulation
 * intended beside what was measured. Emulated latencies are deterministic (same seed, same channel
 * order, same operations), measured ones are not.
 */
public interface EmulatedLatency {
    /** Nanoseconds the model gave the most recent submission on this channel (base + jitter). */
    long lastEmulatedNanos();
}
