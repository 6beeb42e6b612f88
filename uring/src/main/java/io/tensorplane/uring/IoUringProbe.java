package io.tensorplane.uring;

import static io.tensorplane.uring.IoUringLayout.*;

import io.tensorplane.engine.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.agrona.UnsafeApi;

/**
 * Whether io_uring can be used by this process, and if not, why, in words an operator can act on
 * (Netty's {@code IoUring.isAvailable()} / {@code unavailabilityCause()}). Probed once: a ring of one
 * entry is set up and the kernel's table of supported opcodes is read.
 *
 * <p>{@link #explain} is the classification on its own, over recorded inputs, so that preflight checks
 * and tests can judge a machine they are not running on.
 */
public final class IoUringProbe {
    /** Why io_uring is unavailable. */
    public enum Reason {
        /** It works. */
        AVAILABLE,
        /** The kernel has no io_uring (before Linux 5.1, or built without CONFIG_IO_URING). */
        NOT_IN_KERNEL,
        /** {@code kernel.io_uring_disabled=2}: disabled for everyone. */
        DISABLED_BY_SYSCTL,
        /** {@code kernel.io_uring_disabled=1}: only root and {@code kernel.io_uring_group} may use it. */
        RESTRICTED_BY_SYSCTL,
        /** A seccomp filter (a container runtime's default profile, systemd's SystemCallFilter=) refuses it. */
        BLOCKED_BY_SECCOMP,
        /** The ring's memory could not be had (RLIMIT_MEMLOCK on kernels before 5.12). */
        NO_MEMORY,
        /** io_uring is there but lacks operations this project needs (kernel too old). */
        KERNEL_TOO_OLD,
        /** Something else; the cause names the errno. */
        OTHER
    }

    /** The outcome of a probe: a reason and a sentence. */
    public record Availability(Reason reason, String cause) {
        public boolean available() {
            return reason == Reason.AVAILABLE;
        }
    }

    /** Operations every user of this module relies on, with the release that brought them. */
    private static final int[][] REQUIRED = {
        {IORING_OP_READ, 5, 6}, {IORING_OP_WRITE, 5, 6}, {IORING_OP_FSYNC, 5, 1}, {IORING_OP_FALLOCATE, 5, 6},
        {IORING_OP_POLL_ADD, 5, 1},
    };

    private static volatile Probed probed;

    private IoUringProbe() {
    }

    private record Probed(Availability availability, boolean[] supported) {
    }

    /** Whether io_uring is usable here (probed once per process). */
    public static boolean isAvailable() {
        return availability().available();
    }

    /** Why io_uring is not usable, or null if it is. */
    public static String unavailabilityCause() {
        Availability a = availability();
        return a.available() ? null : a.cause();
    }

    /** The probe's outcome (probed once per process). */
    public static Availability availability() {
        return probe().availability();
    }

    /** Whether the kernel supports this {@code IORING_OP_*} (false when io_uring is unavailable). */
    public static boolean supports(int opcode) {
        boolean[] s = probe().supported();
        return opcode >= 0 && opcode < s.length && s[opcode];
    }

    private static Probed probe() {
        Probed p = probed;
        if (p == null) {
            synchronized (IoUringProbe.class) {
                p = probed;
                if (p == null) {
                    p = run();
                    probed = p;
                }
            }
        }
        return p;
    }

    private static Probed run() {
        boolean[] supported = new boolean[IORING_OP_TABLE];
        IoUring ring;
        try {
            ring = IoUring.create(1, 0, 0);
        } catch (ErrnoException e) {
            return new Probed(explain(e.errno(), read("/proc/sys/kernel/io_uring_disabled"), read("/proc/self/status")), supported);
        } catch (LinkageError | RuntimeException e) {
            return new Probed(new Availability(Reason.OTHER, "io_uring could not be probed: " + e), supported);
        }
        try {
            long buf = UnsafeApi.allocateMemory(PROBE_SIZE + (long) PROBE_OP_SIZE * IORING_OP_TABLE);
            try {
                UnsafeApi.setMemory(buf, PROBE_SIZE + (long) PROBE_OP_SIZE * IORING_OP_TABLE, (byte) 0);
                if (LibC.ioUringRegister(ring.fd(), IORING_REGISTER_PROBE, buf, IORING_OP_TABLE) < 0) {
                    // Linux 5.6 added the probe; a kernel without it lacks IORING_OP_READ as well.
                    return new Probed(new Availability(Reason.KERNEL_TOO_OLD,
                            "io_uring cannot list its operations (IORING_REGISTER_PROBE, Linux 5.6+): the kernel is too old"), supported);
                }
                int n = UnsafeApi.getByte(buf + PROBE_OPS_LEN) & 0xff;
                for (int i = 0; i < n; i++) {
                    long op = buf + PROBE_SIZE + (long) i * PROBE_OP_SIZE;
                    if ((UnsafeApi.getShort(op + PROBE_OP_FLAGS) & IO_URING_OP_SUPPORTED) != 0) {
                        supported[i] = true;
                    }
                }
            } finally {
                UnsafeApi.freeMemory(buf);
            }
        } finally {
            ring.close();
        }
        for (int[] r : REQUIRED) {
            if (!supported[r[0]]) {
                return new Probed(new Availability(Reason.KERNEL_TOO_OLD, "io_uring lacks operation " + r[0]
                        + " (Linux " + r[1] + "." + r[2] + "+): the kernel is too old"), supported);
            }
        }
        return new Probed(new Availability(Reason.AVAILABLE, null), supported);
    }

    /**
     * Why {@code io_uring_setup} failed, from its errno and what {@code /proc} says.
     *
     * @param errno          the positive errno of the failed {@code io_uring_setup}
     * @param ioUringDisabled the content of {@code /proc/sys/kernel/io_uring_disabled} (Linux 6.6+), or null
     * @param procSelfStatus the content of {@code /proc/self/status} (its {@code Seccomp:} line), or null
     */
    public static Availability explain(int errno, String ioUringDisabled, String procSelfStatus) {
        String disabled = ioUringDisabled == null ? null : ioUringDisabled.trim();
        boolean filtered = seccompFiltered(procSelfStatus);
        switch (errno) {
            case Errno.ENOSYS:
                if (filtered) {
                    return new Availability(Reason.BLOCKED_BY_SECCOMP, "io_uring_setup is refused with ENOSYS and this process"
                            + " runs under a seccomp filter: the filter blocks io_uring (allow io_uring_setup, io_uring_enter"
                            + " and io_uring_register in the container's seccomp profile)");
                }
                return new Availability(Reason.NOT_IN_KERNEL,
                        "the kernel has no io_uring (ENOSYS: Linux 5.1+ built with CONFIG_IO_URING is needed)");
            case Errno.EPERM:
                if ("2".equals(disabled)) {
                    return new Availability(Reason.DISABLED_BY_SYSCTL,
                            "io_uring is disabled by the sysctl kernel.io_uring_disabled=2 (set it to 0, or to 1 with kernel.io_uring_group)");
                }
                if ("1".equals(disabled)) {
                    return new Availability(Reason.RESTRICTED_BY_SYSCTL, "io_uring is restricted by kernel.io_uring_disabled=1 to"
                            + " root and the group in kernel.io_uring_group, and this process is neither (run as root or join that group)");
                }
                if (filtered) {
                    return new Availability(Reason.BLOCKED_BY_SECCOMP, "io_uring_setup is refused with EPERM by a seccomp filter"
                            + " (container runtimes block io_uring by default: allow io_uring_setup, io_uring_enter and"
                            + " io_uring_register in the seccomp profile)");
                }
                return new Availability(Reason.OTHER, "io_uring_setup is refused with EPERM (no sysctl or seccomp filter"
                        + " explains it: a security module such as SELinux may deny it)");
            case Errno.ENOMEM:
                return new Availability(Reason.NO_MEMORY, "io_uring_setup failed with ENOMEM: on kernels before 5.12 the ring"
                        + " counts against RLIMIT_MEMLOCK (raise it, e.g. LimitMEMLOCK= in a systemd unit)");
            default:
                return new Availability(Reason.OTHER, "io_uring_setup failed: " + Errno.name(errno));
        }
    }

    /** Whether the {@code Seccomp:} line of {@code /proc/self/status} says a filter is installed (mode 2). */
    static boolean seccompFiltered(String procSelfStatus) {
        if (procSelfStatus == null) {
            return false;
        }
        for (String line : procSelfStatus.split("\n")) {
            if (line.startsWith("Seccomp:")) {
                return line.substring("Seccomp:".length()).trim().equals("2");
            }
        }
        return false;
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
