package io.tensorplane.it.smoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.Testbed;
import io.tensorplane.it.bed.TestbedTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The kernel in the bed has what the project needs (issue 3, item 4): ublk_drv with /dev/ublk-control; null_blk;
 * the NVMe/TCP host and target; and the kernel's own NVMe/TCP target (configfs, guest-lib.sh's kernel_nvmet_start) on
 * 127.0.0.1:4420 with a null_blk namespace is discovered and connected by the kernel's host, and fio reads the
 * namespace. One guest for all of it (a boot costs 10-20 s under emulation).
 */
@TestbedTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KernelSmokeIT {

    private static final String NQN = "nqn.2026-01.io.tensorplane:smoke";

    @Test
    @Order(0)
    void theGuestRunsTheKernelSeriesTheClassAsksFor(Guest guest) {
        String release = guest.runOk("uname -r").out();
        assertEquals(guest.kernelRelease(), release);
        if (guest.mode() == Testbed.Mode.VM) {
            TestbedTest t = getClass().getAnnotation(TestbedTest.class);
            assertEquals(Testbed.kernelSeries(t.kernel()), guest.kernelSeries(), release);
            assertTrue(release.startsWith(guest.kernelSeries() + "."), release);
        }
    }

    @Test
    @Order(1)
    void ublkDriverLoadsAndCreatesItsControlDevice(Guest guest) {
        guest.runOk("tp_modprobe ublk_drv && wait_for_path /dev/ublk-control 5");
        assertEquals("character special file", guest.runOk("stat -c %F /dev/ublk-control").out());
    }

    @Test
    @Order(2)
    void nullBlkLoadsAndGivesABlockDevice(Guest guest) {
        guest.runOk("nullb_load 1");
        assertEquals(String.valueOf(1L << 30), guest.runOk("blockdev --getsize64 /dev/nullb0").out());
    }

    @Test
    @Order(3)
    void nvmeTcpHostAndTargetLoad(Guest guest) {
        guest.runOk("tp_modprobe nvme-tcp nvmet nvmet-tcp");
        String mods = guest.runOk("cut -d' ' -f1 /proc/modules").out();
        for (String m : new String[] {"nvme_tcp", "nvme_fabrics", "nvmet", "nvmet_tcp"}) {
            assertTrue(mods.lines().anyMatch(m::equals), m + " not loaded; loaded: " + mods.replace('\n', ' '));
        }
    }

    @Test
    @Order(4)
    void kernelTargetIsDiscoveredOnLoopback(Guest guest) {
        guest.runOk("nullb_load 1 && kernel_nvmet_start " + NQN + " /dev/nullb0 4420 127.0.0.1");
        ExecResult r = guest.runOk("tp_modprobe nvme-tcp && nvme discover -t tcp -a 127.0.0.1 -s 4420", Duration.ofSeconds(30));
        assertTrue(r.stdout().contains("subnqn:  " + NQN), "subsystem not discovered:\n" + r.stdout());
        assertTrue(r.stdout().contains("trtype:  tcp"), r.stdout());
    }

    @Test
    @Order(5)
    void connectGivesANamespaceThatFioReads(Guest guest) {
        guest.runOk("test -d /sys/kernel/config/nvmet/subsystems/" + NQN + " || kernel_nvmet_start " + NQN + " /dev/nullb0 4420 127.0.0.1");
        String dev = guest.runOk("nvme_connect_tcp " + NQN + " 4420 127.0.0.1", Duration.ofSeconds(30)).out();
        assertTrue(dev.matches("/dev/nvme\\d+n\\d+"), "not a namespace device: " + dev);
        assertEquals(String.valueOf(1L << 30), guest.runOk("blockdev --getsize64 " + dev).out());
        ExecResult fio = guest.runOk("fio --name=smoke --filename=" + dev + " --rw=randread --bs=4k --iodepth=8"
                + " --ioengine=io_uring --direct=1 --size=64M --io_size=16M --output-format=terse --terse-version=3",
                Duration.ofSeconds(60));
        String[] f = fio.lines().get(fio.lines().size() - 1).split(";");
        assertEquals("0", f[4], "fio error: " + fio.stdout());
        assertEquals(16L * 1024, Long.parseLong(f[5]), "fio read KiB: " + fio.stdout());
        guest.runOk("nvme_disconnect_nqn " + NQN);
    }

    @AfterAll
    static void stopTarget(Guest guest) {
        guest.run("nvme disconnect -n " + NQN + " >/dev/null 2>&1; kernel_nvmet_stop " + NQN + " 4420");
    }
}
