package io.tensorplane.it.ublk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.TestbedTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DISCARD and WRITE_ZEROES reach the backend and read back as zeros; FLUSH reaches fdatasync(2)
 * on the file backend (seen by the kernel's own syscall tracepoint, no strace); the write cache
 * is advertised exactly when the backend has one.
 */
@TestbedTest
class UblkDiscardZeroesFlushIT {

    @BeforeAll
    static void driver(Guest guest) {
        Ublk.loadDriver(guest);
    }

    @AfterEach
    void cleanUp(Guest guest) {
        Ublk.cleanUp(guest);
        guest.run("rm -f /tmp/ublk-flush.img");
    }

    /** Writes random data to [off, off+len) MiB, then runs {@code op} on it and checks zeros come back. */
    private static String zeroes(String dev, int offMiB, int lenMiB, String op) {
        return String.join("\n",
                "set -euo pipefail",
                "dd if=/dev/urandom of=" + dev + " bs=1M seek=" + offMiB + " count=" + lenMiB + " oflag=direct status=none",
                "! cmp -s -n " + (lenMiB << 20) + " <(dd if=" + dev + " bs=1M skip=" + offMiB + " count=" + lenMiB + " iflag=direct status=none) /dev/zero",
                op + " -o " + ((long) offMiB << 20) + " -l " + ((long) lenMiB << 20) + " " + dev,
                "cmp -n " + (lenMiB << 20) + " <(dd if=" + dev + " bs=1M skip=" + offMiB + " count=" + lenMiB + " iflag=direct status=none) /dev/zero",
                "echo zeros");
    }

    @Test
    void discardAndWriteZeroesReadBackZerosOnMem(Guest guest) {
        Ublk.Dev d = Ublk.add(guest, "--backend mem:128M");
        String q = "/sys/block/ublkb" + d.id() + "/queue/";
        assertTrue(Long.parseLong(guest.runOk("cat " + q + "discard_max_bytes").out()) > 0);
        assertTrue(Long.parseLong(guest.runOk("cat " + q + "write_zeroes_max_bytes").out()) > 0);
        assertEquals("zeros", guest.runOk(zeroes(d.path(), 8, 8, "blkdiscard"), Duration.ofMinutes(2)).out());
        assertEquals("zeros", guest.runOk(zeroes(d.path(), 32, 8, "blkdiscard -z"), Duration.ofMinutes(2)).out());
        String state = Ublk.state(guest, d);
        assertTrue(Ublk.longField(state, "discard") > 0, state);
        assertTrue(Ublk.longField(state, "write_zeroes") > 0, "write-zeroes must reach the backend as WRITE_ZEROES: " + state);
        assertEquals(0, Ublk.longField(state, "errors"), state);
        Ublk.del(guest, d);
    }

    @Test
    void writeZeroesReadsBackZerosOnFile(Guest guest) {
        Ublk.Dev d = Ublk.add(guest, "--backend file:/tmp/ublk-flush.img,create=128M");
        assertEquals("zeros", guest.runOk(zeroes(d.path(), 16, 8, "blkdiscard -z"), Duration.ofMinutes(2)).out());
        String state = Ublk.state(guest, d);
        assertTrue(Ublk.longField(state, "write_zeroes") > 0, state);
        Ublk.del(guest, d);
    }

    @Test
    void flushReachesFdatasyncOnFile(Guest guest) {
        Ublk.Dev file = Ublk.add(guest, "--backend file:/tmp/ublk-flush.img,create=64M");
        Ublk.Dev mem = Ublk.add(guest, "--backend mem:64M");
        // file has a volatile cache (the page cache): write back + FUA; mem has none: write through.
        assertEquals("write back", guest.runOk("cat /sys/block/ublkb" + file.id() + "/queue/write_cache").out());
        assertEquals("1", guest.runOk("cat /sys/block/ublkb" + file.id() + "/queue/fua").out());
        assertEquals("write through", guest.runOk("cat /sys/block/ublkb" + mem.id() + "/queue/write_cache").out());
        String trace = guest.runOk(String.join("\n",
                "set -euo pipefail",
                "mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing",
                "T=/sys/kernel/tracing",
                "echo 0 > $T/tracing_on; echo > $T/trace",
                "echo 1 > $T/events/syscalls/sys_enter_fdatasync/enable",
                "echo 1 > $T/tracing_on",
                // conv=fsync: fsync(2) on the block device, which the block layer turns into a FLUSH
                "dd if=/dev/urandom of=" + file.path() + " bs=4k count=16 oflag=direct conv=fsync status=none",
                "echo 0 > $T/tracing_on",
                "echo 0 > $T/events/syscalls/sys_enter_fdatasync/enable",
                "grep sys_fdatasync $T/trace || true"), Duration.ofMinutes(1)).out();
        // The queue thread of the file device (named ublk<id>-q<n>) called fdatasync.
        assertTrue(trace.contains("ublk" + file.id() + "-q"), "no fdatasync from the file device's queue thread:\n" + trace);
        String state = Ublk.state(guest, file);
        assertTrue(Ublk.longField(state, "flush") > 0, state);
        Ublk.del(guest, mem);
        Ublk.del(guest, file);
    }
}
