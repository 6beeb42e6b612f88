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

    /** auto is the measured faster mode, one command per tag, on 7.3 as on 6.12 (BatchMode.AUTO has the figures). */
    @Test
    void autoAndOffAreOneCommandPerTagEverywhere() {
        for (Copy c : Copy.values()) {
            for (long kernel : new long[] {LINUX_7_3, LINUX_6_12}) {
                assertFalse(UblkServer.chooseBatch(BatchMode.AUTO, kernel, c, false));
                assertFalse(UblkServer.chooseBatch(BatchMode.OFF, kernel, c, false));
            }
        }
        assertTrue(UblkServer.chooseBatch(BatchMode.ON, LINUX_7_3, Copy.BUFFER, false));
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
