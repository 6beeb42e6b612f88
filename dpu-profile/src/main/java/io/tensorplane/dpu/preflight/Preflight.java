package io.tensorplane.dpu.preflight;

import io.tensorplane.dpu.host.Auxv;
import io.tensorplane.dpu.host.Host;
import io.tensorplane.dpu.host.Machine;
import io.tensorplane.dpu.profile.Profile;
import io.tensorplane.engine.Sizes;
import io.tensorplane.engine.poll.CpuList;
import io.tensorplane.ublk.ctrl.UblkAbi;
import io.tensorplane.uring.IoUringProbe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The checks {@code preflight} runs for a profile on a machine: each reads only the {@link Host}, so the unit tests
 * replay recorded BlueField-3, BlueField-2 and container machines through the same code.
 */
public final class Preflight {
    private static final long MIB = 1 << 20;

    private Preflight() {
    }

    /** All checks, in the order they are printed. */
    public static List<Check> run(Host h, Profile p) {
        Machine m = Machine.of(h);
        KernelVersion k = KernelVersion.parse(h.read("/proc/sys/kernel/osrelease").orElse("0.0").trim());
        List<Check> out = new ArrayList<>();
        out.add(profile(p));
        out.add(architecture(m, p));
        out.add(cpu(m, h));
        out.add(pageSize(m));
        out.add(hugepages(h, p));
        out.add(kernel(k, p));
        IoUringProbe.Availability uring = h.ioUring();
        out.add(ioUring(uring, p));
        out.add(ublk(h, k, uring, p));
        out.add(cgroupCpus(m, p));
        out.add(memory(m, p));
        out.add(memlock(h, k, p));
        out.add(snap(m, p));
        out.add(bind(h, p));
        if (p.metricsPort() > 0) {
            out.add(metrics(h, p));
        }
        return out;
    }

    /** Whether nothing failed: the exit code's meaning. */
    public static boolean canRun(List<Check> checks) {
        return checks.stream().noneMatch(c -> c.status() == Check.Status.FAIL);
    }

    static Check profile(Profile p) {
        String what = p.name() + " (" + p.source() + (p.scaledFrom() != null ? ", scaled from " + p.scaledFrom() : "") + ")";
        return p.fits() ? Check.pass("profile", what + " fits this machine")
                : Check.fail("profile", what + " does not fit: " + String.join("; ", p.misfits()));
    }

    static Check architecture(Machine m, Profile p) {
        String d = m.arch() + ", " + m.onlineCpus().length + " CPUs online (" + CpuList.format(m.onlineCpus()) + ")";
        return m.arch().equals(p.arch()) ? Check.pass("architecture", d)
                : Check.fail("architecture", d + "; profile " + p.name() + " is for " + p.arch());
    }

    static Check cpu(Machine m, Host h) {
        if (!m.arch().equals("aarch64")) {
            String model = h.field("/proc/cpuinfo", "model name").orElse("unknown model");
            return Check.pass("cpu", model);
        }
        Auxv a = m.auxv();
        String part = m.cpu().map(Object::toString).orElse("part unknown (no midr_el1 in sysfs)");
        if (a.isEmpty()) {
            return Check.warn("cpu", part + "; no auxiliary vector readable (/proc/self/auxv): LSE atomics unknown");
        }
        boolean lse = (a.hwcap() & Auxv.HWCAP_ATOMICS) != 0;
        boolean sve = (a.hwcap() & Auxv.HWCAP_SVE) != 0;
        String d = part + String.format(", AT_HWCAP 0x%x: LSE atomics %s, SVE %s", a.hwcap(), lse ? "yes" : "no", sve ? "yes" : "no");
        if (!lse) {
            d += " (ARMv8.0 such as BlueField-2's Cortex-A72: the JVM uses load/store-exclusive loops by itself; no flag forces LSE)";
        }
        return Check.pass("cpu", d);
    }

    static Check pageSize(Machine m) {
        long ps = m.auxv().pageSize();
        if (ps == 0) {
            return Check.warn("page size", "unknown (no AT_PAGESZ in /proc/self/auxv)");
        }
        return ps == 4096 ? Check.pass("page size", "4 KiB (AT_PAGESZ)")
                : Check.warn("page size", Profile.human(ps) + " (AT_PAGESZ): Tensorplane is tested with 4 KiB pages only; 4 KiB I/O still works, memory rounds up to " + Profile.human(ps));
    }

    static Check hugepages(Host h, Profile p) {
        long size = h.field("/proc/meminfo", "Hugepagesize").map(v -> parseKib(v)).orElse(0L);
        long total = h.field("/proc/meminfo", "HugePages_Total").map(Preflight::parseLong).orElse(0L);
        long free = h.field("/proc/meminfo", "HugePages_Free").map(Preflight::parseLong).orElse(0L);
        String d = (size > 0 ? Profile.human(size) : "unknown-size") + " pages: " + total + " reserved, " + free + " free";
        if (p.snapRunning() && p.snapHugepages() > 0) {
            if (total < p.snapHugepages()) {
                return Check.warn("hugepages", d + "; SNAP runs and is planned with " + p.snapHugepages() + " (the service itself needs none)");
            }
            return Check.pass("hugepages", d + "; SNAP's " + p.snapHugepages() + " are counted in its memory share; the service needs none");
        }
        return Check.pass("hugepages", d + "; the service needs none (its heap uses transparent huge pages where the profile asks)");
    }

    static Check kernel(KernelVersion k, Profile p) {
        String d = "Linux " + k.release() + ": NVMe/TCP yes (served in user space); " + k.ublkMeaning();
        if (!k.hasUblk() && p.requires("ublk")) {
            return Check.fail("kernel", d + "; profile " + p.name() + " requires ublk");
        }
        return k.hasUblk() || "off".equals(p.frontDoors().get("ublk")) ? Check.pass("kernel", d) : Check.warn("kernel", d);
    }

    static Check ioUring(IoUringProbe.Availability v, Profile p) {
        if (v.available()) {
            return Check.pass("io_uring", "usable: a ring was set up and has every operation this project needs (ublk, the file backend and the io_uring NVMe/TCP transport can use it)");
        }
        String d = v.reason() + ": " + v.cause() + "; NVMe/TCP falls back to epoll, ublk cannot run";
        return p.requires("ublk") ? Check.fail("io_uring", d) : Check.warn("io_uring", d);
    }

    static Check ublk(Host h, KernelVersion k, IoUringProbe.Availability uring, Profile p) {
        Check.Status missing = p.requires("ublk") ? Check.Status.FAIL : Check.Status.WARN;
        if ("off".equals(p.frontDoors().get("ublk"))) {
            return Check.pass("ublk_drv", "not used (profile: ublk off)");
        }
        if (!k.hasUblk()) {
            return new Check("ublk_drv", missing, "Linux " + k.release() + " has no ublk driver (6.0+); serve NVMe/TCP only");
        }
        boolean loaded = !h.list("/sys/module/ublk_drv").isEmpty();
        if (!loaded) {
            String modules = "/lib/modules/" + k.release() + "/";
            Optional<String> dep = h.read(modules + "modules.dep");
            boolean shipped = dep.map(t -> t.contains("/ublk_drv.ko")).orElse(false)
                    || h.read(modules + "modules.builtin").map(t -> t.contains("/ublk_drv.ko")).orElse(false);
            if (dep.isPresent() && !shipped) {
                return new Check("ublk_drv", missing, "this kernel has no ublk_drv module (CONFIG_BLK_DEV_UBLK); serve NVMe/TCP only");
            }
            return new Check("ublk_drv", missing, "ublk_drv is not loaded: run 'modprobe ublk_drv' (and name it in /etc/modules-load.d/ to load it at boot)");
        }
        if (!h.list("/dev").contains("ublk-control")) {
            return new Check("ublk_drv", missing, "ublk_drv is loaded but /dev/ublk-control is missing (a container without the device?)");
        }
        OptionalLong f = h.ublkFeatures();
        if (f.isEmpty()) {
            return new Check("ublk_drv", missing, "ublk_drv is loaded, but GET_FEATURES on /dev/ublk-control failed"
                    + (uring.available() ? " (needs CAP_SYS_ADMIN)" : " (io_uring is not usable)"));
        }
        long bits = f.getAsLong();
        String d = String.format("features 0x%x: %s; data movement: %s", bits, String.join(" ", UblkAbi.featureNames(bits)),
                (bits & UblkAbi.UBLK_F_SUPPORT_ZERO_COPY) != 0 && (bits & UblkAbi.UBLK_F_AUTO_BUF_REG) != 0
                        ? "zero copy for file: backends, per-tag buffers for the others"
                        : (bits & UblkAbi.UBLK_F_USER_COPY) != 0 ? "per-tag buffers (user copy with --copy user)" : "per-tag buffers (no USER_COPY: no --copy user)");
        return Check.pass("ublk_drv", d);
    }

    static Check cgroupCpus(Machine m, Profile p) {
        int[] need = p.serviceCpus();
        int[] outside = Arrays.stream(need).filter(c -> Arrays.stream(m.allowedCpus()).noneMatch(a -> a == c)).toArray();
        String d = "the service may use CPUs " + CpuList.format(m.allowedCpus()) + " (" + m.cpusetSource() + "); the profile uses "
                + CpuList.format(need) + " (housekeeping " + CpuList.format(p.housekeeping()) + ", data " + CpuList.format(p.data()) + ")";
        return outside.length == 0 ? Check.pass("cgroup cpus", d) : Check.fail("cgroup cpus", d + "; missing " + CpuList.format(outside));
    }

    static Check memory(Machine m, Profile p) {
        String limit = m.memoryLimit().isPresent() ? "cgroup memory.max " + Profile.human(m.memoryLimit().getAsLong() / MIB * MIB) : "no cgroup memory limit";
        String d = "MemTotal " + Profile.human(m.memTotal() / MIB * MIB) + ", " + limit + "; the service needs " + Profile.human(p.memoryMax())
                + " (heap " + Profile.human(p.heap()) + " + direct " + Profile.human(p.direct()) + " + JVM " + Profile.human(p.jvmOverhead())
                + "), the machine " + Profile.human(p.memoryNeeded()) + " with the OS" + (p.snapRunning() ? " and SNAP" : "");
        boolean ok = p.memoryNeeded() <= m.memTotal() && (m.memoryLimit().isEmpty() || p.memoryMax() <= m.memoryLimit().getAsLong());
        return ok ? Check.pass("memory", d) : Check.fail("memory", d);
    }

    static Check memlock(Host h, KernelVersion k, Profile p) {
        Optional<String> line = h.field("/proc/self/limits", "Max locked memory");
        if (line.isEmpty()) {
            return Check.warn("memlock", "RLIMIT_MEMLOCK unknown (no /proc/self/limits)");
        }
        String soft = line.get().split("\\s+")[0];
        long v = soft.equals("unlimited") ? Long.MAX_VALUE : parseLong(soft);
        String d = "RLIMIT_MEMLOCK " + (v == Long.MAX_VALUE ? "unlimited" : Profile.human(Math.max(v, 1))) + ", profile wants " + Profile.human(p.memlock());
        if (v >= p.memlock()) {
            return Check.pass("memlock", d);
        }
        if (!k.atLeast(5, 12)) {
            return Check.fail("memlock", d + "; before 5.12 every io_uring ring counts against it: raise LimitMEMLOCK");
        }
        return Check.warn("memlock", d + "; rings are charged to the cgroup since 5.12, but registered buffers still count: raise LimitMEMLOCK");
    }

    static Check snap(Machine m, Profile p) {
        if (m.snap().isPresent()) {
            return Check.pass("snap", "SNAP runs: " + m.snap().get() + "; the profile leaves it CPUs " + CpuList.format(p.snap()));
        }
        return Check.pass("snap", "SNAP is not running" + (p.data().length > 0 ? "; its CPUs serve I/O: data CPUs " + CpuList.format(p.data()) : ""));
    }

    static Check bind(Host h, Profile p) {
        return endpoint(h, "bind", p.bindInterface(), p.bindAddress(), p.bindPort(), p.listen(), Check.Status.FAIL);
    }

    static Check metrics(Host h, Profile p) {
        return endpoint(h, "metrics", p.metricsInterface(), p.metricsAddress(), p.metricsPort(), p.metricsListen(), Check.Status.WARN);
    }

    private static Check endpoint(Host h, String name, String iface, String address, int port, String shown, Check.Status bad) {
        if (address == null) {
            return new Check(name, bad, "no address for " + shown + ": interface " + iface + " is not on this machine (interfaces: "
                    + String.join(", ", h.interfaces().keySet()) + ")");
        }
        String problem = h.bindProblem(address, port);
        String via = iface != null && !iface.isBlank() ? " (interface " + iface + ")" : "";
        return problem == null ? Check.pass(name, shown + via + " can be bound")
                : new Check(name, bad, "cannot listen on " + shown + via + ": " + problem);
    }

    private static long parseKib(String v) {
        return parseLong(v.replace("kB", "").trim()) * 1024;
    }

    private static long parseLong(String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
