package io.tensorplane.it.smoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.TestbedTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The kernel's own NVMe/TCP target (configfs, set up by guest-lib.sh's kernel_nvmet_start) on 127.0.0.1:4420 with a
 * null_blk namespace is discovered and connected by the kernel's NVMe/TCP host, and fio reads the namespace.
 */
@TestbedTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KernelNvmeTcpIT {

    private static final String NQN = "nqn.2026-01.io.tensorplane:smoke";

    @BeforeAll
    static void startTarget(Guest guest) {
        guest.runOk("nullb_load 1 && kernel_nvmet_start " + NQN + " /dev/nullb0 4420 127.0.0.1");
    }

    @AfterAll
    static void stopTarget(Guest guest) {
        guest.run("nvme disconnect -n " + NQN + " >/dev/null 2>&1; kernel_nvmet_stop " + NQN + " 4420");
    }

    @Test
    @Order(1)
    void discoveryListsTheSubsystem(Guest guest) {
        ExecResult r = guest.runOk("tp_modprobe nvme-tcp && nvme discover -t tcp -a 127.0.0.1 -s 4420", Duration.ofSeconds(30));
        assertTrue(r.stdout().contains("subnqn:  " + NQN) || r.stdout().contains(NQN), "subsystem not discovered:\n" + r.stdout());
        assertTrue(r.stdout().contains("trtype:  tcp"), r.stdout());
    }

    @Test
    @Order(2)
    void connectGivesANamespaceThatFioReads(Guest guest) {
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
}
