package io.tensorplane.dpu.profile;

import io.tensorplane.dpu.host.LiveHost;
import io.tensorplane.engine.poll.CpuList;
import io.tensorplane.nvmf.TargetConfig;
import io.tensorplane.nvmf.TargetProfiles;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * {@code serve --profile NAME}: the profile decides the event-loop CPUs (its data CPUs), the queue limits, and where
 * NVMe/TCP and metrics listen unless the configuration names its own addresses. A profile that does not fit this
 * machine, or a configuration that pins event loops elsewhere, is refused with the reasons.
 */
public final class ProfiledTarget implements TargetProfiles {
    private static final Logger LOG = Logger.getLogger(ProfiledTarget.class.getName());
    private static final TargetConfig DEFAULTS = new TargetConfig();

    @Override
    public void apply(String name, TargetConfig cfg) {
        Profile p = Profiles.resolve(name, new LiveHost());
        apply(p, cfg, ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    static void apply(Profile p, TargetConfig cfg, List<String> jvmArgs) {
        List<String> misfits = new ArrayList<>();
        for (String m : p.misfits()) {
            boolean ownListen = m.startsWith(Profiles.BIND_KEY) && !cfg.listen.isEmpty();
            boolean ownMetrics = m.startsWith(Profiles.METRICS_KEY) && cfg.metricsPort > 0;
            if (!ownListen && !ownMetrics) {
                misfits.add(m);
            }
        }
        if (!misfits.isEmpty()) {
            throw new IllegalArgumentException("profile " + p.name() + " does not fit this machine: " + String.join("; ", misfits));
        }
        String data = CpuList.format(p.data());
        String c = cfg.cpus == null ? "auto" : cfg.cpus.trim();
        if (!c.equals("auto") && !CpuList.format(CpuList.parse(c.equals("none") ? "" : c)).equals(data)) {
            throw new IllegalArgumentException("the configuration sets cpus: " + c + ", but profile " + p.name()
                    + " puts event loops on its data CPUs " + data + "; remove cpus from the configuration or change the profile");
        }
        if (cfg.threads > 0 && cfg.threads != p.data().length) {
            throw new IllegalArgumentException("the configuration sets threads: " + cfg.threads + ", but profile " + p.name()
                    + " runs one event loop on each of its " + p.data().length + " data CPUs (" + data + ")");
        }
        cfg.cpus = data;
        cfg.threads = 0;
        if (cfg.maxIoQueues == DEFAULTS.maxIoQueues) {
            cfg.maxIoQueues = p.nvmfMaxIoQueues();
        }
        if (cfg.maxQueueSize == DEFAULTS.maxQueueSize) {
            cfg.maxQueueSize = p.nvmfMaxQueueSize();
        }
        if (cfg.listen.isEmpty()) {
            cfg.listen = new ArrayList<>(List.of(p.listen()));
        }
        if (cfg.metricsPort == 0 && p.metricsPort() > 0 && p.metricsAddress() != null) {
            cfg.metricsPort = p.metricsPort();
            cfg.metricsAddress = p.metricsAddress();
        }
        List<String> missing = missingFlags(p, jvmArgs);
        LOG.info("profile " + p.name() + (p.scaledFrom() != null ? " (scaled from " + p.scaledFrom() + ")" : "")
                + ": event loops on CPUs " + data + ", housekeeping " + Profile.cpus(p.housekeeping())
                + ", listen " + String.join(",", cfg.listen) + (cfg.metricsPort > 0 ? ", metrics port " + cfg.metricsPort : ""));
        if (!missing.isEmpty()) {
            LOG.warning("profile " + p.name() + ": this JVM was started without the profile's flags " + missing
                    + "; the tensorplane launcher and the systemd unit apply them (see 'profile show " + p.name() + " --format env')");
        }
    }

    /** The profile's JVM flags that are not on this JVM's command line. */
    static List<String> missingFlags(Profile p, List<String> jvmArgs) {
        List<String> missing = new ArrayList<>();
        for (String f : p.jvmFlags()) {
            if (!jvmArgs.contains(f)) {
                missing.add(f);
            }
        }
        return missing;
    }
}
