package io.tensorplane.dpu.profile;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tensorplane.dpu.host.CpuPart;
import io.tensorplane.dpu.host.Host;
import io.tensorplane.dpu.host.Machine;
import io.tensorplane.engine.Sizes;
import io.tensorplane.engine.poll.CpuList;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The built-in profiles ({@code io/tensorplane/dpu/profile/*.yaml} in this jar), profile files that extend them,
 * and {@link #resolve}: a profile's effective settings on a machine, with the reasons it does not fit.
 */
public final class Profiles {
    /** The profiles this build carries, in the order {@code profile list} shows them. */
    public static final List<String> BUILT_IN = List.of("bluefield3", "bluefield3-e", "bluefield2", "generic-arm64", "x86-dev");
    /** The profile name that picks one of {@link #BUILT_IN} for the machine ({@link #detect}). */
    public static final String AUTO = "auto";

    static final int FORMAT_VERSION = 1;
    /** Misfits about the listen and metrics addresses start with these keys (a config that sets its own may ignore them). */
    static final String BIND_KEY = "nvmf.bind";
    static final String METRICS_KEY = "metrics";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
    private static final long MIB = 1 << 20;

    private Profiles() {
    }

    /** A profile merged with everything it extends. */
    record Loaded(ProfileSpec spec, String source) {
    }

    /** Loads a built-in profile by name, or a profile file by path. */
    static Loaded load(String nameOrPath, Host host) {
        if (nameOrPath == null || nameOrPath.isBlank()) {
            throw new IllegalArgumentException("missing profile name; built-in profiles: " + String.join(", ", BUILT_IN));
        }
        String name = nameOrPath;
        List<String> chain = new ArrayList<>();
        ObjectNode merged = tree(name, chain, 0);
        merged.remove("extends");
        ProfileSpec spec;
        try {
            spec = YAML.treeToValue(merged, ProfileSpec.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("profile " + name + ": " + firstLine(e.getOriginalMessage()));
        }
        if (spec.version != FORMAT_VERSION) {
            throw new IllegalArgumentException("profile " + name + " has format version " + spec.version
                    + "; this build reads version " + FORMAT_VERSION);
        }
        if (spec.name == null || spec.name.isBlank()) {
            spec.name = name;
        }
        String source = String.join(" extends ", chain);
        return new Loaded(spec, source);
    }

    private static ObjectNode tree(String nameOrPath, List<String> chain, int depth) {
        if (depth > 4) {
            throw new IllegalArgumentException("profile " + chain.get(0) + ": 'extends' goes deeper than 4 files (" + String.join(" -> ", chain) + ")");
        }
        JsonNode node;
        String where;
        if (BUILT_IN.contains(nameOrPath)) {
            where = "built-in " + nameOrPath;
            try (InputStream in = Profiles.class.getResourceAsStream(nameOrPath + ".yaml")) {
                node = YAML.readTree(in);
            } catch (IOException e) {
                throw new IllegalStateException("built-in profile " + nameOrPath + " is missing from this jar", e);
            }
        } else if (nameOrPath.contains("/") || nameOrPath.endsWith(".yaml") || nameOrPath.endsWith(".yml") || nameOrPath.endsWith(".json")) {
            Path p = Path.of(nameOrPath);
            where = p.toString();
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("no profile file " + p);
            }
            try {
                node = YAML.readTree(p.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read profile file " + p + ": " + firstLine(e.getMessage()));
            }
        } else {
            throw new IllegalArgumentException("unknown profile '" + nameOrPath + "'; built-in profiles: "
                    + String.join(", ", BUILT_IN) + ", " + AUTO + " (or a path to a profile file)");
        }
        if (!(node instanceof ObjectNode obj)) {
            throw new IllegalArgumentException("profile " + where + " is not a YAML mapping");
        }
        chain.add(where);
        JsonNode parent = obj.get("extends");
        if (parent == null) {
            return obj;
        }
        if (!parent.isTextual()) {
            throw new IllegalArgumentException("profile " + where + ": 'extends' must name one profile");
        }
        ObjectNode base = tree(parent.asText(), chain, depth + 1);
        if (!obj.has("name")) {
            obj.put("name", Path.of(nameOrPath).getFileName().toString().replaceFirst("\\.(ya?ml|json)$", ""));
        }
        merge(base, obj);
        return base;
    }

    /** Maps merge key by key; anything else in {@code over} replaces. */
    private static void merge(ObjectNode into, ObjectNode over) {
        for (Map.Entry<String, JsonNode> e : over.properties()) {
            JsonNode old = into.get(e.getKey());
            if (old instanceof ObjectNode o && e.getValue() instanceof ObjectNode n) {
                merge(o, n);
            } else {
                into.set(e.getKey(), e.getValue());
            }
        }
    }

    /** The built-in profile for this machine: a BlueField by its DMI product name and core count, else by architecture. */
    public static String detect(Host host) {
        return detect(Machine.of(host), host.read("/sys/class/dmi/id/product_name").map(String::trim).orElse(null));
    }

    static String detect(Machine m, String dmiProduct) {
        if (!m.arch().equals("aarch64")) {
            return "x86-dev";
        }
        String product = dmiProduct == null ? "" : dmiProduct;
        String core = m.cpu().map(CpuPart::name).orElse("");
        if (product.contains("BlueField-3") || product.contains("BlueField-2")) {
            if (product.contains("BlueField-2") || core.equals("Cortex-A72")) {
                return "bluefield2";
            }
            return m.onlineCpus().length <= 8 ? "bluefield3-e" : "bluefield3";
        }
        return "generic-arm64";
    }

    /** Resolves a profile (built-in name, {@code auto} or file) against the machine of {@code host}. */
    public static Profile resolve(String nameOrPath, Host host) {
        Machine m = Machine.of(host);
        String name = nameOrPath;
        if (AUTO.equals(nameOrPath)) {
            name = detect(host);
        }
        Loaded l = load(name, host);
        Loaded tagged = AUTO.equals(nameOrPath) ? new Loaded(l.spec(), l.source() + " (auto)") : l;
        return resolve(tagged, m, host.interfaces());
    }

    /**
     * The profile as on the machine it is written for ({@code target:} in the file): every core and all the memory
     * it names, SNAP running where the profile leaves it cores, interfaces assumed present. What documentation and
     * the pod spec show.
     */
    public static Profile onTarget(String nameOrPath, Host host) {
        Loaded l = load(AUTO.equals(nameOrPath) ? detect(host) : nameOrPath, host);
        ProfileSpec s = l.spec();
        int cores = s.target.cores;
        int[] all = IntStream.range(0, cores).toArray();
        long mem = Sizes.parse(s.target.memory, "target.memory");
        boolean snap = !CpuList.format(CpuList.parse(s.cpus.snap)).isEmpty();
        Machine m = new Machine(s.target.arch, all, all, "the target", mem, OptionalLong.empty(), "",
                Optional.empty(), io.tensorplane.dpu.host.Auxv.parse(new byte[0]),
                snap ? Optional.of(new Machine.Snap("snap_service", 0, CpuList.parse(s.cpus.snap))) : Optional.empty());
        Map<String, List<String>> ifaces = new LinkedHashMap<>();
        ProfileSpec spec = l.spec();
        boolean wasScaled = spec.scale;
        spec.scale = false; // on its own target a profile is never scaled
        Profile p = resolve(new Loaded(spec, l.source()), m, ifaces);
        spec.scale = wasScaled;
        return p;
    }

    static Profile resolve(Loaded l, Machine m, Map<String, List<String>> interfaces) {
        ProfileSpec s = l.spec();
        String name = s.name;
        List<String> misfits = new ArrayList<>();
        require(s.target.arch != null && s.target.cores > 0 && s.target.memory != null, name, "target needs arch, cores and memory");
        require(s.cpus.housekeeping != null && s.cpus.data != null, name, "cpus needs housekeeping and data");
        require(s.memory.os != null && s.memory.heap != null && s.memory.direct != null && s.memory.jvmOverhead != null,
                name, "memory needs os, heap, direct and jvmOverhead");
        if (!s.target.arch.equals(m.arch())) {
            misfits.add("profile " + name + " is for " + s.target.arch + "; this machine is " + m.arch()
                    + " (use " + (m.arch().equals("aarch64") ? "generic-arm64" : "x86-dev") + ")");
        }
        int[] hk = cpuList(s.cpus.housekeeping, name, "cpus.housekeeping");
        int[] snapCpus = cpuList(s.cpus.snap, name, "cpus.snap");
        int[] data = cpuList(s.cpus.data, name, "cpus.data");
        checkDisjoint(name, hk, snapCpus, data);
        boolean snapRunning = m.snap().isPresent();
        long targetMem = Sizes.parse(s.target.memory, "target.memory");
        double memScale = 1.0;
        String scaledFrom = null;
        if (s.scale) {
            scaledFrom = s.target.cores + " cores, " + Sizes.format(targetMem);
            int[] pool = m.allowedCpus();
            if (snapRunning && m.snap().get().cpus().length > 0) {
                int[] taken = m.snap().get().cpus();
                pool = Arrays.stream(pool).filter(c -> Arrays.stream(taken).noneMatch(t -> t == c)).toArray();
            }
            double r = (double) m.allowedCpus().length / s.target.cores;
            int nHk = Math.max(1, (int) Math.round(hk.length * r));
            int nSnap = snapRunning && m.snap().get().cpus().length == 0 && snapCpus.length > 0
                    ? Math.max(1, (int) Math.round(snapCpus.length * r)) : 0;
            if (pool.length < nHk + nSnap + 1) {
                misfits.add("scaled to " + m.allowedCpus().length + " CPUs, the profile needs " + nHk + " housekeeping"
                        + (nSnap > 0 ? ", " + nSnap + " SNAP" : "") + " and at least 1 data CPU, but only "
                        + pool.length + " are free (" + Profile.cpus(pool) + ")");
                nHk = Math.min(nHk, pool.length);
                nSnap = Math.min(nSnap, pool.length - nHk);
            }
            hk = Arrays.copyOfRange(pool, 0, nHk);
            snapCpus = snapRunning && nSnap == 0 ? m.snap().get().cpus() : Arrays.copyOfRange(pool, nHk, nHk + nSnap);
            data = Arrays.copyOfRange(pool, nHk + nSnap, pool.length);
            // Scaled by the machine's memory, not by the cgroup's limit: the service's own limit is what the profile
            // sets (MemoryMax), and a resolution inside it must give the same budgets as the one before it.
            memScale = Math.min(1.0, (double) m.memTotal() / targetMem);
        } else {
            if (!snapRunning && snapCpus.length > 0) {
                data = union(snapCpus, data); // no SNAP here: its cores serve I/O too
                snapCpus = new int[0];
            }
            int[] needed = union(union(hk, data), snapCpus);
            int maxCpu = needed.length == 0 ? -1 : needed[needed.length - 1];
            if (maxCpu >= m.onlineCpus().length) {
                misfits.add("profile " + name + " needs " + (maxCpu + 1) + " CPUs (" + Profile.cpus(needed) + "); this machine has "
                        + m.onlineCpus().length + " (" + Profile.cpus(m.onlineCpus()) + "); a file with 'extends: " + name
                        + "' and 'scale: true' fits it to this machine");
            } else {
                int[] own = union(hk, data);
                int[] outside = Arrays.stream(own).filter(c -> Arrays.stream(m.allowedCpus()).noneMatch(a -> a == c)).toArray();
                if (outside.length > 0) {
                    misfits.add("CPUs " + Profile.cpus(outside) + " of the profile are not available to the service (it may use "
                            + Profile.cpus(m.allowedCpus()) + ", from " + m.cpusetSource() + ")");
                }
            }
            if (snapRunning) {
                Machine.Snap sn = m.snap().get();
                int[] own = union(hk, data);
                int[] clash = Arrays.stream(own).filter(c -> Arrays.stream(sn.cpus()).anyMatch(t -> t == c)).toArray();
                if (clash.length > 0 && sn.pid() != 0) {
                    misfits.add("CPUs " + Profile.cpus(clash) + " are taken by SNAP: " + sn);
                }
                if (snapCpus.length == 0) {
                    misfits.add("SNAP runs (" + sn + ") but profile " + name + " leaves it no CPUs");
                }
            }
        }
        long os = scaled(s.memory.os, "memory.os", memScale, 64 * MIB);
        long snapMem = scaled(s.memory.snap, "memory.snap", memScale, 0);
        long heap = scaled(s.memory.heap, "memory.heap", memScale, 64 * MIB);
        long direct = scaled(s.memory.direct, "memory.direct", memScale, 64 * MIB);
        long overhead = scaled(s.memory.jvmOverhead, "memory.jvmOverhead", memScale, 96 * MIB);
        long memoryMax = heap + direct + overhead;
        long needed = os + (snapRunning ? snapMem : 0) + memoryMax;
        if (needed > m.memTotal()) {
            misfits.add("profile " + name + " needs " + Profile.human(needed) + " of memory (" + breakdown(os, snapRunning ? snapMem : -1, heap, direct, overhead)
                    + "); this machine has " + Profile.human(m.memTotal() / MIB * MIB));
        }
        if (m.memoryLimit().isPresent() && memoryMax > m.memoryLimit().getAsLong()) {
            misfits.add("the cgroup " + m.cgroup() + " allows " + Profile.human(m.memoryLimit().getAsLong() / MIB * MIB)
                    + " (memory.max); the service needs " + Profile.human(memoryMax) + " (heap " + Profile.human(heap)
                    + " + direct " + Profile.human(direct) + " + JVM " + Profile.human(overhead) + ")");
        }
        long hugepageSize = Sizes.parse(s.hugepages.size, "hugepages.size");
        long memlock = s.memlock == null ? 64 * MIB : Sizes.parse(s.memlock, "memlock");

        String bindAddress = endpoint(s.nvmf.bind, interfaces, BIND_KEY, name, misfits, m);
        String metricsAddress = s.metrics.port > 0 ? endpoint(s.metrics, interfaces, METRICS_KEY, name, misfits, m) : null;
        require(s.nvmf.bind.port > 0 && s.nvmf.bind.port < 65536, name, "nvmf.bind.port must be 1..65535");

        List<String> jvm = new ArrayList<>();
        jvm.add("-Xms" + Sizes.format(heap));
        jvm.add("-Xmx" + Sizes.format(heap));
        jvm.add("-XX:MaxDirectMemorySize=" + Sizes.format(direct));
        // GC and JIT threads sized to the housekeeping CPUs, whatever affinity the JVM was started with.
        jvm.add("-XX:ActiveProcessorCount=" + Math.max(1, hk.length));
        jvm.addAll(s.jvm);
        Map<String, String> doors = new LinkedHashMap<>(s.frontDoors);
        doors.putIfAbsent("nvmf", "required");
        doors.putIfAbsent("ublk", "optional");
        for (Map.Entry<String, String> e : doors.entrySet()) {
            require(Set.of("nvmf", "ublk").contains(e.getKey()), name, "frontDoors: unknown front door " + e.getKey() + " (nvmf, ublk)");
            require(Set.of("required", "optional", "off").contains(e.getValue()), name,
                    "frontDoors." + e.getKey() + " must be required, optional or off");
        }
        require(s.ublk.depth >= 1 && s.ublk.depth <= 4096, name, "ublk.depth must be 1..4096");
        require(s.nvmf.maxQueueSize >= 2 && s.nvmf.maxIoQueues >= 1, name, "nvmf.maxQueueSize must be at least 2 and maxIoQueues at least 1");
        return new Profile(name, s.version, s.description == null ? "" : s.description.trim(), l.source(), s.target.arch,
                hk, data, snapCpus, snapRunning, scaledFrom, data.length, s.ublk.depth, s.nvmf.maxIoQueues, s.nvmf.maxQueueSize,
                s.nvmf.bind.iface, bindAddress, s.nvmf.bind.port,
                s.metrics.iface, metricsAddress, s.metrics.port,
                os, snapMem, heap, direct, overhead, memoryMax, hugepageSize, s.hugepages.snap, memlock,
                Map.copyOf(doors), List.copyOf(jvm), List.copyOf(misfits));
    }

    private static String breakdown(long os, long snap, long heap, long direct, long overhead) {
        return "OS " + Profile.human(os) + (snap >= 0 ? " + SNAP " + Profile.human(snap) : "") + " + heap " + Profile.human(heap)
                + " + direct " + Profile.human(direct) + " + JVM " + Profile.human(overhead);
    }

    /** An interface's first IPv4 address (else its first), or the given address; null (and a misfit) when neither is here. */
    private static String endpoint(ProfileSpec.Endpoint e, Map<String, List<String>> interfaces, String key, String name,
            List<String> misfits, Machine m) {
        if (e.address != null && !e.address.isBlank()) {
            return e.address.trim();
        }
        require(e.iface != null && !e.iface.isBlank(), name, key + " needs an interface or an address");
        if (m.cpusetSource().equals("the target")) {
            return null; // on its own target the interface is assumed; there is no address to show
        }
        List<String> addrs = interfaces.get(e.iface);
        if (addrs == null) {
            misfits.add(key + ": no network interface " + e.iface + " on this machine (it has " + String.join(", ", interfaces.keySet())
                    + "); set " + key + ".address or " + key + ".interface in a profile file that extends " + name);
            return null;
        }
        Optional<String> v4 = addrs.stream().filter(a -> a.indexOf(':') < 0).findFirst();
        if (v4.isEmpty() && addrs.isEmpty()) {
            misfits.add(key + ": interface " + e.iface + " has no address");
            return null;
        }
        return v4.orElse(addrs.get(0));
    }

    private static long scaled(String size, String key, double factor, long floor) {
        if (size == null || size.trim().equals("0")) {
            return 0;
        }
        long v = Sizes.parse(size, key);
        if (factor >= 1.0) {
            return v;
        }
        long s = (long) (v * factor) / MIB * MIB;
        return Math.max(floor, s);
    }

    private static int[] cpuList(String list, String profile, String key) {
        try {
            return CpuList.parse(list);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("profile " + profile + ": " + key + ": " + e.getMessage());
        }
    }

    private static void checkDisjoint(String profile, int[]... lists) {
        Set<Integer> seen = new LinkedHashSet<>();
        for (int[] l : lists) {
            for (int c : l) {
                if (!seen.add(c)) {
                    throw new IllegalArgumentException("profile " + profile + ": CPU " + c + " is in more than one of housekeeping, snap, data");
                }
            }
        }
    }

    private static void require(boolean ok, String profile, String what) {
        if (!ok) {
            throw new IllegalArgumentException("profile " + profile + ": " + what);
        }
    }

    static int[] union(int[] a, int[] b) {
        return IntStream.concat(Arrays.stream(a), Arrays.stream(b)).distinct().sorted().toArray();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
