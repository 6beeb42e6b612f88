package io.tensorplane.it.nvmf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * The Tensorplane NVMe/TCP target ({@code nvmf serve}) used by the Linux kernel's own NVMe/TCP host and nvme-cli in
 * the test bed: discovery, connect, ext4, fio verify at several queue depths and block sizes, header and data digests,
 * several I/O queues, disconnect/reconnect, and keep-alive enforcement against a host that goes silent.
 */
@TestbedTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NvmfKernelHostIT {
    static final String NQN = "nqn.2026-01.io.tensorplane:it";
    static final Duration LONG = Duration.ofMinutes(4);

    @BeforeAll
    static void startTarget(Guest guest) {
        guest.runOk("tp_modprobe nvme-tcp ext4");
        guest.spawn("target", "exec java -Dchronicle.analytics.disable=true -jar \"$TP_JAR\" nvmf serve"
                + " --listen 127.0.0.1:4420 --discovery-port 8009 --metrics-port 9464 --threads 2"
                + " --subsystem " + NQN + " --ns mem:512M");
        // A JVM starting in the emulated guest on a busy machine can take a minute or more.
        guest.runOk("for i in $(seq 600); do grep -q 'serving' \"$TP_SHARE/target.log\" && exit 0; sleep 0.5; done;"
                + " cat \"$TP_SHARE/target.log\"; exit 1", Duration.ofSeconds(330));
    }

    @AfterAll
    static void stopTarget(Guest guest) {
        guest.run("nvme disconnect -n " + NQN + " >/dev/null 2>&1; true");
        String log = guest.stop("target");
        assertTrue(log.contains("nvmf: stopped"), "target did not stop cleanly:\n" + log);
        assertFalse(log.contains("SEVERE") || log.contains("Exception"), "target log shows errors:\n" + log);
    }

    private static String connect(Guest guest, String opts) {
        String dev = guest.runOk("nvme_connect_tcp " + NQN + " 4420 127.0.0.1 " + opts, Duration.ofSeconds(60)).out();
        assertTrue(dev.matches("/dev/nvme\\d+n\\d+"), "not a namespace device: " + dev);
        return dev;
    }

    private static void disconnect(Guest guest) {
        guest.runOk("nvme_disconnect_nqn " + NQN, Duration.ofSeconds(60));
    }

    /** fio randwrite then verify (crc32c) over a small region; asserts no error and that everything was verified. */
    private static void fioVerify(Guest guest, String dev, int qd, String bs, String size) {
        String bsArg = bs.startsWith("bssplit") ? "--" + bs + " --bsrange=512-128k" : "--bs=" + bs;
        ExecResult r = guest.run("fio --name=v --filename=" + dev + " --rw=randwrite " + bsArg + " --iodepth=" + qd
                + " --ioengine=io_uring --direct=1 --size=" + size + " --verify=crc32c --do_verify=1 --verify_fatal=1"
                + " --randrepeat=0 --output-format=terse --terse-version=3", LONG);
        assertEquals(0, r.exitCode(), r.describe("fio verify QD" + qd + " " + bs));
        String[] f = r.lines().get(r.lines().size() - 1).split(";");
        assertEquals("0", f[4], "fio error field: " + r.stdout());
        assertTrue(Long.parseLong(f[5]) > 0, "fio verified nothing: " + r.stdout());
    }

    @Test
    @Order(1)
    void discoveryListsTheSubsystemOnTheIoPortAnd8009(Guest guest) {
        for (String port : new String[] {"4420", "8009"}) {
            ExecResult r = guest.runOk("nvme discover -t tcp -a 127.0.0.1 -s " + port, Duration.ofSeconds(60));
            assertTrue(r.stdout().contains("subnqn:  " + NQN), "port " + port + ":\n" + r.stdout());
            assertTrue(r.stdout().contains("traddr:  127.0.0.1"), r.stdout());
            assertTrue(r.stdout().contains("trsvcid: 4420"), r.stdout());
            assertTrue(r.stdout().contains("Number of Records 1"), r.stdout());
        }
    }

    @Test
    @Order(2)
    void connectGivesTheNamespaceAndExt4IsClean(Guest guest) {
        String dev = connect(guest, "");
        assertEquals(String.valueOf(512L << 20), guest.runOk("blockdev --getsize64 " + dev).out());
        assertTrue(guest.runOk("nvme list").stdout().contains("Tensorplane"));
        guest.runOk("set -e; mkfs.ext4 -q -F " + dev + "; mkdir -p /mnt/tp; mount " + dev + " /mnt/tp;"
                + " for i in $(seq 1 40); do head -c $((i * 37 * 1024)) /dev/urandom > /mnt/tp/f$i; done;"
                + " (cd /mnt/tp && sha256sum f* > /tmp/sums); umount /mnt/tp; echo 3 > /proc/sys/vm/drop_caches;"
                + " fsck.ext4 -f -n " + dev + "; mount " + dev + " /mnt/tp; (cd /mnt/tp && sha256sum -c --quiet /tmp/sums);"
                + " umount /mnt/tp", LONG);
    }

    @Test
    @Order(3)
    void fioVerifyAtQueueDepths1And32And128(Guest guest) {
        String dev = guest.runOk("nvme_ns_of " + NQN).out();
        for (int qd : new int[] {1, 32, 128}) {
            fioVerify(guest, dev, qd, "4k", qd == 1 ? "4M" : "16M");
            fioVerify(guest, dev, qd, "bssplit=512/10:4k/40:16k/20:64k/20:128k/10", qd == 1 ? "8M" : "32M");
        }
    }

    @Test
    @Order(4)
    void disconnectAndConnectAgainKeepsTheData(Guest guest) {
        guest.runOk("nvme_ns_of " + NQN + " > /tmp/dev; dd if=$(cat /tmp/dev) bs=1M count=8 iflag=direct 2>/dev/null"
                + " | sha256sum > /tmp/before");
        disconnect(guest);
        assertFalse(guest.run("nvme_ns_of " + NQN).ok(), "namespace still present after disconnect");
        String dev = connect(guest, "");
        guest.runOk("dd if=" + dev + " bs=1M count=8 iflag=direct 2>/dev/null | sha256sum | cmp - /tmp/before");
    }

    @Test
    @Order(5)
    void digestsAndSeveralIoQueues(Guest guest) {
        disconnect(guest);
        String dev = connect(guest, "-g -G -i 2");
        ExecResult dm = guest.runOk("dmesg | grep -E 'nvme nvme[0-9]+: (creating|mapped)' | tail -2");
        assertTrue(dm.stdout().contains("creating 2 I/O queues"), dm.stdout());
        for (int qd : new int[] {1, 32, 128}) {
            fioVerify(guest, dev, qd, "4k", qd == 1 ? "2M" : "8M");
        }
        fioVerify(guest, dev, 32, "bssplit=512/10:4k/40:16k/20:64k/20:128k/10", "16M");
        // Both I/O queues carry I/O: one fio job per CPU (the host maps each CPU to its own queue), disjoint regions.
        ExecResult two = guest.run("fio --name=q --filename=" + dev + " --rw=randwrite --bs=4k --iodepth=16 --numjobs=2"
                + " --offset_increment=8M"
                + " --cpus_allowed_policy=split --cpus_allowed=0,1 --ioengine=io_uring --direct=1 --size=8M"
                + " --verify=crc32c --do_verify=1 --verify_fatal=1 --output-format=terse --terse-version=3", LONG);
        assertEquals(0, two.exitCode(), two.describe("fio on two CPUs"));
        disconnect(guest);
        connect(guest, "");
    }

    @Test
    @Order(6)
    void aSilentHostIsReleasedAfterItsKeepAliveTimeout(Guest guest) {
        ExecResult p = guest.run("java -Dchronicle.analytics.disable=true -jar \"$TP_JAR\" nvmf probe"
                + " --connect 127.0.0.1:4420 --subsystem " + NQN + " --kato 2000 --wait 20000", Duration.ofSeconds(90));
        assertEquals(0, p.exitCode(), p.describe("silent host probe"));
        assertTrue(p.stdout().contains("target closed the silent connection"), p.stdout());
        String log = guest.log("target");
        assertTrue(log.contains("keep-alive timeout"), log);
        String metrics = guest.runOk("curl -s http://127.0.0.1:9464/metrics").stdout();
        assertTrue(metrics.matches("(?s).*tensorplane_nvmf_keep_alive_timeouts_total [1-9].*"), metrics);
        // The kernel host, which does send keep-alives, is still connected and working.
        String dev = guest.runOk("nvme_ns_of " + NQN).out();
        guest.runOk("dd if=" + dev + " of=/dev/null bs=4k count=16 iflag=direct");
    }
}
