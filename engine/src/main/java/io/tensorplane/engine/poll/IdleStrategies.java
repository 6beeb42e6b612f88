package io.tensorplane.engine.poll;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.Locale;

/**
 * Agrona idle strategies by name, for configuration and command lines:
 * <ul>
 *   <li>{@code spin}: busy spin ({@link BusySpinIdleStrategy}); lowest latency, one core at 100 %</li>
 *   <li>{@code yield}: {@link Thread#yield()} ({@link YieldingIdleStrategy})</li>
 *   <li>{@code park}: park 50 µs ({@link SleepingIdleStrategy}); costs almost nothing when idle</li>
 *   <li>{@code backoff} (default): spin 100 times, yield 10 times, then park from 1 µs doubling up to
 *   1 ms ({@link BackoffIdleStrategy}): a busy device gets microsecond latency, an idle one costs no CPU</li>
 * </ul>
 * An {@link IdleStrategy} is stateful: each poller thread needs its own, so this returns a new one per call.
 */
public final class IdleStrategies {
    /** The names accepted by {@link #parse(String)}. */
    public static final String NAMES = "spin, yield, park, backoff";
    public static final String DEFAULT = "backoff";

    private IdleStrategies() {
    }

    /**
     * A new idle strategy for a name.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static IdleStrategy parse(String name) {
        switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT)) {
            case "spin": return new BusySpinIdleStrategy();
            case "yield": return new YieldingIdleStrategy();
            case "park": return new SleepingIdleStrategy(50_000);
            case "backoff": return new BackoffIdleStrategy(100, 10, 1_000, 1_000_000);
            default:
                throw new IllegalArgumentException("unknown idle strategy '" + name + "'; expected one of " + NAMES);
        }
    }
}
