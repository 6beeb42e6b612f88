package io.tensorplane.it.dpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.Testbed;
import io.tensorplane.it.bed.TestbedTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The amd64 .deb under real systemd (PID 1 in the guest): install (unit enabled, the profile's drop-in written), start
 * (preflight first, the profile's JVM flags, CPU affinity and memory limit applied, NVMe/TCP on loopback with a mem
 * namespace that the kernel host connects to and fio verifies), restart after a crash, clean stop on SIGTERM, refusal
 * of a profile that does not fit, purge.
 */
@TestbedTest(init = "systemd")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebLifecycleIT {
    static final String NQN = "nqn.2026-01.io.tensorplane:disk1";
    static final Duration JVM = Duration.ofSeconds(240);
    static String deb;

    @BeforeAll
    static void findPackage() throws IOException {
        try (Stream<Path> s = Files.list(Testbed.repoRoot().resolve("dpu-profile/package/target"))) {
            List<Path> debs = s.filter(p -> p.getFileName().toString().matches("tensorplane_.*_amd64\\.deb")).toList();
            assertEquals(1, debs.size(), "expected one amd64 .deb built by 'mvn package': " + debs);
            deb = debs.get(0).toString();
        }
    }

    /** Waits until the service's journal has {@code n} lines containing {@code text}. */
    static void awaitJournal(Guest g, String text, int n) {
        g.runOk("for i in $(seq 200); do [ \"$(journalctl -u tensorplane --no-pager | grep -c -F " + Testbed.shellQuote(text) + ")\" -ge " + n
                + " ] && exit 0; sleep 1; done; journalctl -u tensorplane --no-pager | tail -30; exit 1", Duration.ofSeconds(230));
    }

    @Test
    @Order(1)
    void installEnablesTheUnitAndWritesTheProfileDropIn(Guest g) {
        g.runOk("[ \"$(ps -p 1 -o comm=)\" = systemd ]");
        g.runOk("dpkg -i " + Testbed.shellQuote(deb), JVM);
        assertEquals("install ok installed amd64", g.runOk("dpkg-query -W -f='${Status} ${Architecture}' tensorplane").out());
        assertEquals("enabled", g.run("systemctl is-enabled tensorplane").out());
        String dropIn = g.runOk("cat /etc/systemd/system/tensorplane.service.d/50-profile.conf").out();
        assertTrue(dropIn.contains("profile show x86-dev --format systemd' (fits this machine)"), dropIn);
        assertTrue(dropIn.contains("\nCPUAffinity=0\n") && dropIn.contains("\nAllowedCPUs=0-1\n"), dropIn);
        assertTrue(dropIn.contains("TENSORPLANE_PROFILE_JVM=-Xms"), dropIn);
        assertEquals("inactive", g.run("systemctl is-active tensorplane").out(), "installed, not started");
    }

    @Test
    @Order(2)
    void startRunsPreflightAppliesTheProfileAndServesNvmeTcp(Guest g) {
        g.runOk("systemctl start tensorplane", JVM);
        awaitJournal(g, "nvmf: serving", 1);
        String journal = g.runOk("journalctl -u tensorplane --no-pager").out();
        assertTrue(journal.contains("PASS  profile       x86-dev") && journal.contains("result: profile x86-dev can run here"), journal);
        String pid = g.runOk("systemctl show -p MainPID --value tensorplane").out();
        String cmdline = g.runOk("tr '\\0' ' ' < /proc/" + pid + "/cmdline").out();
        String flags = g.runOk("systemctl show -p Environment --value tensorplane").out();
        assertTrue(cmdline.startsWith("java -Xms") && cmdline.contains(" -XX:ActiveProcessorCount=1 ") && cmdline.contains(" -XX:MaxDirectMemorySize="),
                "the JVM runs with the profile's flags: " + cmdline + "\n" + flags);
        assertTrue(cmdline.contains(" serve --profile auto --config /etc/tensorplane/config.yaml"), cmdline);
        assertEquals("0", g.runOk("awk '/^Cpus_allowed_list/{print $2}' /proc/" + pid + "/status").out(), "the JVM on the housekeeping CPU");
        String loops = g.runOk("for t in /proc/" + pid + "/task/*; do c=$(cat $t/comm); case $c in multiThreadIoEv*) "
                + "awk -v c=\"$c\" '/^Cpus_allowed_list/{print c\":\"$2}' $t/status;; esac; done").out();
        assertTrue(loops.contains(":1"), "an event loop pinned to the data CPU 1: " + loops);
        String memMax = g.runOk("cat /sys/fs/cgroup/system.slice/tensorplane.service/memory.max").out();
        assertEquals(g.runOk("sed -n 's/^MemoryMax=//p' /etc/systemd/system/tensorplane.service.d/50-profile.conf").out(), memMax);

        String dev = g.runOk("tp_modprobe nvme-tcp && nvme_connect_tcp " + NQN + " 4420 127.0.0.1", Duration.ofSeconds(90)).out();
        try {
            ExecResult fio = g.runOk("fio --name=verify --filename=" + dev + " --direct=1 --ioengine=io_uring --rw=randwrite --bs=4k"
                    + " --iodepth=16 --size=16M --verify=crc32c --do_verify=1 --verify_fatal=1 --output-format=terse", Duration.ofSeconds(180));
            assertTrue(fio.out().startsWith("3;"), fio.toString());
        } finally {
            g.run("nvme_disconnect_nqn " + NQN, Duration.ofSeconds(60));
        }
    }

    @Test
    @Order(3)
    void aCrashedServiceIsRestarted(Guest g) {
        String pid = g.runOk("systemctl show -p MainPID --value tensorplane").out();
        g.runOk("kill -9 " + pid);
        awaitJournal(g, "nvmf: serving", 2);
        assertEquals("1", g.runOk("systemctl show -p NRestarts --value tensorplane").out());
        assertEquals("active", g.run("systemctl is-active tensorplane").out());
        assertNotEquals(pid, g.runOk("systemctl show -p MainPID --value tensorplane").out());
    }

    @Test
    @Order(4)
    void stopIsACleanSigterm(Guest g) {
        g.runOk("systemctl stop tensorplane", Duration.ofSeconds(60));
        assertEquals("inactive", g.run("systemctl is-active tensorplane").out());
        assertEquals("success", g.runOk("systemctl show -p Result --value tensorplane").out());
        awaitJournal(g, "nvmf: stopped", 1);
    }

    @Test
    @Order(5)
    void aProfileThatDoesNotFitIsRefusedWithTheReasons(Guest g) {
        g.runOk("sed -i 's/^TENSORPLANE_PROFILE=.*/TENSORPLANE_PROFILE=bluefield3/' /etc/default/tensorplane");
        try {
            ExecResult start = g.run("systemctl start tensorplane", JVM);
            assertNotEquals(0, start.exitCode(), start.toString());
            String journal = g.runOk("journalctl -u tensorplane --no-pager").out();
            assertTrue(journal.contains("FAIL  profile       bluefield3") && journal.contains("is for aarch64; this machine is x86_64"), journal);
            assertTrue(journal.contains("result: profile bluefield3 cannot run here"), journal);
        } finally {
            g.run("systemctl stop tensorplane; systemctl reset-failed tensorplane; "
                    + "sed -i 's/^TENSORPLANE_PROFILE=.*/TENSORPLANE_PROFILE=auto/' /etc/default/tensorplane", Duration.ofSeconds(60));
        }
    }

    @Test
    @Order(6)
    void purgeRemovesTheUnitTheDropInTheConfigurationAndTheState(Guest g) {
        g.runOk("dpkg --purge tensorplane", JVM);
        g.runOk("! dpkg-query -W tensorplane 2>/dev/null | grep -q .");
        for (String path : List.of("/lib/systemd/system/tensorplane.service", "/etc/systemd/system/tensorplane.service.d",
                "/etc/tensorplane", "/etc/default/tensorplane", "/var/lib/tensorplane", "/usr/bin/tensorplane")) {
            g.runOk("[ ! -e " + path + " ] || { ls -la " + path + "; exit 1; }");
        }
        ExecResult cat = g.run("systemctl cat tensorplane");
        assertNotEquals(0, cat.exitCode(), cat.toString());
    }
}
