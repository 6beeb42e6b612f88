package io.tensorplane.it.ublk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.TestbedTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a backend can and cannot do reaches the kernel, and its faults reach the application as the right
 * error while the server stays up:
 * <ul>
 * <li>DISCARD and WRITE_ZEROES reach the backend and read back as zeros; on the file backend, fstrim frees
 *     space in the backing file and a FLUSH reaches the disk under it;</li>
 * <li>a file system that cannot punch holes gets a disk without discard;</li>
 * <li>a full file system fails writes with ENOSPC, a read-only one gives a read-only disk, a backing file
 *     that shrinks fails reads past its end, a backing device that vanishes fails I/O without a hang.</li>
 * </ul>
 */
@TestbedTest
class UblkBackendIT {

    @BeforeAll
    static void driver(Guest guest) {
        Ublk.loadDriver(guest);
        guest.runOk("tp_modprobe ext4 vfat && image_mount ext4 /mnt/backing 400", Duration.ofMinutes(2));
    }

    @AfterEach
    void cleanUp(Guest guest) {
        Ublk.cleanUp(guest);
        guest.run("umount /mnt/ublk 2>/dev/null; image_umount /mnt/small; image_umount /mnt/vfat; nullb_remove tpgone;"
                + " rm -f /mnt/backing/*.img /tmp/shrink.img; true");
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
        assertEquals("write through", guest.runOk("cat " + q + "write_cache").out(), "mem has no volatile cache");
        assertEquals("zeros", guest.runOk(zeroes(d.path(), 8, 8, "blkdiscard"), Duration.ofMinutes(2)).out());
        assertEquals("zeros", guest.runOk(zeroes(d.path(), 32, 8, "blkdiscard -z"), Duration.ofMinutes(2)).out());
        String state = Ublk.state(guest, d);
        assertTrue(Ublk.longField(state, "discard") > 0, state);
        assertTrue(Ublk.longField(state, "write_zeroes") > 0, "write-zeroes must reach the backend as WRITE_ZEROES: " + state);
        assertEquals(0, Ublk.longField(state, "errors"), state);
        Ublk.del(guest, d);
    }

    /**
     * A regular file on ext4 (itself on a loop device): write-zeroes reads back zeros, fstrim on the ext4 of
     * the ublk disk frees blocks of the backing file, and an fsync of the ublk disk becomes a FLUSH of the
     * disk under the backing file (the block layer's own tracepoint on the loop device, no strace).
     */
    @Test
    void onAFileTrimFreesBackingSpaceAndFlushReachesTheDisk(Guest guest) {
        Ublk.Dev d = Ublk.add(guest, "--backend file:/mnt/backing/trim.img,create=256M,direct");
        String q = "/sys/block/ublkb" + d.id() + "/queue/";
        assertTrue(d.json().contains("\"discard\":true"), d.json());
        assertTrue(Long.parseLong(guest.runOk("cat " + q + "discard_max_bytes").out()) > 0, "ext4 punches holes: discard");
        assertEquals("write back", guest.runOk("cat " + q + "write_cache").out(), "the page cache and the disk's cache");
        assertEquals("1", guest.runOk("cat " + q + "fua").out());
        assertEquals("zeros", guest.runOk(zeroes(d.path(), 16, 8, "blkdiscard -z"), Duration.ofMinutes(2)).out());

        String trim = guest.runOk(String.join("\n",
                "set -euo pipefail",
                "mkfs.ext4 -q -F " + d.path() + " && mkdir -p /mnt/ublk && mount " + d.path() + " /mnt/ublk",
                "head -c 96M /dev/urandom > /mnt/ublk/big && sync",
                "before=$(stat -c %b /mnt/backing/trim.img)",
                "rm /mnt/ublk/big && sync && fstrim /mnt/ublk",
                "after=$(stat -c %b /mnt/backing/trim.img)",
                "umount /mnt/ublk",
                "echo $before $after"), Duration.ofMinutes(3)).out();
        String[] blocks = trim.split(" ");
        long freed = (Long.parseLong(blocks[0]) - Long.parseLong(blocks[1])) * 512;
        assertTrue(freed >= 64L << 20, "fstrim freed " + freed + " bytes of the backing file (" + trim + " 512-byte blocks)");

        String loop = guest.runOk("basename $(findmnt -n -o SOURCE /mnt/backing)").out();
        String trace = guest.runOk(String.join("\n",
                "set -euo pipefail",
                "mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing",
                "T=/sys/kernel/tracing",
                "echo 0 > $T/tracing_on; echo > $T/trace",
                "echo 1 > $T/events/block/block_rq_issue/enable",
                "echo 1 > $T/tracing_on",
                // conv=fsync: fsync(2) of the ublk disk, which the block layer turns into a FLUSH for the server
                "dd if=/dev/urandom of=" + d.path() + " bs=4k count=16 oflag=direct conv=fsync status=none",
                "echo 0 > $T/tracing_on",
                "echo 0 > $T/events/block/block_rq_issue/enable",
                "cat $T/trace"), Duration.ofMinutes(1)).out();
        // block_rq_issue lines carry the device as major,minor and the request flags (rwbs): 'F' is a flush
        String dev = guest.runOk("cat /sys/block/" + loop + "/dev | tr : ,").out();
        assertTrue(trace.lines().anyMatch(l -> l.contains(" " + dev + " F")),
                "no FLUSH issued to " + loop + " (" + dev + ") under the backing file:\n" + trace);
        String state = Ublk.state(guest, d);
        assertTrue(Ublk.longField(state, "flush") > 0, state);
        assertEquals(0, Ublk.longField(state, "errors"), state);
        Ublk.del(guest, d);
    }

    /** vfat cannot punch holes: the disk offers no discard, instead of accepting and ignoring it. */
    @Test
    void aFileSystemThatCannotPunchHolesGivesADiskWithoutDiscard(Guest guest) {
        guest.runOk("image_mount vfat /mnt/vfat 128", Duration.ofMinutes(1));
        Ublk.Dev d = Ublk.add(guest, "--backend file:/mnt/vfat/d.img,create=64M");
        assertTrue(d.json().contains("\"discard\":false"), d.json());
        assertEquals("0", guest.runOk("cat /sys/block/ublkb" + d.id() + "/queue/discard_max_bytes").out());
        ExecResult r = guest.run("blkdiscard -o 0 -l 1048576 " + d.path());
        assertTrue(r.exitCode() != 0, "blkdiscard on a disk without discard must fail: " + r);
        assertEquals("zeros", guest.runOk(zeroes(d.path(), 8, 4, "blkdiscard -z"), Duration.ofMinutes(2)).out(),
                "write-zeroes still works (written zeros)");
        Ublk.del(guest, d);
    }

    /** The backing file system fills up: writes fail with ENOSPC at the application, reads go on, the server stays. */
    @Test
    void aFullFileSystemFailsWritesWithEnospcAndAReadOnlyOneGivesAReadOnlyDisk(Guest guest) {
        guest.runOk("image_mount ext4 /mnt/small 48", Duration.ofMinutes(1));
        Ublk.Dev d = Ublk.add(guest, "--backend file:/mnt/small/d.img,create=128M,direct");
        guest.runOk("dd if=/dev/urandom of=" + d.path() + " bs=1M count=8 oflag=direct status=none && sync");
        guest.runOk("dd if=" + d.path() + " bs=1M count=8 iflag=direct status=none | sha256sum > /tmp/first8");
        ExecResult full = guest.run("dd if=/dev/urandom of=" + d.path() + " bs=1M seek=8 count=100 oflag=direct status=none",
                Duration.ofMinutes(2));
        assertTrue(full.exitCode() != 0 && full.stderr().contains("No space left on device"),
                "a write past the backing file system's capacity: " + full);
        guest.runOk("dd if=" + d.path() + " bs=1M count=8 iflag=direct status=none | sha256sum | cmp - /tmp/first8");
        assertTrue(Ublk.longField(Ublk.state(guest, d), "errors") > 0);
        assertTrue(Ublk.tp(guest, "ublk list", Duration.ofSeconds(60)).assertOk().out().contains(d.path()), "the server is still up");
        Ublk.del(guest, d);

        // The same file on the same file system, mounted read-only: the disk is read-only, and reads work.
        guest.runOk("mount -o remount,ro /mnt/small");
        Ublk.Dev ro = Ublk.add(guest, "--backend file:/mnt/small/d.img,direct");
        assertTrue(ro.json().contains("\"read_only\":true"), ro.json());
        assertEquals("1", guest.runOk("cat /sys/block/ublkb" + ro.id() + "/ro").out());
        guest.runOk("dd if=" + ro.path() + " bs=1M count=8 iflag=direct status=none | sha256sum | cmp - /tmp/first8");
        ExecResult w = guest.run("dd if=/dev/zero of=" + ro.path() + " bs=4k count=1 oflag=direct status=none");
        assertTrue(w.exitCode() != 0, "a write to a read-only disk must fail: " + w);
        Ublk.del(guest, ro);
    }

    /** Someone truncates the backing file: reads past its new end fail with EIO, the rest is served, nothing hangs. */
    @Test
    void aBackingFileThatShrinksFailsReadsPastItsEnd(Guest guest) {
        Ublk.Dev d = Ublk.add(guest, "--backend file:/tmp/shrink.img,create=64M");
        guest.runOk("dd if=/dev/urandom of=" + d.path() + " bs=1M count=64 oflag=direct status=none");
        guest.runOk("truncate -s 16M /tmp/shrink.img");
        ExecResult past = guest.run("dd if=" + d.path() + " of=/dev/null bs=1M skip=32 count=1 iflag=direct status=none",
                Duration.ofSeconds(60));
        assertTrue(past.exitCode() != 0 && past.stderr().contains("Input/output error"), "a read past the new end: " + past);
        guest.runOk("dd if=" + d.path() + " of=/dev/null bs=1M count=8 iflag=direct status=none");
        guest.runOk("test -e " + d.path());
        Ublk.del(guest, d);
    }

    /** The backing block device vanishes (powered off under the server): I/O fails, no hang, and the disk can be removed. */
    @Test
    void aBackingDeviceThatVanishesFailsIoWithoutAHang(Guest guest) {
        guest.runOk("nullb_create tpgone 64 4096", Duration.ofSeconds(60));
        Ublk.Dev d = Ublk.add(guest, "--backend file:/dev/tpgone");
        guest.runOk("dd if=/dev/urandom of=" + d.path() + " bs=1M count=4 oflag=direct status=none");
        guest.runOk("nullb_remove tpgone", Duration.ofSeconds(60));
        ExecResult r = guest.run("dd if=" + d.path() + " of=/dev/null bs=4k count=4 skip=100 iflag=direct status=none;"
                + " dd if=/dev/zero of=" + d.path() + " bs=4k count=4 seek=200 oflag=direct status=none", Duration.ofSeconds(90));
        assertTrue(r.exitCode() != 0 && r.stderr().contains("Input/output error"), "I/O on a vanished backing device: " + r);
        assertFalse(r.exitCode() == 124, "I/O on a vanished backing device hung: " + r);
        Ublk.del(guest, d);
    }
}
