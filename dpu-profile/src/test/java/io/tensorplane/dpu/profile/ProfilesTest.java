package io.tensorplane.dpu.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.dpu.host.Host;
import io.tensorplane.dpu.host.RecordedHost;
import io.tensorplane.nvmf.TargetConfig;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfilesTest {

    static Path recorded(String name) {
        try {
            return Path.of(ProfilesTest.class.getResource("/hosts/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A copy of a recorded machine that a test may change. */
    static Path copy(String name, Path into) throws IOException {
        Path src = recorded(name);
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = into.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return into;
    }

    @Test
    void everyBuiltInProfileLoadsAndFitsItsOwnTarget() {
        Host h = new RecordedHost(recorded("bluefield3"));
        for (String n : Profiles.BUILT_IN) {
            Profile p = Profiles.onTarget(n, h);
            assertTrue(p.fits(), n + ": " + p.misfits());
            assertEquals(n, p.name());
            assertTrue(p.data().length > 0 && p.housekeeping().length > 0, n);
            assertTrue(p.jvmFlags().contains("-Xmx" + io.tensorplane.engine.Sizes.format(p.heap())), n + " " + p.jvmFlags());
            assertTrue(p.jvmFlags().stream().noneMatch(f -> f.contains("LSE")), n + " must not force LSE: " + p.jvmFlags());
            assertTrue(p.memoryNeeded() <= io.tensorplane.engine.Sizes.parse(
                    switch (n) { case "bluefield3", "bluefield3-e", "bluefield2" -> "16G"; default -> "8G"; }, n), n);
        }
    }

    @Test
    void blueField3LeavesSnapItsCoresAndServesFromTheRest() {
        Profile p = Profiles.resolve("bluefield3", new RecordedHost(recorded("bluefield3")));
        assertTrue(p.fits(), p.misfits().toString());
        assertTrue(p.snapRunning());
        assertArrayEquals(new int[] {0, 1}, p.housekeeping());
        assertArrayEquals(new int[] {10, 11, 12, 13, 14, 15}, p.data());
        assertEquals(6, p.ublkQueues());
        assertEquals("198.51.100.10:4420", p.listen());
        assertEquals("192.0.2.2", p.metricsAddress());
        assertTrue(p.jvmFlags().containsAll(List.of("-Xms2G", "-Xmx2G", "-XX:MaxDirectMemorySize=4G", "-XX:ActiveProcessorCount=2", "-Xss1m")), p.jvmFlags().toString());
    }

    @Test
    void withoutSnapItsCoresServeIo() {
        Profile p = Profiles.resolve("bluefield2", new RecordedHost(recorded("bluefield2")));
        assertTrue(p.fits(), p.misfits().toString());
        assertFalse(p.snapRunning());
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7}, p.data());
        assertEquals(0, p.snap().length);
    }

    @Test
    void coresTakenBySnapAreRefusedWithTheProcess(@TempDir Path dir) throws IOException {
        Path m = copy("bluefield3", dir);
        Files.writeString(m.resolve("proc/812/status"), "Name:\tsnap_service\nCpus_allowed_list:\t2-11\n");
        Profile p = Profiles.resolve("bluefield3", new RecordedHost(m));
        assertFalse(p.fits());
        assertTrue(p.misfits().stream().anyMatch(s -> s.equals("CPUs 10-11 are taken by SNAP: snap_service (pid 812, CPUs 2-11)")), p.misfits().toString());
    }

    @Test
    void moreCoresOrMemoryThanTheMachineHasIsRefused(@TempDir Path dir) throws IOException {
        Path m = copy("bluefield3", dir);
        Files.writeString(m.resolve("sys/devices/system/cpu/online"), "0-7\n");
        Files.writeString(m.resolve("proc/meminfo"), "MemTotal:        8000000 kB\n");
        Profile p = Profiles.resolve("bluefield3", new RecordedHost(m));
        assertTrue(p.misfits().stream().anyMatch(s -> s.startsWith("profile bluefield3 needs 16 CPUs (0-15); this machine has 8")), p.misfits().toString());
        assertTrue(p.misfits().stream().anyMatch(s -> s.startsWith("profile bluefield3 needs 13.5G of memory (OS 2G + SNAP 5G + heap 2G")), p.misfits().toString());
    }

    @Test
    void cpusOutsideTheCgroupAreRefused(@TempDir Path dir) throws IOException {
        Path m = copy("bluefield3", dir);
        Files.writeString(m.resolve("sys/fs/cgroup/system.slice/tensorplane.service/cpuset.cpus.effective"), "0-13\n");
        Profile p = Profiles.resolve("bluefield3", new RecordedHost(m));
        assertTrue(p.misfits().stream().anyMatch(s -> s.startsWith("CPUs 14-15 of the profile are not available to the service")
                && s.contains("cgroup /system.slice/tensorplane.service")), p.misfits().toString());
    }

    @Test
    void aFileExtendsABuiltInProfileAndScalesItToTheMachine(@TempDir Path dir) throws IOException {
        Path m = copy("bluefield2", dir.resolve("m"));
        Files.writeString(m.resolve("sys/devices/system/cpu/online"), "0-3\n");
        Files.writeString(m.resolve("proc/self/status"), "Seccomp:\t0\nCpus_allowed_list:\t0-3\n");
        Files.writeString(m.resolve("sys/fs/cgroup/system.slice/tensorplane.service/cpuset.cpus.effective"), "0-3\n");
        Files.writeString(m.resolve("proc/meminfo"), "MemTotal:        3000000 kB\n");
        Path f = dir.resolve("bf3-small.yaml");
        Files.writeString(f, "extends: bluefield3\nscale: true\nnvmf: { bind: { address: 127.0.0.1 } }\nmetrics: { address: 127.0.0.1 }\n");
        Profile p = Profiles.resolve(f.toString(), new RecordedHost(m));
        assertTrue(p.fits(), p.misfits().toString());
        assertEquals("bf3-small", p.name());
        assertEquals("16 cores, 16G", p.scaledFrom());
        assertArrayEquals(new int[] {0}, p.housekeeping());
        assertArrayEquals(new int[] {1, 2, 3}, p.data());
        assertTrue(p.source().contains("extends built-in bluefield3"), p.source());
        assertEquals(4420, p.bindPort());
        assertEquals("127.0.0.1:4420", p.listen());
        assertTrue(p.heap() < (1L << 30) && p.memoryNeeded() < 3_000_000L * 1024, p.toString());
        assertTrue(p.jvmFlags().contains("-XX:+AlwaysPreTouch"), "flags of the extended profile stay: " + p.jvmFlags());
    }

    @Test
    void badProfilesAreOneClearMessage(@TempDir Path dir) throws IOException {
        Host h = new RecordedHost(recorded("bluefield3"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Profiles.resolve("bluefield4", h));
        assertTrue(e.getMessage().startsWith("unknown profile 'bluefield4'; built-in profiles: bluefield3, "), e.getMessage());
        Path f = dir.resolve("typo.yaml");
        Files.writeString(f, "extends: bluefield3\ncpus: { hosekeeping: 0 }\n");
        e = assertThrows(IllegalArgumentException.class, () -> Profiles.resolve(f.toString(), h));
        assertTrue(e.getMessage().contains("hosekeeping"), e.getMessage());
        Path v = dir.resolve("v2.yaml");
        Files.writeString(v, "extends: x86-dev\nversion: 2\n");
        e = assertThrows(IllegalArgumentException.class, () -> Profiles.resolve(v.toString(), h));
        assertTrue(e.getMessage().contains("format version 2; this build reads version 1"), e.getMessage());
        Path overlap = dir.resolve("overlap.yaml");
        Files.writeString(overlap, "extends: bluefield3\ncpus: { data: 1-15 }\n");
        e = assertThrows(IllegalArgumentException.class, () -> Profiles.resolve(overlap.toString(), h));
        assertTrue(e.getMessage().contains("CPU 1 is in more than one of housekeeping, snap, data"), e.getMessage());
    }

    @Test
    void serveGetsTheDataCpusQueueLimitsAndAddresses() {
        Profile p = Profiles.resolve("bluefield3", new RecordedHost(recorded("bluefield3")));
        TargetConfig cfg = new TargetConfig();
        ProfiledTarget.apply(p, cfg, p.jvmFlags());
        assertEquals("10-15", cfg.cpus);
        assertArrayEquals(new int[] {10, 11, 12, 13, 14, 15}, cfg.pinnedCpus());
        assertEquals(16, cfg.maxIoQueues);
        assertEquals(128, cfg.maxQueueSize);
        assertEquals(List.of("198.51.100.10:4420"), cfg.listen);
        assertEquals(9464, cfg.metricsPort);
        assertEquals("192.0.2.2", cfg.metricsAddress);
        assertTrue(ProfiledTarget.missingFlags(p, List.of("-Xmx2G")).contains("-XX:MaxDirectMemorySize=4G"));
    }

    @Test
    void serveRefusesAConfigThatPinsElsewhereOrAProfileThatDoesNotFit() {
        Profile p = Profiles.resolve("bluefield3", new RecordedHost(recorded("bluefield3")));
        TargetConfig cfg = new TargetConfig();
        cfg.cpus = "2-5";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProfiledTarget.apply(p, cfg, List.of()));
        assertTrue(e.getMessage().contains("sets cpus: 2-5, but profile bluefield3 puts event loops on its data CPUs 10-15"), e.getMessage());
        Profile x = Profiles.resolve("bluefield3", new RecordedHost(recorded("container-no-io_uring")));
        TargetConfig own = new TargetConfig();
        own.listen.add("127.0.0.1:4420");
        e = assertThrows(IllegalArgumentException.class, () -> ProfiledTarget.apply(x, own, List.of()));
        assertTrue(e.getMessage().startsWith("profile bluefield3 does not fit this machine: profile bluefield3 is for aarch64"), e.getMessage());
        assertFalse(e.getMessage().contains("nvmf.bind"), "a configuration with its own listen address needs no bind interface: " + e.getMessage());
    }

    @Test
    void systemdDropInCarriesAffinityLimitsAndFlags() {
        Profile p = Profiles.resolve("bluefield3", new RecordedHost(recorded("bluefield3")));
        String d = ProfileCommand.systemdDropIn(p, "bluefield3");
        assertTrue(d.contains("\nCPUAffinity=0-1\n"), d);
        assertTrue(d.contains("\nAllowedCPUs=0-1,10-15\n"), d);
        assertTrue(d.contains("\nMemoryMax=" + p.memoryMax() + "\n"), d);
        assertTrue(d.contains("\nLimitMEMLOCK=67108864\n"), d);
        assertTrue(d.contains("Environment=\"TENSORPLANE_PROFILE_JVM=-Xms2G -Xmx2G "), d);
        assertTrue(d.contains("Environment=\"TENSORPLANE_PROFILE_ARG=bluefield3\""), d);
    }
}
