package io.tensorplane.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.engine.Errno;
import io.tensorplane.uring.IoUringProbe.Availability;
import io.tensorplane.uring.IoUringProbe.Reason;
import org.junit.jupiter.api.Test;

/** The probe tells each way io_uring can be missing from the others, from what /proc says. */
class IoUringProbeTest {
    private static final String PLAIN = "Name:\tjava\nUmask:\t0022\nSeccomp:\t0\nSeccomp_filters:\t0\n";
    private static final String FILTERED = "Name:\tjava\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n";

    @Test
    void noIoUringInTheKernel() {
        Availability a = IoUringProbe.explain(Errno.ENOSYS, null, PLAIN);
        assertEquals(Reason.NOT_IN_KERNEL, a.reason());
        assertTrue(a.cause().contains("CONFIG_IO_URING"), a.cause());
    }

    @Test
    void seccompAnsweringEnosysIsNotMistakenForAnOldKernel() {
        assertEquals(Reason.BLOCKED_BY_SECCOMP, IoUringProbe.explain(Errno.ENOSYS, "0", FILTERED).reason());
    }

    @Test
    void theSysctlIsNamed() {
        Availability off = IoUringProbe.explain(Errno.EPERM, "2\n", FILTERED);
        assertEquals(Reason.DISABLED_BY_SYSCTL, off.reason(), "the sysctl wins: it refuses before any filter matters");
        assertTrue(off.cause().contains("kernel.io_uring_disabled=2"), off.cause());
        Availability group = IoUringProbe.explain(Errno.EPERM, "1", PLAIN);
        assertEquals(Reason.RESTRICTED_BY_SYSCTL, group.reason());
        assertTrue(group.cause().contains("io_uring_group"), group.cause());
    }

    @Test
    void aContainersSeccompProfileIsNamed() {
        Availability a = IoUringProbe.explain(Errno.EPERM, "0", FILTERED);
        assertEquals(Reason.BLOCKED_BY_SECCOMP, a.reason());
        assertTrue(a.cause().contains("seccomp"), a.cause());
        assertEquals(Reason.BLOCKED_BY_SECCOMP, IoUringProbe.explain(Errno.EPERM, null, FILTERED).reason(),
                "a kernel before 6.6 has no sysctl file");
    }

    @Test
    void otherCauses() {
        assertEquals(Reason.OTHER, IoUringProbe.explain(Errno.EPERM, "0", PLAIN).reason());
        assertEquals(Reason.NO_MEMORY, IoUringProbe.explain(Errno.ENOMEM, null, PLAIN).reason());
        Availability odd = IoUringProbe.explain(Errno.EFBIG, null, null);
        assertEquals(Reason.OTHER, odd.reason());
        assertTrue(odd.cause().contains("EFBIG"), odd.cause());
    }

    @Test
    void thisMachine() {
        Availability a = IoUringProbe.availability();
        assertEquals(a.available(), IoUringProbe.isAvailable());
        assertEquals(a.available(), IoUringProbe.unavailabilityCause() == null);
    }
}
