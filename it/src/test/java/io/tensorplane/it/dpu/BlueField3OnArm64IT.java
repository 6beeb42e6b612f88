package io.tensorplane.it.dpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.TestbedTest;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The arm proof: an emulated aarch64 machine (qemu-system-aarch64 -M virt -cpu neoverse-n1, 4 vCPUs, Debian's arm64
 * Linux 6.12, an arm64 root with Debian's JRE) runs the bluefield3 profile scaled to it (a profile file that extends
 * bluefield3, as an operator would write one): preflight passes, the launcher starts {@code serve --profile} with the
 * profile's JVM flags and housekeeping affinity, and the kernel host of the same guest verifies NVMe/TCP and ublk
 * with fio {@code verify=crc32c} and ext4 {@code fsck}.
 */
@TestbedTest(arch = "arm64")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BlueField3OnArm64IT {
    static final String NQN = "nqn.2026-01.io.tensorplane:bf3";
    /** A JVM start in the emulated aarch64 guest takes 10-25 s. */
    static final Duration JVM = Duration.ofSeconds(300);
    /**
     * The launcher, with the class-data archive that the first run (preflight) writes: under emulation a JVM spends
     * most of its start loading and verifying classes, which the archive saves every later run.
     */
    static final String CDS = "/tmp/tensorplane-arm64.jsa";
    static final String TP = "TENSORPLANE_NO_BUILD=1 TENSORPLANE_JAVA_OPTS=\"-Xlog:disable $([ -f " + CDS + " ] && echo -XX:SharedArchiveFile=" + CDS
            + " || echo -XX:ArchiveClassesAtExit=" + CDS + ")\" ./tensorplane";
    static String profile;

    @BeforeAll
    static void setUp(Guest g) throws IOException {
        Files.writeString(g.share().resolve("bluefield3-guest.yaml"), String.join("\n",
                "# bluefield3, scaled to this machine's CPUs and memory, serving on loopback",
                "extends: bluefield3",
                "scale: true",
                "nvmf: { bind: { address: 127.0.0.1 } }",
                "metrics: { address: 127.0.0.1 }", ""));
        profile = g.share().resolve("bluefield3-guest.yaml").toString();
        g.runOk("[ \"$(uname -m)\" = aarch64 ] && tp_modprobe ublk_drv nvme-tcp ext4 && wait_for_path /dev/ublk-control 5", Duration.ofSeconds(120));
    }

    @AfterAll
    static void tearDown(Guest g) {
        g.run("nvme_disconnect_nqn " + NQN + "; umount /mnt/tp 2>/dev/null; true", Duration.ofSeconds(60));
    }

    /** fio writes and verifies (crc32c) the device, ext4 is made, written and checked with fsck. */
    static void verifyWithFioAndExt4(Guest g, String dev) {
        ExecResult fio = g.runOk("fio --name=verify --filename=" + dev + " --direct=1 --ioengine=io_uring --rw=randwrite --bs=4k"
                + " --iodepth=16 --size=32M --verify=crc32c --do_verify=1 --verify_fatal=1 --output-format=terse", Duration.ofSeconds(300));
        assertTrue(fio.out().startsWith("3;"), fio.toString());
        g.runOk("mkfs.ext4 -q -F " + dev + " && mkdir -p /mnt/tp && mount " + dev + " /mnt/tp"
                + " && dd if=/dev/urandom of=/mnt/tp/data bs=1M count=16 status=none && sha256sum /mnt/tp/data > /tmp/sum"
                + " && umount /mnt/tp && e2fsck -f -n " + dev
                + " && mount " + dev + " /mnt/tp && sha256sum -c --quiet /tmp/sum && umount /mnt/tp"
                + " && e2fsck -f -n " + dev, Duration.ofSeconds(300));
    }

    @Test
    @Order(1)
    void preflightPassesForTheScaledBlueField3Profile(Guest g) {
        ExecResult r = g.run("set -o pipefail; " + TP + " preflight --profile " + profile + " | tee \"$TP_OUT/preflight.txt\"", JVM);
        assertEquals(0, r.exitCode(), r.toString());
        String out = r.out();
        assertTrue(out.contains("PASS  profile       bluefield3-guest (") && out.contains("extends built-in bluefield3, scaled from 16 cores, 16G) fits"), out);
        assertTrue(out.contains("PASS  architecture  aarch64, 4 CPUs online"), out);
        assertTrue(out.contains("PASS  cpu           Neoverse-N1 (part 0xd0c") && out.contains("LSE atomics yes"), out);
        assertTrue(out.contains("PASS  io_uring      usable"), out);
        assertTrue(out.contains("PASS  ublk_drv      features 0x") && out.contains("data movement: per-tag buffers (user copy with --copy user)"), out);
        assertTrue(out.contains("the profile uses 0-3 (housekeeping 0, data 1-3)"), out);
        assertTrue(out.contains("result: profile bluefield3-guest can run here"), out);
    }

    @Test
    @Order(2)
    void servesNvmeTcpWithTheProfilesFlagsAndAffinity(Guest g) {
        g.spawn("nvmf", "exec env " + TP + " serve --profile " + profile + " --subsystem " + NQN + " --ns mem:256M");
        g.runOk("for i in $(seq 500); do grep -q 'nvmf: serving' \"$TP_OUT/nvmf.log\" && exit 0; sleep 1; done; cat \"$TP_OUT/nvmf.log\"; exit 1",
                Duration.ofSeconds(520));
        String pid = g.runOk("ps -eo pid=,args= | awk '/[j]ava .* serve --profile/{print $1; exit}'").out();
        String cmdline = g.runOk("tr '\\0' ' ' < /proc/" + pid + "/cmdline").out();
        assertTrue(cmdline.contains("-Xmx") && cmdline.contains("-XX:ActiveProcessorCount=1") && cmdline.contains("-Xss1m")
                && cmdline.contains("-XX:+AlwaysPreTouch"), "the bluefield3 profile's JVM flags: " + cmdline);
        assertEquals("0", g.runOk("awk '/^Cpus_allowed_list/{print $2}' /proc/" + pid + "/status").out(), "the JVM on the housekeeping CPU");
        String log = g.log("nvmf");
        assertTrue(log.contains("event loops on CPUs 1-3, housekeeping 0"), log);
        String dev = g.runOk("nvme_connect_tcp " + NQN + " 4420 127.0.0.1", Duration.ofSeconds(120)).out();
        try {
            verifyWithFioAndExt4(g, dev);
        } finally {
            g.run("nvme_disconnect_nqn " + NQN, Duration.ofSeconds(60));
            g.stop("nvmf");
        }
    }

    @Test
    @Order(3)
    void servesUblkWithTheProfilesQueues(Guest g) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : g.runOk(TP + " profile show " + profile + " --format env", JVM).lines()) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        assertEquals("3", env.get("TENSORPLANE_PROFILE_UBLK_QUEUES"), env.toString());
        ExecResult add = g.runOk(TP + " ublk add --backend mem:256M --queues " + env.get("TENSORPLANE_PROFILE_UBLK_QUEUES")
                + " --depth " + env.get("TENSORPLANE_PROFILE_UBLK_DEPTH"), JVM);
        String json = add.out();
        String dev = json.replaceAll("(?s).*\"path\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        String id = json.replaceAll("(?s).*\"id\"\\s*:\\s*(\\d+).*", "$1");
        assertTrue(dev.startsWith("/dev/ublkb") && json.contains("\"queues\":3"), json);
        try {
            verifyWithFioAndExt4(g, dev);
        } finally {
            g.runOk(TP + " ublk del --id " + id, JVM);
        }
    }
}
