package io.tensorplane.dpu.profile;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tensorplane.dpu.host.Host;
import io.tensorplane.dpu.host.LiveHost;
import io.tensorplane.engine.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code profile show NAME} and {@code profile list}: a deployment profile's effective settings on this machine. */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Deployment profiles (BlueField-3, BlueField-2, generic arm64, x86 development): show what one sets on this machine.",
        subcommands = {ProfileCommand.Show.class, ProfileCommand.ListProfiles.class})
public final class ProfileCommand implements Runnable {
    /** Exit code of a profile that does not fit this machine. */
    public static final int MISFIT = 1;

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Output formats of {@code profile show}. */
    enum Format { text, json, env, systemd }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Print a profile's effective settings on this machine, and why it does not fit if it does not.",
                "Exit code: 0 it fits, 1 it does not fit this machine (reasons printed), 2 unknown profile or bad file."})
    public static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "bluefield3, bluefield3-e, bluefield2, generic-arm64, x86-dev, auto (the one for this machine), or a profile file")
        String name;

        @Option(names = "--json", description = "Print JSON (same as --format json).")
        boolean json;

        @Option(names = "--format", paramLabel = "FORMAT",
                description = "text (default), json, env (NAME=VALUE lines the launcher reads), systemd (a drop-in for tensorplane.service)")
        Format format;

        @Option(names = "--target", description = "Show the profile as on the machine it is written for (all its cores and memory, SNAP running), not on this one.")
        boolean target;

        Host host = new LiveHost();

        @Override
        public Integer call() {
            Profile p;
            try {
                p = target ? Profiles.onTarget(name, host) : Profiles.resolve(name, host);
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("tensorplane: " + e.getMessage());
                return 2;
            }
            Format f = json ? Format.json : format == null ? Format.text : format;
            PrintWriter out = spec.commandLine().getOut();
            switch (f) {
                case json -> out.println(toJson(p, target).toPrettyString());
                case env -> {
                    out.println("TENSORPLANE_PROFILE_ARG=" + name);
                    env(p).forEach((k, v) -> out.println(k + "=" + v));
                }
                case systemd -> out.print(systemdDropIn(p, name));
                default -> text(p, target, out);
            }
            out.flush();
            return target || p.fits() ? 0 : MISFIT;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the built-in profiles and the one 'auto' picks here.")
    public static final class ListProfiles implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Host host = new LiveHost();
            String auto = Profiles.detect(host);
            for (String n : Profiles.BUILT_IN) {
                Profile p = Profiles.onTarget(n, host);
                out.printf("%-14s %s%s%n", n, p.description(), n.equals(auto) ? "   <- auto" : "");
            }
            return 0;
        }
    }

    /** The settings as JSON: what {@code --json} prints. */
    static ObjectNode toJson(Profile p, boolean onTarget) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", p.name());
        n.put("version", p.version());
        n.put("description", p.description());
        n.put("source", p.source());
        n.put("arch", p.arch());
        n.put("machine", onTarget ? "target" : "this");
        n.put("fits", p.fits());
        ArrayNode mis = n.putArray("misfits");
        p.misfits().forEach(mis::add);
        if (p.scaledFrom() != null) {
            n.put("scaledFrom", p.scaledFrom());
        }
        ObjectNode cpus = n.putObject("cpus");
        cpus.put("housekeeping", Profile.cpus(p.housekeeping()));
        cpus.put("data", Profile.cpus(p.data()));
        cpus.put("snap", Profile.cpus(p.snap()));
        cpus.put("snapRunning", p.snapRunning());
        ObjectNode ublk = n.putObject("ublk");
        ublk.put("queues", p.ublkQueues());
        ublk.put("depth", p.ublkDepth());
        ObjectNode nvmf = n.putObject("nvmf");
        nvmf.put("eventLoops", p.data().length);
        nvmf.put("maxIoQueues", p.nvmfMaxIoQueues());
        nvmf.put("maxQueueSize", p.nvmfMaxQueueSize());
        nvmf.put("bindInterface", p.bindInterface());
        nvmf.put("bindAddress", p.bindAddress());
        nvmf.put("port", p.bindPort());
        nvmf.put("listen", p.listen());
        ObjectNode metrics = n.putObject("metrics");
        metrics.put("interface", p.metricsInterface());
        metrics.put("address", p.metricsAddress());
        metrics.put("port", p.metricsPort());
        ObjectNode mem = n.putObject("memory");
        mem.put("heap", p.heap());
        mem.put("direct", p.direct());
        mem.put("jvmOverhead", p.jvmOverhead());
        mem.put("serviceMax", p.memoryMax());
        mem.put("os", p.osMemory());
        mem.put("snap", p.snapMemory());
        mem.put("needed", p.memoryNeeded());
        ObjectNode huge = n.putObject("hugepages");
        huge.put("size", p.hugepageSize());
        huge.put("snap", p.snapHugepages());
        n.put("memlock", p.memlock());
        ObjectNode doors = n.putObject("frontDoors");
        p.frontDoors().forEach(doors::put);
        ArrayNode jvm = n.putArray("jvm");
        p.jvmFlags().forEach(jvm::add);
        return n;
    }

    static void text(Profile p, boolean onTarget, PrintWriter out) {
        out.printf("profile %s (format %d, %s)%n", p.name(), p.version(), p.source());
        if (!p.description().isEmpty()) {
            out.println("  " + p.description());
        }
        if (onTarget) {
            out.println("as on its target machine (" + p.arch() + ")");
        } else if (p.fits()) {
            out.println("fits this machine" + (p.scaledFrom() != null ? " (scaled from " + p.scaledFrom() + ")" : ""));
        } else {
            out.println("does NOT fit this machine:");
            p.misfits().forEach(m -> out.println("  - " + m));
        }
        out.printf("%-12s housekeeping %s, data %s, SNAP %s%s%n", "cpus", Profile.cpus(p.housekeeping()), Profile.cpus(p.data()),
                Profile.cpus(p.snap()), !p.snapRunning() ? " (SNAP not running: its CPUs serve I/O)"
                        : onTarget ? " (with SNAP running, as the target is planned)" : " (SNAP running)");
        out.printf("%-12s queues %d, depth %d%n", "ublk", p.ublkQueues(), p.ublkDepth());
        out.printf("%-12s listen %s, event loops %d, at most %d I/O queues of depth %d%n", "nvmf", p.listen(), p.data().length,
                p.nvmfMaxIoQueues(), p.nvmfMaxQueueSize());
        out.printf("%-12s %s%n", "metrics", p.metricsPort() > 0 ? "http://" + p.metricsListen() + "/metrics" : "off");
        out.printf("%-12s heap %s + direct %s + JVM %s = service limit %s; with OS %s%s: %s%n", "memory",
                Profile.human(p.heap()), Profile.human(p.direct()), Profile.human(p.jvmOverhead()), Profile.human(p.memoryMax()),
                Profile.human(p.osMemory()), p.snapRunning() ? " and SNAP " + Profile.human(p.snapMemory()) : "", Profile.human(p.memoryNeeded()));
        out.printf("%-12s %s pages, %d held by SNAP%n", "hugepages", Profile.human(p.hugepageSize()), p.snapRunning() ? p.snapHugepages() : 0);
        out.printf("%-12s at least %s%n", "memlock", Profile.human(p.memlock()));
        StringBuilder doors = new StringBuilder();
        p.frontDoors().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> doors.append(doors.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue()));
        out.printf("%-12s %s%n", "front doors", doors);
        out.printf("%-12s %s%n", "jvm", String.join(" ", p.jvmFlags()));
    }

    /** What the launcher reads to start the JVM ({@code TENSORPLANE_PROFILE_*}). */
    static Map<String, String> env(Profile p) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("TENSORPLANE_PROFILE_NAME", p.name());
        m.put("TENSORPLANE_PROFILE_FITS", p.fits() ? "yes" : "no");
        m.put("TENSORPLANE_PROFILE_JVM", String.join(" ", p.jvmFlags()));
        m.put("TENSORPLANE_PROFILE_HOUSEKEEPING_CPUS", Profile.cpus(p.housekeeping()));
        m.put("TENSORPLANE_PROFILE_DATA_CPUS", Profile.cpus(p.data()));
        m.put("TENSORPLANE_PROFILE_UBLK_QUEUES", String.valueOf(p.ublkQueues()));
        m.put("TENSORPLANE_PROFILE_UBLK_DEPTH", String.valueOf(p.ublkDepth()));
        m.put("TENSORPLANE_PROFILE_LISTEN", p.listen());
        m.put("TENSORPLANE_PROFILE_MEMORY_MAX", String.valueOf(p.memoryMax()));
        return m;
    }

    /** A drop-in for {@code tensorplane.service}: CPU affinity, cgroup CPUs and memory, memlock, the JVM flags. */
    static String systemdDropIn(Profile p, String arg) {
        StringBuilder b = new StringBuilder();
        b.append("# Generated by 'tensorplane profile show ").append(p.name()).append(" --format systemd' (")
                .append(p.fits() ? "fits this machine" : "does NOT fit this machine: " + String.join("; ", p.misfits())).append(")\n");
        b.append("[Service]\n");
        b.append("# The JVM (OS-facing, JIT and GC threads) on the housekeeping CPUs; I/O threads pin themselves to the data CPUs.\n");
        b.append("CPUAffinity=").append(Profile.cpus(p.housekeeping()).replace(',', ' ')).append('\n');
        b.append("AllowedCPUs=").append(Profile.cpus(p.serviceCpus())).append('\n');
        b.append("MemoryMax=").append(p.memoryMax()).append('\n');
        b.append("LimitMEMLOCK=").append(p.memlock()).append('\n');
        b.append("Environment=\"TENSORPLANE_PROFILE_ARG=").append(arg).append("\"\n");
        for (Map.Entry<String, String> e : env(p).entrySet()) {
            b.append("Environment=\"").append(e.getKey()).append('=').append(e.getValue()).append("\"\n");
        }
        return b.toString();
    }
}
