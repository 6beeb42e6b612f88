package io.tensorplane.dpu.preflight;

import java.util.Optional;

/**
 * Why {@code io_uring_setup} failed, from what can be recorded: its errno, {@code /proc/sys/kernel/io_uring_disabled}
 * (6.6+: 0 allowed, 1 only for the group in {@code io_uring_group}, 2 nobody) and the {@code Seccomp:} line of
 * {@code /proc/self/status} (2: a filter is installed, as container runtimes' default profiles do; they answer
 * io_uring with EPERM, or with ENOSYS in some runtimes).
 */
record IoUringVerdict(boolean usable, String cause) {
    static final int EPERM = 1;
    static final int ENOMEM = 12;
    static final int ENOSYS = 38;

    static IoUringVerdict classify(int errno, Optional<String> disabledSysctl, Optional<String> seccompLine) {
        if (errno == 0) {
            return new IoUringVerdict(true, "io_uring_setup works");
        }
        String disabled = disabledSysctl.map(String::trim).orElse("");
        boolean filtered = seccompLine.map(s -> s.replaceFirst("^Seccomp:\\s*", "").trim()).orElse("0").equals("2");
        switch (errno) {
            case ENOSYS:
                return new IoUringVerdict(false, filtered
                        ? "io_uring_setup: ENOSYS with a seccomp filter installed: the filter (or a kernel without io_uring) refuses it; allow io_uring_setup, io_uring_enter and io_uring_register in the container's seccomp profile"
                        : "io_uring_setup: ENOSYS: this kernel is built without io_uring (CONFIG_IO_URING)");
            case EPERM:
                if (disabled.equals("2")) {
                    return new IoUringVerdict(false, "io_uring_setup: EPERM: disabled for everyone by sysctl kernel.io_uring_disabled=2; set it to 0");
                }
                if (disabled.equals("1")) {
                    return new IoUringVerdict(false, "io_uring_setup: EPERM: sysctl kernel.io_uring_disabled=1 allows only the group kernel.io_uring_group (and CAP_SYS_ADMIN); add the service to that group or set the sysctl to 0");
                }
                if (filtered) {
                    return new IoUringVerdict(false, "io_uring_setup: EPERM from a seccomp filter (container runtimes' default profiles block io_uring); use a seccomp profile that allows io_uring_setup, io_uring_enter and io_uring_register");
                }
                return new IoUringVerdict(false, "io_uring_setup: EPERM with no sysctl or seccomp filter to explain it (an LSM policy?)");
            case ENOMEM:
                return new IoUringVerdict(false, "io_uring_setup: ENOMEM: on kernels before 5.12 rings count against RLIMIT_MEMLOCK; raise LimitMEMLOCK");
            default:
                return new IoUringVerdict(false, "io_uring_setup failed with errno " + errno);
        }
    }
}
