package io.tensorplane.engine.poll;

import java.util.ServiceLoader;

/**
 * Service interface for moving threads between Linux's scheduling classes: {@code SCHED_IDLE}, which runs only on
 * CPU time no ordinary thread wants and never preempts one, and the ordinary {@code SCHED_OTHER}. For background
 * threads that must not delay I/O threads sharing their CPU (a trace's writer). The engine has no native access of
 * its own; the io_uring module provides the implementation through {@link ServiceLoader}
 * ({@code META-INF/services/io.tensorplane.engine.poll.ThreadScheduling}). Without it, {@link #NONE} leaves every
 * thread in the ordinary class.
 */
public interface ThreadScheduling {
    /** The kernel's id of the calling thread, for {@link #setIdle} from another thread; -1 if unknown. */
    int currentThreadId();

    /**
     * Puts thread {@code tid} (0: the calling thread) in {@code SCHED_IDLE} ({@code idle}) or back in
     * {@code SCHED_OTHER}. One system call: not for an I/O path, but fine once in a while on one.
     *
     * @return whether the thread is now in that class
     */
    boolean setIdle(int tid, boolean idle);

    /**
     * Whether {@link #setIdle setIdle(tid, false)} can bring a thread back from {@code SCHED_IDLE}: an unprivileged
     * process may be refused (RLIMIT_NICE), and must then keep its threads in the ordinary class.
     */
    boolean canLeaveIdle();

    /** The implementation found by {@link ServiceLoader}, else {@link #NONE}. */
    static ThreadScheduling installed() {
        return Holder.CURRENT;
    }

    /** Used when no implementation is installed: every thread stays in the ordinary class. */
    ThreadScheduling NONE = new ThreadScheduling() {
        @Override
        public int currentThreadId() {
            return -1;
        }

        @Override
        public boolean setIdle(int tid, boolean idle) {
            return !idle;
        }

        @Override
        public boolean canLeaveIdle() {
            return false;
        }
    };

    /** Holds the process-wide implementation, looked up once. */
    final class Holder {
        static final ThreadScheduling CURRENT = ServiceLoader.load(ThreadScheduling.class).findFirst().orElse(NONE);

        private Holder() {
        }
    }
}
