package io.tensorplane.ublk.ctrl;

import io.tensorplane.engine.Errno;
import static io.tensorplane.ublk.ctrl.UblkAbi.*;

import io.tensorplane.ublk.UblkException;
import io.tensorplane.uring.IoUring;
import io.tensorplane.uring.IoUringLayout;
import io.tensorplane.uring.LibC;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.agrona.UnsafeApi;

/**
 * The ublk control device {@code /dev/ublk-control}: commands travel as {@code IORING_OP_URING_CMD}
 * on a ring with 128-byte SQEs, one command at a time. Methods are synchronized; a command that
 * blocks in the kernel (START_DEV) blocks only this instance, so use another instance to stop a
 * device meanwhile.
 */
public final class UblkControl implements AutoCloseable {
    public static final String CONTROL_PATH = "/dev/ublk-control";
    private static final int BUF_SIZE = 4096;
    /** Bytes of a CPU mask for GET_QUEUE_AFFINITY and sched_setaffinity (1024 CPUs). */
    public static final int CPU_MASK_BYTES = 128;

    private final int fd;
    private final IoUring ring;
    private final long buf;
    private int lastRes;

    private UblkControl(int fd, IoUring ring) {
        this.fd = fd;
        this.ring = ring;
        this.buf = UnsafeApi.allocateMemory(BUF_SIZE);
    }

    /** Whether the ublk driver is loaded (its control node exists). */
    public static boolean driverLoaded() {
        return new File(CONTROL_PATH).exists() || new File("/sys/module/ublk_drv").exists();
    }

    /**
     * Opens the control device.
     *
     * @throws UblkException with a one-line explanation when the driver is missing or we are not root
     */
    public static UblkControl open() {
        if (!new File(CONTROL_PATH).exists()) {
            if (new File("/sys/module/ublk_drv").exists()) {
                throw new UblkException(CONTROL_PATH + " is missing although ublk_drv is loaded (is /dev a devtmpfs?)", Errno.ENOENT);
            }
            throw new UblkException("the kernel's ublk driver is not loaded: run 'modprobe ublk_drv' as root (needs Linux 6.0+ with CONFIG_BLK_DEV_UBLK)", Errno.ENODEV);
        }
        int fd = LibC.open(CONTROL_PATH, LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            int e = LibC.errno();
            if (e == Errno.EACCES || e == Errno.EPERM) {
                throw new UblkException("permission denied opening " + CONTROL_PATH + ": ublk needs root (run with sudo)", e);
            }
            throw new UblkException("cannot open " + CONTROL_PATH + ": " + LibC.strerror(e), e);
        }
        IoUring ring;
        try {
            ring = IoUring.create(4, 0, IoUringLayout.IORING_SETUP_SQE128);
        } catch (RuntimeException ex) {
            LibC.close(fd);
            throw new UblkException("cannot create an io_uring with 128-byte SQEs (" + ex.getMessage() + "); Linux 6.0+ is needed", 0);
        }
        return new UblkControl(fd, ring);
    }

    /**
     * Issues one control command and waits for its completion.
     *
     * @return the command's result: {@code >= 0} or a negative errno
     */
    public synchronized int command(int cmdOp, int devId, int queueId, long addr, int len, long data0) {
        long sqe = ring.nextSqe();
        if (sqe == 0) {
            throw new IllegalStateException("control ring full");
        }
        IoUring.prepUringCmd(sqe, fd, false, cmdOp, cmdOp);
        long c = sqe + IoUringLayout.SQE_CMD;
        UnsafeApi.putInt(c + CtrlCmd.DEV_ID, devId);
        UnsafeApi.putShort(c + CtrlCmd.QUEUE_ID, (short) queueId);
        UnsafeApi.putShort(c + CtrlCmd.LEN, (short) len);
        UnsafeApi.putLong(c + CtrlCmd.ADDR, addr);
        UnsafeApi.putLong(c + CtrlCmd.DATA, data0);
        int r = ring.submitAndWait(1);
        while (!ring.hasCompletions()) {
            if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
                throw new UblkException("io_uring_enter on " + CONTROL_PATH + ": " + LibC.strerror(-r), -r);
            }
            r = ring.submitAndWait(1);
        }
        lastRes = Integer.MIN_VALUE;
        ring.drainCompletions((userData, res, flags) -> lastRes = res);
        return lastRes;
    }

    /** The driver's feature bits ({@code UBLK_U_CMD_GET_FEATURES}, Linux 6.5+; 0 when unsupported). */
    public synchronized long features() {
        UnsafeApi.putLong(buf, 0);
        int r = command(UBLK_U_CMD_GET_FEATURES, -1, -1, buf, UBLK_FEATURES_LEN, 0);
        if (r < 0) {
            return 0;
        }
        return UnsafeApi.getLong(buf);
    }

    /** ADD_DEV: creates {@code /dev/ublkcN}; returns the kernel's view (with the assigned id). */
    public synchronized DevInfo addDevice(DevInfo want) {
        want.encode(buf);
        int r = command(UBLK_U_CMD_ADD_DEV, want.devId, -1, buf, DevInfo.SIZE, 0);
        if (r < 0) {
            if (r == -Errno.EEXIST) {
                throw new UblkException("ublk device " + want.devId + " already exists (see 'tensorplane ublk list')", -r);
            }
            throw new UblkException("ADD_DEV failed: " + LibC.strerror(-r), -r);
        }
        return DevInfo.decode(buf);
    }

    public synchronized void setParams(int devId, Params p) {
        p.encode(buf);
        int r = command(UBLK_U_CMD_SET_PARAMS, devId, -1, buf, Params.SIZE, 0);
        if (r < 0) {
            throw new UblkException("SET_PARAMS on ublk device " + devId + " failed: " + LibC.strerror(-r), -r);
        }
    }

    /** GET_PARAMS, or null when the device does not exist. */
    public synchronized Params getParams(int devId) {
        UnsafeApi.setMemory(buf, Params.SIZE, (byte) 0);
        UnsafeApi.putInt(buf + Params.LEN, Params.SIZE);
        int r = command(UBLK_U_CMD_GET_PARAMS, devId, -1, buf, Params.SIZE, 0);
        if (r < 0) {
            return null;
        }
        return Params.decode(buf);
    }

    /** GET_DEV_INFO, or null when the device does not exist. */
    public synchronized DevInfo devInfo(int devId) {
        UnsafeApi.setMemory(buf, DevInfo.SIZE, (byte) 0);
        int r = command(UBLK_U_CMD_GET_DEV_INFO, devId, -1, buf, DevInfo.SIZE, 0);
        if (r < 0) {
            if (r == -Errno.ENODEV || r == -Errno.ENOENT) {
                return null;
            }
            throw new UblkException("GET_DEV_INFO on ublk device " + devId + " failed: " + LibC.strerror(-r), -r);
        }
        return DevInfo.decode(buf);
    }

    /** GET_QUEUE_AFFINITY: the CPUs the block layer maps to queue {@code qId}, copied to {@code mask}. */
    public synchronized int queueAffinity(int devId, int qId, long mask) {
        UnsafeApi.setMemory(buf, CPU_MASK_BYTES, (byte) 0);
        int r = command(UBLK_U_CMD_GET_QUEUE_AFFINITY, devId, -1, buf, CPU_MASK_BYTES, qId);
        if (r >= 0) {
            UnsafeApi.copyMemory(buf, mask, CPU_MASK_BYTES);
        }
        return r;
    }

    /** START_DEV: blocks until every queue has fetched every tag, then adds {@code /dev/ublkbN}. */
    public int startDevice(int devId, int serverPid) {
        return command(UBLK_U_CMD_START_DEV, devId, -1, 0, 0, serverPid);
    }

    /** STOP_DEV: removes the disk after in-flight I/O ends; queues' commands complete with ABORT. */
    public int stopDevice(int devId) {
        return command(UBLK_U_CMD_STOP_DEV, devId, -1, 0, 0, 0);
    }

    /** DEL_DEV: removes the device; blocks until its char device is closed. */
    public int deleteDevice(int devId) {
        return command(UBLK_U_CMD_DEL_DEV, devId, -1, 0, 0, 0);
    }

    /**
     * REG_BUF (UBLK_F_SHMEM_ZC): the kernel pins {@code [addr, addr + len)} of this process (page-aligned, a shared
     * mapping) and marks requests whose pages lie in it with UBLK_IO_F_SHMEM_ZC.
     *
     * @return the buffer's index (>= 0) or a negative errno
     */
    public synchronized int registerBuffer(int devId, long addr, long len) {
        UnsafeApi.putLong(buf, addr);
        UnsafeApi.putLong(buf + 8, len);
        UnsafeApi.putInt(buf + 16, 0);
        UnsafeApi.putInt(buf + 20, 0);
        return command(UBLK_U_CMD_REG_BUF, devId, -1, buf, SHMEM_BUF_REG_SIZE, 0);
    }

    /** UNREG_BUF (UBLK_F_SHMEM_ZC): the kernel waits for requests in flight, then unpins buffer {@code index}. */
    public int unregisterBuffer(int devId, int index) {
        return command(UBLK_U_CMD_UNREG_BUF, devId, -1, 0, 0, index);
    }

    /** UPDATE_SIZE (UBLK_F_UPDATE_SIZE): the disk's capacity becomes {@code sectors}; the kernel tells its users. */
    public int updateSize(int devId, long sectors) {
        return command(UBLK_U_CMD_UPDATE_SIZE, devId, -1, 0, 0, sectors);
    }

    /**
     * QUIESCE_DEV (a device made with UBLK_F_QUIESCE): new I/O waits, the server finishes what it has, then its
     * queues' commands complete with ABORT; the disk stays for START/END_USER_RECOVERY by another server.
     *
     * @return 0, or -EBUSY when in-flight I/O did not finish within {@code timeoutMs}, or another negative errno
     */
    public int quiesce(int devId, long timeoutMs) {
        return command(UBLK_U_CMD_QUIESCE_DEV, devId, -1, 0, 0, timeoutMs);
    }

    /** TRY_STOP_DEV (UBLK_F_SAFE_STOP_DEV): STOP_DEV only if nobody has the disk open, else -EBUSY. */
    public int tryStopDevice(int devId) {
        return command(UBLK_U_CMD_TRY_STOP_DEV, devId, -1, 0, 0, 0);
    }

    public int startUserRecovery(int devId) {
        return command(UBLK_U_CMD_START_USER_RECOVERY, devId, -1, 0, 0, 0);
    }

    public int endUserRecovery(int devId, int serverPid) {
        return command(UBLK_U_CMD_END_USER_RECOVERY, devId, -1, 0, 0, serverPid);
    }

    private static final Pattern CHAR_NAME = Pattern.compile("ublkc(\\d+)");

    /** Ids of existing ublk devices (from {@code /sys/class/ublk-char}, else {@code /dev/ublkc*}). */
    public static List<Integer> deviceIds() {
        List<Integer> ids = new ArrayList<>();
        for (String dir : new String[] {"/sys/class/ublk-char", "/dev"}) {
            Path p = Paths.get(dir);
            if (!Files.isDirectory(p)) {
                continue;
            }
            try (Stream<Path> s = Files.list(p)) {
                s.forEach(e -> {
                    Matcher m = CHAR_NAME.matcher(e.getFileName().toString());
                    if (m.matches()) {
                        ids.add(Integer.parseInt(m.group(1)));
                    }
                });
            } catch (java.io.IOException ignored) {
                // unreadable: try the next place
            }
            if (!ids.isEmpty()) {
                break;
            }
        }
        ids.sort(null);
        return ids;
    }

    @Override
    public synchronized void close() {
        ring.close();
        LibC.close(fd);
        UnsafeApi.freeMemory(buf);
    }
}
