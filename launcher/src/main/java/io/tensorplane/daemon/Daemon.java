package io.tensorplane.daemon;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.metrics.Metrics;
import io.tensorplane.engine.metrics.MetricsServer;
import io.tensorplane.nvmf.NvmfTarget;
import io.tensorplane.nvmf.TargetConfig;
import io.tensorplane.ublk.UblkServer;
import io.tensorplane.ublk.ctrl.UblkControl;
import io.tensorplane.uring.LibC;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * The running daemon: named devices, their ublk exports, the NVMe/TCP target and the metrics endpoint.
 * One device may be exported through ublk and NVMe/TCP at once: each front door's I/O threads open their
 * own channels on it. {@link #start} brings everything up (and on failure takes down what it started);
 * {@link #reload} applies what can change live and returns what it refused, with the reasons; {@link #close}
 * tears down in order: ublk exports (the kernel drains their I/O), the NVMe/TCP target (connections, then
 * the event loops' channels), the devices (traces drained and ended), the metrics endpoint.
 *
 * <p>Only the control thread calls these methods (start, the reload on SIGHUP, the close on SIGTERM).
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("io.tensorplane.daemon");

    /** One named device as it runs. */
    private static final class Running {
        final String name;
        final DaemonConfig.DeviceConfig config;
        final String spec;
        final BlockDevice device;
        UblkServer ublk;
        DaemonConfig.UblkConfig ublkConfig;

        Running(String name, DaemonConfig.DeviceConfig config, BlockDevice device) {
            this.name = name;
            this.config = config;
            this.spec = config.fullSpec();
            this.device = device;
        }
    }

    private final Map<String, Running> devices = new LinkedHashMap<>();
    /** The devices by name as the target sees them: it looks names up when a namespace is added, so this follows reloads. */
    private final Map<String, BlockDevice> shared = new java.util.concurrent.ConcurrentHashMap<>();
    private DaemonConfig.MetricsConfig metricsConfig;
    private MetricsServer metrics;
    private NvmfTarget nvmf;
    /** The target's configuration as applied (subsystems and namespaces follow live changes). */
    private TargetConfig nvmfConfig;

    private Daemon() {
    }

    /** Brings up a validated configuration; on failure closes what it started and rethrows. */
    public static Daemon start(DaemonConfig cfg) throws InterruptedException {
        for (Map.Entry<String, DaemonConfig.DeviceConfig> e : cfg.devices.entrySet()) {
            if (e.getValue().ublk != null) {
                requireUblk("devices." + e.getKey() + ".ublk");
            }
        }
        Daemon d = new Daemon();
        try {
            for (Map.Entry<String, DaemonConfig.DeviceConfig> e : cfg.devices.entrySet()) {
                d.open(e.getKey(), e.getValue());
            }
            d.metricsConfig = cfg.metrics;
            if (cfg.metrics.port > 0) {
                d.metrics = MetricsServer.start(new InetSocketAddress(cfg.metrics.address, cfg.metrics.port));
                LOG.info("metrics on http://" + cfg.metrics.address + ":" + d.metrics.port() + "/metrics");
            }
            if (cfg.nvmf != null) {
                for (TargetConfig.SubsystemConfig sc : cfg.nvmf.subsystems) {
                    pinNsids(sc);
                }
                d.nvmf = NvmfTarget.start(cfg.nvmf, d.shared);
                d.nvmfConfig = cfg.nvmf;
            }
            for (Running r : d.devices.values()) {
                if (r.config.ublk != null) {
                    d.export(r, r.config.ublk);
                }
            }
            return d;
        } catch (RuntimeException | InterruptedException e) {
            d.close();
            throw e;
        }
    }

    /**
     * Writes each namespace's NSID into its entry, so that the applied configuration keeps them when a
     * namespace before them is removed live (a positional NSID would shift).
     */
    private static void pinNsids(TargetConfig.SubsystemConfig sc) {
        for (Map.Entry<Integer, TargetConfig.NamespaceConfig> e : DaemonConfig.byNsid(sc).entrySet()) {
            e.getValue().nsid = e.getKey();
        }
    }

    private void open(String name, DaemonConfig.DeviceConfig c) {
        BlockDevice dev = Metrics.meter(Devices.open(c.fullSpec()), name);
        devices.put(name, new Running(name, c, dev));
        shared.put(name, dev);
        LOG.info("device " + name + ": " + Devices.describe(dev));
    }

    /** What a ublk export needs of this machine, checked before anything starts. */
    private static void requireUblk(String field) {
        if (!UblkControl.driverLoaded()) {
            throw new IllegalArgumentException(field + ": the kernel's ublk driver is not loaded: run 'modprobe ublk_drv' as root");
        }
        if (LibC.geteuid() != 0) {
            throw new IllegalArgumentException(field + ": ublk needs root: run with sudo");
        }
    }

    private void export(Running r, DaemonConfig.UblkConfig u) {
        UblkServer.Config cfg = new UblkServer.Config();
        cfg.id = u.id;
        cfg.queues = u.queues;
        cfg.depth = u.depth;
        cfg.copyMode = UblkServer.CopyMode.valueOf(u.copy.toUpperCase(java.util.Locale.ROOT));
        cfg.spinMicros = u.spinUs;
        cfg.pin = u.pin;
        cfg.ioScheduler = "kernel".equals(u.ioScheduler) ? null : u.ioScheduler;
        // The ublk server closes its device when it stops; this one is shared, so it gets a view that does not.
        r.ublk = UblkServer.start(new Unclosed(r.device), cfg);
        r.ublkConfig = u;
        LOG.info("device " + r.name + ": ublk export " + r.ublk.blockPath() + " (" + u.queues + " queue(s), depth " + u.depth + ")");
    }

    private void unexport(Running r) {
        String path = r.ublk.blockPath();
        r.ublk.close();
        r.ublk = null;
        r.ublkConfig = null;
        LOG.info("device " + r.name + ": ublk export " + path + " removed");
    }

    /** The full specs of the running devices: a reload does not check these again (their trace directories are in use). */
    public java.util.Set<String> runningSpecs() {
        java.util.Set<String> s = new java.util.HashSet<>();
        for (Running r : devices.values()) {
            s.add(r.spec);
        }
        return s;
    }

    /** The running target, or null (tests). */
    NvmfTarget target() {
        return nvmf;
    }

    /** A named device as the front doors get it, or null (tests). */
    BlockDevice device(String name) {
        Running r = devices.get(name);
        return r == null ? null : r.device;
    }

    /** What is running, for the line printed once serving and after each reload. */
    public Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        List<Map<String, Object>> devs = new ArrayList<>();
        for (Running r : devices.values()) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("name", r.name);
            d.put("spec", r.spec);
            d.put("size", r.device.sizeBytes());
            if (r.ublk != null) {
                d.put("ublk", r.ublk.blockPath());
                d.put("ublkId", r.ublk.id());
            }
            devs.add(d);
        }
        s.put("devices", devs);
        if (nvmf != null) {
            List<String> listen = new ArrayList<>();
            for (InetSocketAddress a : nvmf.ioAddresses()) {
                listen.add(a.getAddress().getHostAddress() + ":" + a.getPort());
            }
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("listen", listen);
            List<Map<String, Object>> subs = new ArrayList<>();
            for (TargetConfig.SubsystemConfig sc : nvmfConfig.subsystems) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("nqn", sc.nqn);
                List<Integer> nsids = new ArrayList<>(DaemonConfig.byNsid(sc).keySet());
                m.put("nsids", nsids);
                subs.add(m);
            }
            n.put("subsystems", subs);
            s.put("nvmf", n);
        }
        if (metrics != null) {
            s.put("metricsPort", metrics.port());
        }
        return s;
    }

    /**
     * Applies a new, validated configuration as far as it can change live: devices and ublk exports added or
     * removed, NVMe/TCP subsystems and namespaces added or removed. Everything else that differs is left as
     * it runs and reported.
     *
     * @return what was refused, one line each naming the field and the reason (empty: all applied)
     */
    public List<String> reload(DaemonConfig next) {
        List<String> refused = new ArrayList<>();
        if (!Objects.equals(next.metrics.port, metricsConfig.port) || !Objects.equals(next.metrics.address, metricsConfig.address)) {
            refused.add("metrics: the endpoint cannot move live (restart the daemon to apply)");
        }
        // Devices that stay: their spec, trace and emulation cannot change under running I/O.
        List<Running> removedExports = new ArrayList<>();
        Map<Running, DaemonConfig.UblkConfig> addedExports = new LinkedHashMap<>();
        for (Running r : devices.values()) {
            DaemonConfig.DeviceConfig n = next.devices.get(r.name);
            if (n == null) {
                continue;
            }
            if (!n.fullSpec().equals(r.spec)) {
                refused.add("devices." + r.name + ": spec, trace and emulation cannot change live (running: " + r.spec
                        + "; restart the daemon, or remove the device, reload, and add it again)");
                continue;
            }
            if (r.ublkConfig != null && n.ublk == null) {
                removedExports.add(r);
            } else if (r.ublkConfig == null && n.ublk != null) {
                addedExports.put(r, n.ublk);
            } else if (r.ublkConfig != null && !r.ublkConfig.equals(n.ublk)) {
                refused.add("devices." + r.name + ".ublk: the settings of a live export cannot change (remove the export, reload, add it again)");
            }
        }
        List<Running> removedDevices = new ArrayList<>();
        for (Running r : devices.values()) {
            if (!next.devices.containsKey(r.name)) {
                removedDevices.add(r);
            }
        }
        // The target: only subsystems and namespaces change live.
        List<Runnable> nvmfRemovals = new ArrayList<>();
        List<Runnable> nvmfAdditions = new ArrayList<>();
        if (nvmf == null && next.nvmf != null) {
            refused.add("nvmf: the NVMe/TCP target cannot be started live (restart the daemon to apply)");
        } else if (nvmf != null && next.nvmf == null) {
            refused.add("nvmf: the NVMe/TCP target cannot be stopped live (restart the daemon to apply)");
        } else if (nvmf != null) {
            String diff = targetSettingsDiffer(nvmfConfig, next.nvmf);
            if (diff != null) {
                refused.add("nvmf." + diff + ": cannot change live (only subsystems and namespaces can; restart the daemon to apply)");
            }
            planSubsystems(next, refused, nvmfRemovals, nvmfAdditions);
        }
        // A device in use by a namespace that stays cannot go.
        for (Running r : new ArrayList<>(removedDevices)) {
            if (nvmfConfig != null && next.nvmf != null && usedAfter(r.name, next.nvmf)) {
                refused.add("devices." + r.name + ": still the device of an nvmf namespace");
                removedDevices.remove(r);
            }
        }
        // Removals first (exports, namespaces, devices), then additions (devices, namespaces, exports).
        for (Running r : removedExports) {
            apply(refused, "devices." + r.name + ".ublk", () -> unexport(r));
        }
        for (Running r : removedDevices) {
            if (r.ublk != null) {
                apply(refused, "devices." + r.name + ".ublk", () -> unexport(r));
            }
        }
        nvmfRemovals.forEach(Runnable::run);
        for (Running r : removedDevices) {
            if (r.ublk == null) {
                apply(refused, "devices." + r.name, () -> {
                    devices.remove(r.name);
                    shared.remove(r.name);
                    r.device.close();
                    LOG.info("device " + r.name + " closed");
                });
            }
        }
        for (Map.Entry<String, DaemonConfig.DeviceConfig> e : next.devices.entrySet()) {
            if (!devices.containsKey(e.getKey())) {
                apply(refused, "devices." + e.getKey(), () -> {
                    open(e.getKey(), e.getValue());
                    if (e.getValue().ublk != null) {
                        try {
                            export(devices.get(e.getKey()), e.getValue().ublk);
                        } catch (RuntimeException x) {
                            shared.remove(e.getKey());
                            devices.remove(e.getKey()).device.close();
                            throw x;
                        }
                    }
                });
            }
        }
        nvmfAdditions.forEach(Runnable::run);
        for (Map.Entry<Running, DaemonConfig.UblkConfig> e : addedExports.entrySet()) {
            String field = "devices." + e.getKey().name + ".ublk";
            apply(refused, field, () -> {
                requireUblk(field);
                export(e.getKey(), e.getValue());
            });
        }
        return refused;
    }

    private static void apply(List<String> refused, String field, Runnable change) {
        try {
            change.run();
        } catch (RuntimeException e) {
            refused.add(field + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private static boolean usedAfter(String device, TargetConfig next) {
        for (TargetConfig.SubsystemConfig s : next.subsystems) {
            for (TargetConfig.NamespaceConfig n : s.namespaces) {
                if (device.equals(n.device)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Plans subsystem and namespace changes; namespaces on devices that are about to open are added after them. */
    private void planSubsystems(DaemonConfig next, List<String> refused, List<Runnable> removals, List<Runnable> additions) {
        Map<String, TargetConfig.SubsystemConfig> now = new LinkedHashMap<>();
        for (TargetConfig.SubsystemConfig s : nvmfConfig.subsystems) {
            now.put(s.nqn, s);
        }
        Map<String, TargetConfig.SubsystemConfig> then = new LinkedHashMap<>();
        for (TargetConfig.SubsystemConfig s : next.nvmf.subsystems) {
            then.put(s.nqn, s);
        }
        for (TargetConfig.SubsystemConfig s : now.values()) {
            if (!then.containsKey(s.nqn)) {
                removals.add(() -> {
                    try {
                        nvmf.removeSubsystem(s.nqn);
                        nvmfConfig.subsystems.remove(s);
                    } catch (RuntimeException e) {
                        refused.add("nvmf.subsystems " + s.nqn + ": " + e.getMessage());
                    }
                });
            }
        }
        for (TargetConfig.SubsystemConfig s : then.values()) {
            TargetConfig.SubsystemConfig old = now.get(s.nqn);
            if (old == null) {
                additions.add(() -> {
                    try {
                        pinNsids(s);
                        nvmf.addSubsystem(s);
                        nvmfConfig.subsystems.add(s);
                    } catch (RuntimeException e) {
                        refused.add("nvmf.subsystems " + s.nqn + ": " + e.getMessage());
                    }
                });
                continue;
            }
            if (!new java.util.HashSet<>(old.allowHosts).equals(new java.util.HashSet<>(s.allowHosts))) {
                refused.add("nvmf.subsystems " + s.nqn + ".allowHosts: cannot change live (remove the subsystem, reload, add it again)");
            }
            Map<Integer, TargetConfig.NamespaceConfig> was = DaemonConfig.byNsid(old);
            Map<Integer, TargetConfig.NamespaceConfig> will = DaemonConfig.byNsid(s);
            for (Map.Entry<Integer, TargetConfig.NamespaceConfig> e : was.entrySet()) {
                TargetConfig.NamespaceConfig n = will.get(e.getKey());
                if (n == null || !DaemonConfig.sameNamespace(n, e.getValue())) {
                    int nsid = e.getKey();
                    removals.add(() -> {
                        try {
                            nvmf.removeNamespace(old.nqn, nsid);
                            old.namespaces.remove(e.getValue());
                        } catch (RuntimeException x) {
                            refused.add("nvmf.subsystems " + old.nqn + " nsid " + nsid + ": " + x.getMessage());
                        }
                    });
                }
            }
            for (Map.Entry<Integer, TargetConfig.NamespaceConfig> e : will.entrySet()) {
                TargetConfig.NamespaceConfig o = was.get(e.getKey());
                if (o == null || !DaemonConfig.sameNamespace(o, e.getValue())) {
                    int nsid = e.getKey();
                    additions.add(() -> {
                        TargetConfig.NamespaceConfig n = e.getValue();
                        TargetConfig.NamespaceConfig fixed = new TargetConfig.NamespaceConfig();
                        fixed.spec = n.spec;
                        fixed.device = n.device;
                        fixed.uuid = n.uuid;
                        fixed.nsid = nsid;
                        try {
                            nvmf.addNamespace(old.nqn, fixed);
                            old.namespaces.add(fixed);
                        } catch (RuntimeException x) {
                            refused.add("nvmf.subsystems " + old.nqn + " nsid " + nsid + ": " + x.getMessage());
                        }
                    });
                }
            }
        }
    }

    /** The first target setting (other than subsystems) that differs, or null. */
    private static String targetSettingsDiffer(TargetConfig a, TargetConfig b) {
        if (!a.listen.equals(b.listen)) {
            return "listen";
        }
        if (a.discoveryPort != b.discoveryPort) {
            return "discoveryPort";
        }
        if (a.metricsPort != b.metricsPort) {
            return "metricsPort";
        }
        if (a.threads != b.threads) {
            return "threads";
        }
        if (!Objects.equals(a.cpus, b.cpus)) {
            return "cpus";
        }
        if (!Objects.equals(a.transport, b.transport)) {
            return "transport";
        }
        if (a.spinMicros != b.spinMicros) {
            return "spinMicros";
        }
        if (a.mdts != b.mdts || a.inlineDataSize != b.inlineDataSize || a.maxIoQueues != b.maxIoQueues
                || a.maxQueueSize != b.maxQueueSize) {
            return "mdts, inlineDataSize, maxIoQueues or maxQueueSize";
        }
        return null;
    }

    /** Tears down in order; safe to call more than once and after a failed start. */
    @Override
    public void close() {
        for (Running r : devices.values()) {
            if (r.ublk != null) {
                try {
                    String path = r.ublk.blockPath();
                    r.ublk.close();
                    r.ublk = null;
                    say("INFO", "device " + r.name + ": ublk export " + path + " removed");
                } catch (RuntimeException e) {
                    say("WARNING", "device " + r.name + ": removing the ublk export failed: " + e.getMessage());
                }
            }
        }
        if (nvmf != null) {
            try {
                nvmf.close();
                say("INFO", "nvmf target stopped");
            } catch (RuntimeException e) {
                say("WARNING", "stopping the nvmf target failed: " + e.getMessage());
            }
            nvmf = null;
        }
        for (Running r : devices.values()) {
            try {
                r.device.close();
                say("INFO", "device " + r.name + " closed");
            } catch (RuntimeException e) {
                say("WARNING", "device " + r.name + ": closing failed: " + e.getMessage());
            }
        }
        devices.clear();
        shared.clear();
        if (metrics != null) {
            metrics.close();
            metrics = null;
            say("INFO", "metrics endpoint closed");
        }
    }

    /**
     * A line on stderr in the log's format, not through java.util.logging: on SIGTERM its own shutdown hook
     * closes the handlers while this teardown runs, and the lines would be lost.
     */
    private static void say(String level, String message) {
        System.err.printf("%1$tF %1$tT.%1$tL %2$s %3$s%n", System.currentTimeMillis(), level, message);
        System.err.flush();
    }

    /** A shared device as one front door sees it: everything passes through, except that closing is the daemon's. */
    static final class Unclosed implements BlockDevice {
        private final BlockDevice inner;

        Unclosed(BlockDevice inner) {
            this.inner = inner;
        }

        @Override public String spec() { return inner.spec(); }
        @Override public long sizeBytes() { return inner.sizeBytes(); }
        @Override public int blockSize() { return inner.blockSize(); }
        @Override public Capabilities capabilities() { return inner.capabilities(); }
        @Override public IoChannel openChannel(ChannelHost host) { return inner.openChannel(host); }

        @Override
        public void close() {
            // the daemon closes the device once every front door has let go of it
        }
    }
}
