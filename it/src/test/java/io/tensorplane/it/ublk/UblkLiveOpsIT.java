package io.tensorplane.it.ublk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.TestbedTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Live operations on a mounted ext4 (Linux 7.3; on 6.12 they are refused with one line, see UblkLifecycleIT):
 * 'ublk del' refuses a device in use (SAFE_STOP_DEV) and removes it at once when it is not; 'ublk resize' grows a
 * live device (UPDATE_SIZE) and resize2fs grows the mounted ext4 on it; 'ublk upgrade' replaces the server with a new
 * process (QUIESCE + user recovery) under a fio verify workload, nothing lost, fsck clean. The backend is a file
 * (zero copy) on ext4 over a null_blk disk.
 */
@TestbedTest
class UblkLiveOpsIT {

    @BeforeAll
    static void setUp(Guest guest) {
        Ublk.loadDriver(guest);
        guest.runOk("tp_modprobe ext4 && nullb_create tplive 1200 512 && fs_mount ext4 /dev/tplive /mnt/backing", Duration.ofMinutes(2));
    }

    @AfterEach
    void cleanUp(Guest guest) {
        Ublk.cleanUp(guest);
        guest.run("rm -f /mnt/backing/*.img");
    }

    private static Ublk.Dev mounted(Guest guest, String image, String size, String more) {
        Ublk.Dev d = Ublk.add(guest, "--backend file:/mnt/backing/" + image + ",create=" + size + ",direct " + more);
        assertEquals("zero", Ublk.strField(d.json(), "copy"), d.json());
        guest.runOk("mkfs.ext4 -q -F " + d.path() + " && mkdir -p /mnt/ublk && mount " + d.path() + " /mnt/ublk", Duration.ofMinutes(2));
        return d;
    }

    @Test
    void delRefusesAMountedDeviceAndRemovesItOnceUnmounted(Guest guest) {
        Ublk.Dev d = mounted(guest, "del.img", "128M", "");
        ExecResult r = Ublk.tp(guest, "ublk del --id " + d.id(), Duration.ofSeconds(60));
        Ublk.assertOneLineError(r, "ublk device " + d.id() + " is in use (mounted, or open by a process)");
        assertTrue(r.elapsed().toSeconds() < 30, "refused at once, not after a wait: " + r);
        // the file system goes on as if nothing happened
        guest.runOk("head -c 4M /dev/urandom > /mnt/ublk/f && sync && test $(stat -c %s /mnt/ublk/f) -eq 4194304");
        guest.runOk("umount /mnt/ublk");
        Ublk.del(guest, d);
    }

    @Test
    void resizeGrowsTheDeviceAndResize2fsTheMountedExt4(Guest guest) {
        Ublk.Dev d = mounted(guest, "grow.img", "256M", "");
        guest.runOk("head -c 32M /dev/urandom > /mnt/ublk/before && sha256sum /mnt/ublk/before > /tmp/before.sum", Duration.ofMinutes(1));
        Ublk.assertOneLineError(Ublk.tp(guest, "ublk resize --id " + d.id() + " --size 128M", Duration.ofSeconds(60)), "only grows");
        String out = Ublk.tp(guest, "ublk resize --id " + d.id() + " --size 640M", Duration.ofSeconds(60)).assertOk().out();
        assertTrue(out.contains("is now 671088640 bytes"), out);
        guest.runOk("test $(blockdev --getsize64 " + d.path() + ") -eq 671088640 && test $(stat -c %s /mnt/backing/grow.img) -eq 671088640");
        guest.runOk("resize2fs " + d.path(), Duration.ofMinutes(2));
        // more than the old size now fits: 400 MiB allocated on a file system that had 256 MiB
        guest.runOk("test $(df -m --output=size /mnt/ublk | tail -1) -gt 600 && fallocate -l 400M /mnt/ublk/after"
                + " && head -c 16M /dev/urandom | dd of=/mnt/ublk/after bs=1M seek=380 conv=notrunc status=none && sync", Duration.ofMinutes(2));
        String list = Ublk.tp(guest, "ublk list --json", Duration.ofSeconds(60)).assertOk().out();
        assertTrue(list.contains("\"size_bytes\" : 671088640"), list);
        guest.runOk("umount /mnt/ublk && fsck.ext4 -fn " + d.path() + " && mount " + d.path() + " /mnt/ublk && sha256sum -c --quiet /tmp/before.sum"
                + " && umount /mnt/ublk", Duration.ofMinutes(2));
        Ublk.del(guest, d);
    }

    @Test
    void upgradeReplacesTheServerUnderFioVerifyWithExt4Mounted(Guest guest) {
        Ublk.Dev d = mounted(guest, "up.img", "384M", "--recoverable");
        guest.runOk("head -c 16M /dev/urandom > /mnt/ublk/before && sha256sum /mnt/ublk/before > /tmp/before.sum", Duration.ofMinutes(1));
        // fio writes and verifies files on the mounted ext4 for the whole time; the upgrade comes in the middle
        String fio = "fio --name=up --directory=/mnt/ublk --ioengine=io_uring --direct=1 --rw=randwrite --bs=4k --iodepth=16"
                + " --size=48M --loops=3 --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 --output=/tmp/up.out";
        String out = guest.runOk(String.join("\n",
                "(" + fio + "; echo $? > /tmp/fio.rc) > /dev/null 2>&1 < /dev/null & fio=$!",
                "sleep 5",
                "kill -0 $fio || { echo 'fio ended early'; cat /tmp/up.out; exit 1; }",
                Ublk.TP + " ublk upgrade --id " + d.id() + " > /tmp/upgrade.json || { echo 'upgrade failed'; exit 1; }",
                "kill -0 $fio && echo 'fio still running after the upgrade'",
                "cat /tmp/upgrade.json",
                "wait $fio; echo \"fio=$(cat /tmp/fio.rc)\"; tail -5 /tmp/up.out"),
                Duration.ofMinutes(8)).out();
        assertTrue(out.contains("fio still running after the upgrade"), out);
        assertTrue(out.contains("fio=0"), "fio verify saw an error: " + out);
        int newPid = Ublk.intField(out, "pid");
        assertNotEquals(d.pid(), newPid, out);
        guest.runOk("! kill -0 " + d.pid() + " 2>/dev/null");
        String list = Ublk.tp(guest, "ublk list", Duration.ofSeconds(60)).assertOk().out();
        assertTrue(list.contains("LIVE") && list.contains(String.valueOf(newPid)) && list.contains(" zero "), list);
        // no I/O error reached the file system, and the disk is consistent
        guest.runOk("! dmesg | grep -E 'ublkb" + d.id() + ".*(I/O error|error)|EXT4-fs error'");
        guest.runOk("sha256sum -c --quiet /tmp/before.sum && umount /mnt/ublk && fsck.ext4 -fn " + d.path(), Duration.ofMinutes(2));
        Ublk.del(guest, new Ublk.Dev(d.id(), d.path(), newPid, d.queues(), out));
    }
}
