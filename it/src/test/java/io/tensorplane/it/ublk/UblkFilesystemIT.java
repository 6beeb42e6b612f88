package io.tensorplane.it.ublk;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.TestbedTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ext4 and XFS live on a ublk device served by the file backend: at least 200 MiB of files with known
 * checksums survive sync, unmount, the file system's own checker and a remount with cold caches. ext4 sits
 * on a regular file (O_DIRECT, itself on ext4), XFS on a block device with 4 KiB logical blocks, whose block
 * size the server takes from the device.
 */
@TestbedTest
class UblkFilesystemIT {

    @BeforeAll
    static void driver(Guest guest) {
        Ublk.loadDriver(guest);
        guest.runOk("tp_modprobe ext4 xfs && nullb_create tpfs 640 4096 && nullb_create tpext4 800 512 && fs_mount ext4 /dev/tpext4 /mnt/backing",
                Duration.ofMinutes(2));
    }

    @AfterEach
    void cleanUp(Guest guest) {
        Ublk.cleanUp(guest);
    }

    /** Fills the mounted file system, checks it offline, remounts and compares checksums. */
    private static String roundTrip(String dev, String mkfs, String check) {
        return String.join("\n",
                "set -euo pipefail",
                "dev=" + dev,
                mkfs + " $dev >/dev/null",
                "mkdir -p /mnt/ublk && mount $dev /mnt/ublk",
                "mkdir -p /mnt/ublk/a/b",
                // 10 x 21 MiB of random data plus some small files: 210+ MiB
                "for i in $(seq 1 10); do head -c 21M /dev/urandom > /mnt/ublk/big$i; done",
                "for i in $(seq 1 200); do head -c $((i * 517)) /dev/urandom > /mnt/ublk/a/b/small$i; done",
                "(cd /mnt/ublk && find . -type f | sort | xargs sha256sum) > /tmp/sums",
                "test $(du -sm /mnt/ublk | cut -f1) -ge 200",
                "sync",
                "umount /mnt/ublk",
                check + " $dev",
                "echo 3 > /proc/sys/vm/drop_caches",
                "mount $dev /mnt/ublk",
                "(cd /mnt/ublk && sha256sum --quiet -c /tmp/sums)",
                "test $(wc -l < /tmp/sums) -eq 210",
                "umount /mnt/ublk",
                "echo verified");
    }

    @Test
    void ext4OnAFileSurvivesFsckAndRemount(Guest guest) {
        Ublk.Dev d = Ublk.add(guest, "--backend file:/mnt/backing/ext4.img,create=640M,direct --queues 2");
        String out = guest.runOk(roundTrip(d.path(), "mkfs.ext4 -q -F", "fsck.ext4 -fn"), Duration.ofMinutes(6)).out();
        assertTrue(out.endsWith("verified"), out);
        Ublk.del(guest, d);
    }

    @Test
    void xfsOnABlockDeviceSurvivesRepairCheckAndRemount(Guest guest) {
        Ublk.Dev d = Ublk.add(guest, "--backend file:/dev/tpfs");
        // no --block-size, no bs=: the 4 KiB comes from the null_blk disk itself
        guest.runOk("test $(cat /sys/block/ublkb" + d.id() + "/queue/logical_block_size) -eq 4096");
        String out = guest.runOk(roundTrip(d.path(), "mkfs.xfs -q -f", "xfs_repair -n"), Duration.ofMinutes(6)).out();
        assertTrue(out.endsWith("verified"), out);
        Ublk.del(guest, d);
    }
}
