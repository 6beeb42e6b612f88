package io.tensorplane.uring;

import io.tensorplane.engine.poll.ThreadScheduling;
import org.agrona.BufferUtil;

import java.nio.ByteBuffer;

/**
 * {@link ThreadScheduling} through {@code sched_setscheduler(tid, policy, {0})}, which on Linux applies to that one
 * thread. Leaving {@code SCHED_IDLE} takes CAP_SYS_NICE (or an RLIMIT_NICE that allows nice 0), so threads only
 * enter it when the process runs as root, as a ublk server does.
 */
public final class LinuxThreadScheduling implements ThreadScheduling {
    static final int SCHED_OTHER = 0;
    static final int SCHED_IDLE = 5;
    /** {@code struct sched_param} with priority 0, the only priority of both classes; never written. */
    private static final ByteBuffer ZERO_PARAM = ByteBuffer.allocateDirect(8);

    @Override
    public int currentThreadId() {
        return LibC.gettid();
    }

    @Override
    public boolean setIdle(int tid, boolean idle) {
        return LibC.sched_setscheduler(tid, idle ? SCHED_IDLE : SCHED_OTHER, BufferUtil.address(ZERO_PARAM)) == 0;
    }

    @Override
    public boolean canLeaveIdle() {
        return LibC.geteuid() == 0;
    }
}
