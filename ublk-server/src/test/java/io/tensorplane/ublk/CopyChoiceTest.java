package io.tensorplane.ublk;

import static io.tensorplane.ublk.ctrl.UblkAbi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.ublk.UblkServer.CopyMode;
import io.tensorplane.ublk.queue.Copy;
import org.junit.jupiter.api.Test;

/** Which data movement 'ublk add --copy' gets on which kernel and backend, and what ADD_DEV is asked for. */
class CopyChoiceTest {
    /** Linux 7.3.4's GET_FEATURES, and 6.12.117's. */
    static final long LINUX_7_3 = 0x1fffffL;
    static final long LINUX_6_12 = UBLK_F_URING_CMD_COMP_IN_TASK | UBLK_F_NEED_GET_DATA | UBLK_F_USER_RECOVERY
            | UBLK_F_USER_RECOVERY_REISSUE | UBLK_F_UNPRIVILEGED_DEV | UBLK_F_CMD_IOCTL_ENCODE | UBLK_F_USER_COPY | UBLK_F_ZONED;

    @Test
    void autoPicksZeroCopyWhereKernelAndBackendAllowIt() {
        assertEquals(Copy.ZERO, UblkServer.chooseCopy(CopyMode.AUTO, LINUX_7_3, true, "file:/dev/x"));
        assertEquals(Copy.BUFFER, UblkServer.chooseCopy(CopyMode.AUTO, LINUX_7_3, false, "mem:1G"));
        assertEquals(Copy.BUFFER, UblkServer.chooseCopy(CopyMode.AUTO, LINUX_6_12, true, "file:/dev/x"));
        // zero copy needs both flags: AUTO_BUF_REG alone (or SUPPORT_ZERO_COPY alone) is not enough
        assertEquals(Copy.BUFFER, UblkServer.chooseCopy(CopyMode.AUTO, LINUX_6_12 | UBLK_F_SUPPORT_ZERO_COPY, true, "file:/dev/x"));
        assertEquals(Copy.BUFFER, UblkServer.chooseCopy(CopyMode.AUTO, UBLK_F_CMD_IOCTL_ENCODE, true, "file:/dev/x"));
    }

    @Test
    void sharedMemoryNeedsTheKernelsShmemZcAndTakesBuffersOrUserCopyBesideIt() {
        UblkException e = assertThrows(UblkException.class, () -> UblkServer.withShmem(Copy.BUFFER, CopyMode.AUTO, LINUX_6_12));
        assertEquals("this kernel's ublk driver has no shared-memory zero copy (UBLK_F_SHMEM_ZC, Linux 7.1+);"
                + " add the device without --shmem", e.getMessage());
        assertEquals(Copy.BUFFER, UblkServer.withShmem(Copy.ZERO, CopyMode.AUTO, LINUX_7_3));
        assertEquals(Copy.USER, UblkServer.withShmem(Copy.USER, CopyMode.USER, LINUX_7_3));
        e = assertThrows(UblkException.class, () -> UblkServer.withShmem(Copy.ZERO, CopyMode.ZERO, LINUX_7_3));
        assertTrue(e.getMessage().contains("not zero"), e.getMessage());
    }

    @Test
    void anExplicitModeTheKernelOrBackendCannotDoIsOneClearError() {
        UblkException e = assertThrows(UblkException.class, () -> UblkServer.chooseCopy(CopyMode.ZERO, LINUX_6_12, true, "file:/dev/x"));
        assertTrue(e.getMessage().contains("Linux 6.16+") && e.getMessage().endsWith("use --copy buffer"), e.getMessage());
        e = assertThrows(UblkException.class, () -> UblkServer.chooseCopy(CopyMode.ZERO, LINUX_7_3, false, "mem:1G"));
        assertTrue(e.getMessage().startsWith("backend 'mem:1G' needs the data in memory"), e.getMessage());
        e = assertThrows(UblkException.class, () -> UblkServer.chooseCopy(CopyMode.USER, UBLK_F_CMD_IOCTL_ENCODE, false, "mem:1G"));
        assertTrue(e.getMessage().endsWith("use --copy buffer"), e.getMessage());
        assertEquals(Copy.BUFFER, UblkServer.chooseCopy(CopyMode.BUFFER, LINUX_7_3, true, "file:/dev/x"));
    }

    @Test
    void flagsAskedForAndReadBack() {
        assertEquals(UBLK_F_SUPPORT_ZERO_COPY | UBLK_F_AUTO_BUF_REG, UblkServer.flagsOf(Copy.ZERO));
        assertEquals(UBLK_F_USER_COPY, UblkServer.flagsOf(Copy.USER));
        assertEquals(0, UblkServer.flagsOf(Copy.BUFFER));
        for (Copy c : Copy.values()) {
            // what 'ublk list' and recovery read from the device's flags (the driver adds flags of its own)
            assertEquals(c, UblkServer.copyOf(UblkServer.flagsOf(c) | UBLK_F_CMD_IOCTL_ENCODE | UBLK_F_PER_IO_DAEMON));
        }
    }
}
