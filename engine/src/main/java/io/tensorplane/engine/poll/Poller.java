package io.tensorplane.engine.poll;

import org.agrona.concurrent.Agent;

import java.util.function.IntSupplier;

/**
 * An {@link Agent} from two lambdas: set-up on the poller's own thread (open the thread's
 * {@link io.tensorplane.engine.IoChannel}s there, since a channel belongs to the thread that opened
 * it) and a unit of work that returns how much it did (0 lets the idle strategy idle).
 */
public final class Poller implements Agent {
    private final String role;
    private final Runnable onStart;
    private final IntSupplier work;
    private final Runnable onClose;

    private Poller(String role, Runnable onStart, IntSupplier work, Runnable onClose) {
        this.role = role;
        this.onStart = onStart;
        this.work = work;
        this.onClose = onClose;
    }

    /** A poller that only works. */
    public static Poller of(String role, IntSupplier work) {
        return new Poller(role, () -> { }, work, () -> { });
    }

    /** A poller with set-up and tear-down on its own thread. */
    public static Poller of(String role, Runnable onStart, IntSupplier work, Runnable onClose) {
        return new Poller(role, onStart, work, onClose);
    }

    @Override
    public void onStart() {
        onStart.run();
    }

    @Override
    public int doWork() {
        return work.getAsInt();
    }

    @Override
    public void onClose() {
        onClose.run();
    }

    @Override
    public String roleName() {
        return role;
    }
}
