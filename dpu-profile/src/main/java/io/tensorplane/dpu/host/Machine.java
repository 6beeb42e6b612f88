package io.tensorplane.dpu.host;

import io.tensorplane.engine.poll.CpuList;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.IntStream;

/**
 * The facts of a machine that a profile must fit, read once from a {@link Host}: architecture, CPUs (online, and
 * those the cgroup's cpuset lets this service use), memory (total, and the cgroup's limit), the
 * CPU core, and whether NVIDIA's SNAP service runs (and on which CPUs).
 *
 * @param cpusetSource where {@code allowedCpus} came from, for messages
 * @param memoryLimit  the tightest cgroup {@code memory.max} on the way to the root, or empty when unlimited
 */
public record Machine(String arch, int[] onlineCpus, int[] allowedCpus, String cpusetSource, long memTotal,
        OptionalLong memoryLimit, String cgroup, Optional<CpuPart> cpu, Auxv auxv, Optional<Snap> snap) {

    /** A running SNAP service: its process name, pid and the CPUs it may run on. */
    public record Snap(String process, int pid, int[] cpus) {
        @Override
        public String toString() {
            return process + " (pid " + pid + ", CPUs " + CpuList.format(cpus) + ")";
        }
    }

    /** Process names of NVIDIA's SNAP: DOCA SNAP 4 ({@code snap_service}) and the older SNAP 3 emulator. */
    static final List<String> SNAP_PROCESSES = List.of("snap_service", "mlnx_snap_emu");

    public static Machine of(Host h) {
        int[] online = h.read("/sys/devices/system/cpu/online").map(s -> CpuList.parse(s.trim())).orElse(new int[0]);
        if (online.length == 0) {
            online = IntStream.range(0, Runtime.getRuntime().availableProcessors()).toArray();
        }
        // The cgroup's cpuset bounds a profile, not this process's own affinity: the launcher narrows the JVM to the
        // housekeeping CPUs on purpose (its I/O threads then pin themselves to the data CPUs), and the JVM that
        // serves must see the same machine as the one that checked the profile before it.
        int[] allowed = online;
        String source = "all online CPUs";
        String cgroup = cgroupPath(h);
        Optional<String> cpuset = cgroup == null ? Optional.empty()
                : h.read("/sys/fs/cgroup" + cgroup + "/cpuset.cpus.effective").map(String::trim).filter(s -> !s.isEmpty());
        if (cpuset.isPresent()) {
            int[] set = CpuList.parse(cpuset.get());
            allowed = Arrays.stream(online).filter(c -> contains(set, c)).toArray();
            source = "the cgroup " + (cgroup.isEmpty() ? "/" : cgroup) + " (cpuset.cpus.effective " + cpuset.get() + ")";
        }
        long memTotal = h.field("/proc/meminfo", "MemTotal").map(Machine::kib).orElse(0L);
        OptionalLong limit = cgroup == null ? OptionalLong.empty() : memoryLimit(h, cgroup);
        Optional<CpuPart> cpu = h.read(CpuPart.MIDR).flatMap(CpuPart::parse);
        Auxv auxv = Auxv.parse(h.readBytes("/proc/self/auxv").orElse(new byte[0]));
        return new Machine(h.arch(), online, allowed, source, memTotal, limit, cgroup, cpu, auxv, findSnap(h));
    }

    /** The process's cgroup v2 path ({@code 0::/system.slice/x.service}), or null. */
    static String cgroupPath(Host h) {
        return h.read("/proc/self/cgroup").flatMap(t -> t.lines().filter(l -> l.startsWith("0::"))
                .map(l -> l.substring(3).trim()).findFirst())
                .map(p -> p.equals("/") ? "" : p).orElse(null);
    }

    private static OptionalLong memoryLimit(Host h, String cgroup) {
        long min = Long.MAX_VALUE;
        for (String p = cgroup; ; p = p.substring(0, p.lastIndexOf('/'))) {
            Optional<String> v = h.read("/sys/fs/cgroup" + p + "/memory.max").map(String::trim);
            if (v.isPresent() && !v.get().equals("max") && !v.get().isEmpty()) {
                try {
                    min = Math.min(min, Long.parseLong(v.get()));
                } catch (NumberFormatException e) {
                    // not a number: no limit we understand
                }
            }
            if (p.isEmpty()) {
                break;
            }
        }
        return min == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(min);
    }

    private static Optional<Snap> findSnap(Host h) {
        for (String pid : h.list("/proc")) {
            if (pid.isEmpty() || !pid.chars().allMatch(Character::isDigit)) {
                continue;
            }
            Optional<String> comm = h.read("/proc/" + pid + "/comm").map(String::trim);
            if (comm.isPresent() && SNAP_PROCESSES.contains(comm.get())) {
                int[] cpus = h.field("/proc/" + pid + "/status", "Cpus_allowed_list").map(CpuList::parse).orElse(new int[0]);
                return Optional.of(new Snap(comm.get(), Integer.parseInt(pid), cpus));
            }
        }
        return Optional.empty();
    }

    /** {@code 16318440 kB} in bytes. */
    static long kib(String v) {
        String n = v.replace("kB", "").trim();
        try {
            return Long.parseLong(n) * 1024;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The memory this machine can give: the cgroup's limit when it is below the total. */
    public long usableMemory() {
        return memoryLimit.isPresent() ? Math.min(memTotal, memoryLimit.getAsLong()) : memTotal;
    }

    static boolean contains(int[] cpus, int c) {
        for (int x : cpus) {
            if (x == c) {
                return true;
            }
        }
        return false;
    }
}
