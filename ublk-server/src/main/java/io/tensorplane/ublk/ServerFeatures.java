package io.tensorplane.ublk;

import static io.tensorplane.ublk.ctrl.UblkAbi.*;

import java.util.Map;
import java.util.Set;

/**
 * Which of the kernel's ublk feature bits this server uses, and how, as {@code ublk features} reports it; a bit not
 * listed is never asked for. Keep it in step with the flags {@link UblkServer} asks ADD_DEV for: {@code UblkLifecycleIT}
 * fails when a device this server created carries a flag that is neither used nor set by the driver itself.
 */
final class ServerFeatures {
    private ServerFeatures() {
    }

    private static final Map<Long, String> USED = Map.of(
            UBLK_F_SUPPORT_ZERO_COPY, "zero copy with AUTO_BUF_REG; by-hand registration when the kernel's fails (--copy zero, auto for file: on io_uring)",
            UBLK_F_AUTO_BUF_REG, "zero copy: the kernel registers each request's pages in the queue's ring, the file backend reads and writes them there",
            UBLK_F_USER_COPY, "with 'ublk add --copy user': pread/pwrite on /dev/ublkcN (auto uses zero copy where it can, else per-tag buffers: no system call per I/O)",
            UBLK_F_BATCH_IO, "with 'ublk add --batch on' (not with zero copy or --recoverable): PREP/COMMIT/FETCH_IO_CMDS, many tags per command (auto keeps one per tag: not faster as measured)",
            UBLK_F_USER_RECOVERY, "with 'ublk add --recoverable': the disk outlives its server until 'ublk recover'",
            UBLK_F_QUIESCE, "with --recoverable: 'ublk upgrade' hands the disk to a new server with nothing in flight",
            UBLK_F_UPDATE_SIZE, "'ublk resize' grows a live device",
            UBLK_F_SAFE_STOP_DEV, "'ublk del' refuses a device in use (TRY_STOP_DEV) unless --force",
            UBLK_F_CMD_IOCTL_ENCODE, "every command is ioctl-encoded",
            UBLK_F_SHMEM_ZC, "with 'ublk add --shmem': applications' memfd/hugetlbfs regions registered (REG_BUF), their O_DIRECT I/O served from them with no copy");

    /**
     * Flags the driver puts on every device whatever the server asks (6.12: the first two; 7.3: all five, but not
     * PER_IO_DAEMON on a device with BATCH_IO: a device it is not asked for).
     */
    private static final Set<Long> SET_BY_DRIVER = Set.of(UBLK_F_URING_CMD_COMP_IN_TASK, UBLK_F_CMD_IOCTL_ENCODE,
            UBLK_F_PER_IO_DAEMON, UBLK_F_BUF_REG_OFF_DAEMON, UBLK_F_SAFE_STOP_DEV);

    /** How the server uses feature bit {@code bit}, or null when it does not. */
    static String use(int bit) {
        return bit >= 0 && bit < 64 ? USED.get(1L << bit) : null;
    }

    /** Whether the driver sets feature bit {@code bit} on every device, asked or not. */
    static boolean setByDriver(int bit) {
        return bit >= 0 && bit < 64 && SET_BY_DRIVER.contains(1L << bit);
    }
}
