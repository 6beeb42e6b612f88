package io.tensorplane.ublk;

import static io.tensorplane.ublk.CopyChoiceTest.LINUX_6_12;
import static io.tensorplane.ublk.CopyChoiceTest.LINUX_7_3;
import static io.tensorplane.ublk.ctrl.UblkAbi.UBLK_F_BATCH_IO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.ublk.UblkServer.BatchMode;
import io.tensorplane.ublk.queue.Copy;
import org.junit.jupiter.api.Test;

/** Whether 'ublk add --batch' gets batched commands on which kernel, with which data movement. */
class BatchChoiceTest {

    @Test
    void autoBatchesWhereTheKernelHasItExceptZeroCopyAndRecovery() {
        assertTrue(UblkServer.chooseBatch(BatchMode.AUTO, LINUX_7_3, Copy.BUFFER, false));
        assertTrue(UblkServer.chooseBatch(BatchMode.AUTO, LINUX_7_3, Copy.USER, false));
        assertFalse(UblkServer.chooseBatch(BatchMode.AUTO, LINUX_7_3, Copy.ZERO, false));
        assertFalse(UblkServer.chooseBatch(BatchMode.AUTO, LINUX_7_3, Copy.BUFFER, true));
        // 6.12: COMMIT_AND_FETCH, whatever else
        for (Copy c : Copy.values()) {
            assertFalse(UblkServer.chooseBatch(BatchMode.AUTO, LINUX_6_12, c, false));
        }
        assertFalse(UblkServer.chooseBatch(BatchMode.OFF, LINUX_7_3, Copy.BUFFER, false));
    }

    @Test
    void onWhereItCannotBeHadIsOneClearError() {
        UblkException e = assertThrows(UblkException.class, () -> UblkServer.chooseBatch(BatchMode.ON, LINUX_6_12, Copy.BUFFER, false));
        assertTrue(e.getMessage().contains("no batched commands") && e.getMessage().endsWith("use --batch off"), e.getMessage());
        e = assertThrows(UblkException.class, () -> UblkServer.chooseBatch(BatchMode.ON, LINUX_7_3, Copy.ZERO, false));
        assertTrue(e.getMessage().contains("zero copy"), e.getMessage());
        e = assertThrows(UblkException.class, () -> UblkServer.chooseBatch(BatchMode.ON, LINUX_7_3, Copy.BUFFER, true));
        assertTrue(e.getMessage().contains("--recoverable"), e.getMessage());
        assertTrue(UblkServer.chooseBatch(BatchMode.ON, LINUX_7_3, Copy.USER, false));
    }

    @Test
    void listNamesTheCommandsFromTheDeviceFlags() {
        assertEquals("batch", UblkServer.commandsOf(UBLK_F_BATCH_IO | UblkServer.flagsOf(Copy.BUFFER)));
        assertEquals("per-tag", UblkServer.commandsOf(UblkServer.flagsOf(Copy.USER)));
    }
}
