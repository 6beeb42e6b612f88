package io.tensorplane.it.smoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.TestbedTest;
import org.junit.jupiter.api.Test;

/** The kernel in the bed has what the project needs: ublk, null_blk, the NVMe/TCP host and target. */
@TestbedTest
class KernelModulesIT {

    @Test
    void ublkDriverLoadsAndCreatesItsControlDevice(Guest guest) {
        guest.runOk("tp_modprobe ublk_drv && wait_for_path /dev/ublk-control 5");
        assertEquals("c", guest.runOk("stat -c %F /dev/ublk-control | cut -c1-9 | sed 's/character/c/'").out());
    }

    @Test
    void nullBlkLoadsAndGivesABlockDevice(Guest guest) {
        guest.runOk("nullb_load 1");
        assertEquals(String.valueOf(1L << 30), guest.runOk("blockdev --getsize64 /dev/nullb0").out());
    }

    @Test
    void nvmeTcpHostAndTargetLoad(Guest guest) {
        guest.runOk("tp_modprobe nvme-tcp nvmet nvmet-tcp");
        String mods = guest.runOk("cut -d' ' -f1 /proc/modules").out();
        for (String m : new String[] {"nvme_tcp", "nvme_fabrics", "nvmet", "nvmet_tcp"}) {
            assertTrue(mods.lines().anyMatch(m::equals), m + " not loaded; loaded: " + mods.replace('\n', ' '));
        }
    }
}
