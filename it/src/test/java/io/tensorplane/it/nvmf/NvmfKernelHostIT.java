package io.tensorplane.it.nvmf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.KernelIndependent;
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
 * several I/O queues, disconnect/reconnect, and keep-alive enforcement against a host that goes silent. A second
 * target serves namespaces on the file backend (a regular file on ext4, a block device, a file on a file system
 * that fills up): the same fio verify, ext4 with fstrim freeing space in the backing file, and ENOSPC at the host.
 */
@TestbedTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NvmfKernelHostIT {
    static final String NQN = "nqn.2026-01.io.tensorplane:it";
    static final String FILES = "nqn.2026-01.io.tensorplane:files";
    static final Duration LONG = Duration.ofMinutes(4);

    @BeforeAll
    static void startTarget(Guest guest) {
        guest.runOk("tp_modprobe nvme-tcp ext4 && nullb_create tpnvme 512 4096 && nullb_create tpext4 400 512 && fs_mount ext4 /dev/tpext4 /mnt/backing"
                + " && image_mount ext4 /mnt/small 48", Duration.ofMinutes(2));
        guest.spawn("target", "exec java -Dchronicle.analytics.disable=true -jar \"$TP_JAR\" nvmf serve"
                + " --listen 127.0.0.1:4420 --discovery-port 8009 --metrics-port 9464 --threads 2"
                + " --subsystem " + NQN + " --ns mem:512M");
        guest.spawn("files", "exec java -Dchronicle.analytics.disable=true -jar \"$TP_JAR\" nvmf serve"
                + " --listen 127.0.0.1:4421 --threads 2 --subsystem " + FILES
                + " --ns file:/mnt/backing/nvmf.img,create=256M,direct --ns file:/dev/tpnvme --ns file:/mnt/small/full.img,create=128M");
        // A JVM starting in the emulated guest on a busy machine can take a minute or more.
        for (String name : new String[] {"target", "files"}) {
            guest.runOk("for i in $(seq 600); do grep -q 'serving' \"$TP_SHARE/" + name + ".log\" && exit 0; sleep 0.5; done;"
                    + " cat \"$TP_SHARE/" + name + ".log\"; exit 1", Duration.ofSeconds(330));
        }
    }

    @AfterAll
    static void stopTarget(Guest guest) {
        guest.run("nvme disconnect -n " + NQN + " >/dev/null 2>&1; nvme disconnect -n " + FILES + " >/dev/null 2>&1; true");
        for (String name : new String[] {"target", "files"}) {
            String log = guest.stop(name);
            assertTrue(log.contains("nvmf: stopped"), name + " did not stop cleanly:\n" + log);
            assertFalse(log.contains("SEVERE") || log.contains("Exception"), name + " log shows errors:\n" + log);
        }
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
        // fio aligns offsets to the smallest size of --bsrange: the smallest of the split, so that a namespace with
        // 4096-byte blocks gets only aligned I/O (a misaligned O_DIRECT write fails in the host with EINVAL).
        String bsArg = bs.startsWith("bssplit") ? "--" + bs + " --bsrange=" + bs.substring(8, bs.indexOf('/')) + "-128k" : "--bs=" + bs;
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
    @KernelIndependent // the target side; 6.12's host connects, verifies and digests in the tests kept there
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
            fioVerify(guest, dev, qd, "4k", qd == 1 ? "2M" : "8M");
            fioVerify(guest, dev, qd, "bssplit=512/10:4k/40:16k/20:64k/20:128k/10", qd == 1 ? "4M" : "16M");
        }
    }

    /**
     * No MDTS, as nvmet: the host's transfer limit is its own, a 1025-sector passthrough write (which the old 512 KiB
     * default refused) and its read come back equal, and fio verify with 2 MiB blocks (split by the host's block
     * layer, moved by the target in 512 KiB pieces) is clean.
     */
    @Test
    @Order(4)
    @KernelIndependent // the target side; 6.12's host connects, verifies and digests in the tests kept there
    void largeCommandsAsNvmetServesThem(Guest guest) {
        String dev = guest.runOk("nvme_ns_of " + NQN).out();
        String kb = guest.runOk("cat /sys/block/" + dev.substring(5) + "/queue/max_hw_sectors_kb").out();
        assertTrue(Long.parseLong(kb) > 512, "host transfer limit " + kb + " KiB: the target still advertises an MDTS");
        guest.runOk("set -e; bs=$(blockdev --getss " + dev + "); z=$((1025 * bs)); head -c $z /dev/urandom > /tmp/big;"
                + " nvme write " + dev + " -s 2048 -c 1024 -z $z -d /tmp/big; nvme read " + dev + " -s 2048 -c 1024 -z $z"
                + " -d /tmp/back; cmp /tmp/big /tmp/back", LONG);
        fioVerify(guest, dev, 4, "2m", "16M");
    }

    @Test
    @Order(5)
    @KernelIndependent // the target side; 6.12's host connects, verifies and digests in the tests kept there
    void disconnectAndConnectAgainKeepsTheData(Guest guest) {
        guest.runOk("nvme_ns_of " + NQN + " > /tmp/dev; dd if=$(cat /tmp/dev) bs=1M count=8 iflag=direct 2>/dev/null"
                + " | sha256sum > /tmp/before");
        disconnect(guest);
        assertFalse(guest.run("nvme_ns_of " + NQN).ok(), "namespace still present after disconnect");
        String dev = connect(guest, "");
        guest.runOk("dd if=" + dev + " bs=1M count=8 iflag=direct 2>/dev/null | sha256sum | cmp - /tmp/before");
    }

    @Test
    @Order(6)
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
    @Order(7)
    @KernelIndependent // the silent host is Tensorplane's own probe, not the kernel's
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

    /**
     * Namespaces on the file backend, seen by the kernel host: a regular file on ext4 (O_DIRECT) and a block device
     * (the block device's 4 KiB logical blocks become the namespace's LBA size); fio verify on both, ext4 whose
     * fstrim frees space in the backing file, and a file system that fills up: the host gets ENOSPC.
     */
    @Test
    @Order(8)
    @KernelIndependent // the host side is the same as above; ublk's file rows run on both kernels
    void fileNamespacesOnAFileABlockDeviceAndAFullFileSystem(Guest guest) {
        guest.runOk("nvme connect -t tcp -a 127.0.0.1 -s 4421 -n " + FILES, Duration.ofSeconds(60));
        String[] ns = guest.runOk("for i in $(seq 100); do [ $(nvme_nses_of " + FILES + " | wc -l) -eq 3 ] && break; sleep 0.2; done;"
                + " nvme_nses_of " + FILES).out().split("\n");
        assertEquals(3, ns.length, String.join(" ", ns));
        String fileDev = ns[0];
        String blockDev = ns[1];
        String fullDev = ns[2];
        guest.runOk("test -b " + fileDev + " && test -b " + blockDev + " && test -b " + fullDev);
        assertEquals("4096", guest.runOk("cat /sys/block/" + blockDev.substring(5) + "/queue/logical_block_size").out(),
                "the block device's own block size");
        assertTrue(Long.parseLong(guest.runOk("cat /sys/block/" + fileDev.substring(5) + "/queue/discard_max_bytes").out()) > 0,
                "every namespace can discard, so Dataset Management is advertised");
        for (String dev : new String[] {fileDev, blockDev}) {
            for (int qd : new int[] {1, 32, 128}) {
                fioVerify(guest, dev, qd, "4k", qd == 1 ? "2M" : "8M");
                fioVerify(guest, dev, qd, "bssplit=4k/40:16k/20:64k/30:128k/10", qd == 1 ? "4M" : "16M");
            }
        }
        String trim = guest.runOk(String.join("\n",
                "set -euo pipefail",
                "mkfs.ext4 -q -F " + fileDev + " && mkdir -p /mnt/nv && mount " + fileDev + " /mnt/nv",
                "head -c 96M /dev/urandom > /mnt/nv/big && sha256sum /mnt/nv/big > /tmp/nvsum && sync",
                "before=$(stat -c %b /mnt/backing/nvmf.img)",
                "rm /mnt/nv/big && sync && fstrim /mnt/nv",
                "after=$(stat -c %b /mnt/backing/nvmf.img)",
                "umount /mnt/nv && fsck.ext4 -f -n " + fileDev + " >/dev/null",
                "echo $before $after"), LONG).out();
        String[] blocks = trim.split(" ");
        long freed = (Long.parseLong(blocks[0]) - Long.parseLong(blocks[1])) * 512;
        assertTrue(freed >= 64L << 20, "fstrim through NVMe/TCP freed " + freed + " bytes of the backing file (" + trim + ")");
        ExecResult full = guest.run("dd if=/dev/urandom of=" + fullDev + " bs=1M count=100 oflag=direct status=none", LONG);
        assertTrue(full.exitCode() != 0 && full.stderr().contains("No space left on device"),
                "a write past the backing file system's capacity reaches the host as ENOSPC: " + full);
        guest.runOk("dd if=" + fullDev + " of=/dev/null bs=1M count=8 iflag=direct status=none");
        guest.runOk("nvme disconnect -n " + FILES, Duration.ofSeconds(60));
    }
}
