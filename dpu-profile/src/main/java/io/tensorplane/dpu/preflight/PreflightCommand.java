package io.tensorplane.dpu.preflight;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tensorplane.dpu.host.Host;
import io.tensorplane.dpu.host.LiveHost;
import io.tensorplane.dpu.profile.Profile;
import io.tensorplane.dpu.profile.Profiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code preflight [--profile NAME] [--json]}: can this machine run the profile, and what will it lack. */
@Command(name = "preflight", mixinStandardHelpOptions = true,
        description = {"Check that this machine can run a profile.",
            "It checks CPU and LSE atomics, page size and hugepages, the kernel and what it means for ublk and NVMe/TCP,",
            "io_uring (and why not), ublk_drv features, the cgroup's CPUs and memory, RLIMIT_MEMLOCK, SNAP, the listen",
            "and metrics addresses.",
            "Exit code: 0 the profile can run (warnings allowed), 1 a check failed, 2 unknown profile or bad profile file."})
public final class PreflightCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--profile", paramLabel = "NAME", description = "profile to check for (default: ${DEFAULT-VALUE}, the built-in one for this machine)",
            defaultValue = Profiles.AUTO)
    String profile;

    @Option(names = "--json", description = "Print JSON: {profile, canRun, checks: [{check, status, detail}]}.")
    boolean json;

    Host host = new LiveHost();

    @Override
    public Integer call() {
        Profile p;
        try {
            p = Profiles.resolve(profile, host);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("tensorplane: " + e.getMessage());
            return 2;
        }
        List<Check> checks = Preflight.run(host, p);
        boolean ok = Preflight.canRun(checks);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode n = new ObjectMapper().createObjectNode();
            n.put("profile", p.name());
            n.put("source", p.source());
            n.put("canRun", ok);
            ArrayNode a = n.putArray("checks");
            for (Check c : checks) {
                a.addObject().put("check", c.name()).put("status", c.status().name().toLowerCase(java.util.Locale.ROOT)).put("detail", c.detail());
            }
            out.println(n.toPrettyString());
        } else {
            out.println("preflight for profile " + p.name() + " (" + p.source() + ")");
            for (Check c : checks) {
                out.printf("%-4s  %-13s %s%n", c.status(), c.name(), c.detail());
            }
            long warn = checks.stream().filter(c -> c.status() == Check.Status.WARN).count();
            long fail = checks.stream().filter(c -> c.status() == Check.Status.FAIL).count();
            out.println(ok ? "result: profile " + p.name() + " can run here" + (warn > 0 ? " (" + warn + " warning" + (warn > 1 ? "s" : "") + ")" : "")
                    : "result: profile " + p.name() + " cannot run here (" + fail + " failed)");
        }
        out.flush();
        return ok ? 0 : 1;
    }
}
