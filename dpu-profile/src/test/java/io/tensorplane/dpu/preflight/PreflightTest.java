package io.tensorplane.dpu.preflight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.dpu.host.Host;
import io.tensorplane.dpu.host.RecordedHost;
import io.tensorplane.dpu.profile.Profile;
import io.tensorplane.dpu.profile.Profiles;
import io.tensorplane.dpu.profile.ProfilesTestAccess;
import io.tensorplane.uring.IoUringProbe;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preflight over recorded machines: each check's verdict, and the exit-code rule. */
class PreflightTest {

    static Path recorded(String name) {
        try {
            return Path.of(PreflightTest.class.getResource("/hosts/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Check> run(Host h, String profile) {
        Profile p = Profiles.resolve(profile, h);
        return Preflight.run(h, p).stream().collect(Collectors.toMap(Check::name, c -> c));
    }

    @Test
    void blueField3WithSnapPassesEverything() {
        Host h = new RecordedHost(recorded("bluefield3"));
        Map<String, Check> c = run(h, "auto");
        c.values().forEach(x -> assertEquals(Check.Status.PASS, x.status(), x.toString()));
        assertTrue(c.get("profile").detail().startsWith("bluefield3 "), c.get("profile").detail());
        assertTrue(c.get("cpu").detail().contains("Cortex-A78 (part 0xd41"), c.get("cpu").detail());
        assertTrue(c.get("cpu").detail().contains("LSE atomics yes"), c.get("cpu").detail());
        assertTrue(c.get("kernel").detail().contains("ublk with per-tag buffers or user copy, and recovery (zero copy needs 6.16)"), c.get("kernel").detail());
        assertTrue(c.get("ublk_drv").detail().contains("USER_COPY") && c.get("ublk_drv").detail().contains("data movement: per-tag buffers (user copy with --copy user)"), c.get("ublk_drv").detail());
        assertTrue(c.get("snap").detail().contains("snap_service (pid 812, CPUs 2-9)"), c.get("snap").detail());
        assertTrue(c.get("hugepages").detail().contains("2048 reserved"), c.get("hugepages").detail());
        assertTrue(c.get("bind").detail().contains("198.51.100.10:4420 (interface enp3s0f0s0)"), c.get("bind").detail());
        assertTrue(c.get("metrics").detail().contains("192.0.2.2:9464 (interface oob_net0)"), c.get("metrics").detail());
        assertTrue(Preflight.canRun(List.copyOf(c.values())));
    }

    @Test
    void blueField2WithUbuntu2204RunsNvmfOnlyAndSaysWhy() {
        Host h = new RecordedHost(recorded("bluefield2"));
        Map<String, Check> c = run(h, "auto");
        assertTrue(c.get("profile").detail().startsWith("bluefield2 "), c.get("profile").detail());
        assertEquals(Check.Status.PASS, c.get("cpu").status());
        assertTrue(c.get("cpu").detail().contains("Cortex-A72") && c.get("cpu").detail().contains("LSE atomics no"), c.get("cpu").detail());
        assertEquals(Check.Status.WARN, c.get("kernel").status());
        assertTrue(c.get("kernel").detail().contains("the ublk driver needs 6.0"), c.get("kernel").detail());
        assertEquals(Check.Status.WARN, c.get("ublk_drv").status());
        assertEquals(Check.Status.PASS, c.get("memlock").status(), c.get("memlock").toString());
        assertTrue(c.get("snap").detail().contains("not running"), c.get("snap").detail());
        assertTrue(Preflight.canRun(List.copyOf(c.values())));
    }

    @Test
    void containerWithoutIoUringNamesSeccompAndTheCgroup() {
        Host h = new RecordedHost(recorded("container-no-io_uring"));
        Map<String, Check> c = run(h, "auto");
        assertTrue(c.get("profile").detail().startsWith("x86-dev "), c.get("profile").detail());
        assertEquals(Check.Status.WARN, c.get("io_uring").status());
        assertTrue(c.get("io_uring").detail().startsWith("BLOCKED_BY_SECCOMP: io_uring_setup is refused with EPERM by a seccomp filter"), c.get("io_uring").detail());
        assertTrue(c.get("cgroup cpus").detail().contains("the service may use CPUs 2-3 (the cgroup / (cpuset.cpus.effective 2-3))"),
                c.get("cgroup cpus").detail());
        assertTrue(c.get("memory").detail().contains("cgroup memory.max 2G"), c.get("memory").detail());
        assertEquals(Check.Status.WARN, c.get("memlock").status());
        assertEquals(Check.Status.PASS, c.get("memory").status(), c.get("memory").toString());
        assertTrue(Preflight.canRun(List.copyOf(c.values())), "NVMe/TCP runs on epoll without io_uring");
    }

    @Test
    void aProfileThatNeedsUblkFailsWhereIoUringIsBlocked(@TempDir Path dir) throws IOException {
        Host h = new RecordedHost(recorded("container-no-io_uring"));
        Path f = dir.resolve("strict.yaml");
        Files.writeString(f, "extends: x86-dev\nfrontDoors: { ublk: required }\n");
        Map<String, Check> c = run(h, f.toString());
        assertEquals(Check.Status.FAIL, c.get("io_uring").status());
        assertEquals(Check.Status.FAIL, c.get("ublk_drv").status());
        assertTrue(c.get("ublk_drv").detail().contains("ublk_drv is not loaded"), c.get("ublk_drv").detail());
        assertFalse(Preflight.canRun(List.copyOf(c.values())));
    }

    @Test
    void blueField3OnAnX86ContainerFailsWithEveryReason() {
        Host h = new RecordedHost(recorded("container-no-io_uring"));
        Map<String, Check> c = run(h, "bluefield3");
        assertEquals(Check.Status.FAIL, c.get("architecture").status());
        assertEquals(Check.Status.FAIL, c.get("profile").status());
        String d = c.get("profile").detail();
        assertTrue(d.contains("is for aarch64; this machine is x86_64"), d);
        assertTrue(d.contains("no network interface enp3s0f0s0"), d);
        assertEquals(Check.Status.FAIL, c.get("bind").status());
        assertFalse(Preflight.canRun(List.copyOf(c.values())));
    }

    @Test
    void ioUringCausesAreToldApartFromTheRecordings(@TempDir Path dir) throws IOException {
        Host container = new RecordedHost(recorded("container-no-io_uring"));
        assertEquals(IoUringProbe.Reason.BLOCKED_BY_SECCOMP, container.ioUring().reason());
        Path m = ProfilesTestAccess.copy("bluefield3", dir.resolve("sysctl"));
        Files.writeString(m.resolve("probes.properties"), Files.readString(m.resolve("probes.properties")).replace("io_uring_setup.errno=0", "io_uring_setup.errno=1"));
        Files.writeString(m.resolve("proc/sys/kernel/io_uring_disabled"), "2\n");
        Map<String, Check> c = run(new RecordedHost(m), "bluefield3");
        assertEquals(Check.Status.WARN, c.get("io_uring").status());
        assertTrue(c.get("io_uring").detail().startsWith("DISABLED_BY_SYSCTL: io_uring is disabled by the sysctl kernel.io_uring_disabled=2"), c.get("io_uring").detail());
        Path k = ProfilesTestAccess.copy("bluefield2", dir.resolve("nosys"));
        Files.writeString(k.resolve("probes.properties"), Files.readString(k.resolve("probes.properties")).replace("io_uring_setup.errno=0", "io_uring_setup.errno=38"));
        assertEquals(IoUringProbe.Reason.NOT_IN_KERNEL, new RecordedHost(k).ioUring().reason());
    }

    @Test
    void kernelVersionsMeanWhatTheFrontDoorsNeed() {
        assertFalse(KernelVersion.parse("5.15.0-1035-bluefield").hasUblk());
        assertTrue(KernelVersion.parse("6.8.0-1013-bluefield").ublkMeaning().contains("user copy"));
        assertTrue(KernelVersion.parse("6.1.0-18-amd64").ublkMeaning().contains("user copy needs 6.5"));
        assertTrue(KernelVersion.parse("7.3.1+deb13-arm64").ublkMeaning().contains("zero copy"));
        assertFalse(KernelVersion.parse("5.10.0").atLeast(5, 12));
    }
}
