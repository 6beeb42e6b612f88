package io.tensorplane.nvmf;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.metrics.Metrics;
import io.tensorplane.engine.metrics.MetricsServer;
import io.tensorplane.nvmf.admin.IdentifyController;
import io.tensorplane.nvmf.admin.LogPages;
import io.tensorplane.nvmf.core.Stats;
import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.subsystem.Namespace;
import io.tensorplane.nvmf.subsystem.Port;
import io.tensorplane.nvmf.subsystem.Registry;
import io.tensorplane.nvmf.subsystem.Subsystem;
import io.tensorplane.nvmf.subsystem.TargetOptions;
import io.tensorplane.nvmf.transport.LoopContexts;
import io.tensorplane.nvmf.transport.TcpServer;
import io.tensorplane.nvmf.transport.Transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToLongFunction;
import java.util.logging.Logger;

/**
 * The NVMe/TCP target: opens the engine devices, builds the subsystems, listens, and serves until
 * closed. The reusable entry point behind {@code nvmf serve} and {@code serve --config}.
 */
public final class NvmfTarget implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NvmfTarget.class.getName());
    /**
     * The target whose counters are in the process-wide registry ({@link Metrics#registry()}, beside the metered
     * devices), so that every metrics endpoint of the process (this target's own, {@code serve --config}'s) shows
     * them. A process serves one target; a second started while it runs is not metered (tests start several).
     */
    private static final AtomicReference<NvmfTarget> METERED = new AtomicReference<>();

    private final Registry registry;
    private final TcpServer server;
    /** Devices the target opened from specs, and closes; shared ones belong to the caller. */
    private final List<BlockDevice> devices;
    private final Map<String, BlockDevice> shared;
    private int nextGlobalIndex;
    private final List<InetSocketAddress> ioAddresses = new ArrayList<>();
    private InetSocketAddress discoveryAddress;
    private MetricsServer metricsServer;
    /** This target's meters in {@link Metrics#registry()}, removed when it closes; empty if it is not metered. */
    private final List<Meter> meters = new ArrayList<>();

    private NvmfTarget(Registry registry, TcpServer server, List<BlockDevice> devices, Map<String, BlockDevice> shared,
                       int nextGlobalIndex) {
        this.registry = registry;
        this.server = server;
        this.devices = devices;
        this.shared = shared;
        this.nextGlobalIndex = nextGlobalIndex;
    }

    /** Starts a target; on failure everything opened so far is closed and the exception says what was wrong. */
    public static NvmfTarget start(TargetConfig cfg) throws InterruptedException {
        return start(cfg, Map.of());
    }

    /**
     * Starts a target whose namespaces may name devices the caller opened ({@code device: NAME} in the
     * configuration) and shares with other front doors: the target opens its own channels on them and never
     * closes them. The map is read whenever a namespace is added, so the caller may add devices to it for
     * later {@link #addNamespace} and {@link #addSubsystem} calls.
     */
    public static NvmfTarget start(TargetConfig cfg, Map<String, BlockDevice> sharedDevices) throws InterruptedException {
        if (cfg.listen.isEmpty()) {
            throw new IllegalArgumentException("no listen address (e.g. --listen 127.0.0.1:4420)");
        }
        if (cfg.subsystems.isEmpty()) {
            throw new IllegalArgumentException("no subsystem configured");
        }
        cfg.checkPorts();
        TargetOptions o = new TargetOptions();
        o.mdts = cfg.mdts;
        o.pieceSize = cfg.pieceSize;
        o.inlineDataSize = cfg.inlineDataSize;
        o.maxIoQueues = cfg.maxIoQueues;
        o.maxQueueSize = cfg.maxQueueSize;
        Registry reg = new Registry(o);
        List<InetSocketAddress> addrs = new ArrayList<>();
        for (String l : cfg.listen) {
            addrs.add(parseAddress(l, 4420));
        }
        List<BlockDevice> devices = new ArrayList<>();
        TcpServer server = null;
        NvmfTarget metered = null;
        try {
            int global = 0;
            for (TargetConfig.SubsystemConfig sc : cfg.subsystems) {
                if (sc.nqn == null) {
                    throw new IllegalArgumentException("a subsystem has no nqn");
                }
                Subsystem.validateNqn(sc.nqn);
                String warning = Subsystem.formatWarning(sc.nqn);
                if (warning != null) {
                    LOG.warning("nvmf: " + warning);
                }
                if (sc.namespaces.isEmpty()) {
                    throw new IllegalArgumentException("subsystem " + sc.nqn + " has no namespace");
                }
                List<Namespace> nss = new ArrayList<>();
                int next = 1;
                for (TargetConfig.NamespaceConfig nc : sc.namespaces) {
                    int nsid = nc.nsid > 0 ? nc.nsid : next;
                    for (Namespace n : nss) {
                        if (n.nsid() == nsid) {
                            throw new IllegalArgumentException("subsystem " + sc.nqn + ": nsid " + nsid + " used twice");
                        }
                    }
                    next = Math.max(next, nsid + 1);
                    nss.add(namespace(sc.nqn, nsid, nc, sharedDevices, devices, global++));
                }
                reg.add(new Subsystem(sc.nqn, false, nss, sc.allowHosts));
            }
            int[] cpus = cfg.pinnedCpus();
            server = new TcpServer(reg, Transport.select(cfg.transport, cfg.spinMicros), cfg.eventLoops(), cpus);
            NvmfTarget t = new NvmfTarget(reg, server, devices, sharedDevices, global);
            int portId = 1;
            for (InetSocketAddress a : addrs) {
                InetSocketAddress bound = server.listen(a);
                reg.addPort(new Port(portId++, bound));
                t.ioAddresses.add(bound);
                LOG.info("nvmf: listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort());
            }
            if (cfg.discoveryPort > 0) {
                InetSocketAddress d = new InetSocketAddress(addrs.get(0).getAddress(), cfg.discoveryPort);
                t.discoveryAddress = server.listen(d);
                LOG.info("nvmf: discovery on " + d.getAddress().getHostAddress() + ":" + t.discoveryAddress.getPort());
            }
            for (Subsystem s : reg.subsystems()) {
                for (Namespace n : s.namespaces()) {
                    LOG.info("nvmf: " + s.nqn() + " nsid " + n.nsid() + " = " + n.device().spec() + " ("
                            + n.device().sizeBytes() + " bytes, " + n.device().blockSize() + "-byte blocks, uuid " + n.uuid() + ")");
                }
            }
            t.bindMeters();
            metered = t;
            if (cfg.metricsPort > 0) {
                t.startMetrics(cfg.metricsAddress == null ? addrs.get(0).getAddress()
                        : parseAddress(cfg.metricsAddress, cfg.metricsPort).getAddress(), cfg.metricsPort);
            }
            server.warmUp();
            return t;
        } catch (RuntimeException | InterruptedException e) {
            if (metered != null) {
                metered.unbindMeters();
            }
            if (server != null) {
                server.close();
            }
            for (BlockDevice d : devices) {
                d.close();
            }
            if (e.getCause() instanceof java.net.BindException || e instanceof RuntimeException && e.getMessage() != null
                    && e.getMessage().contains("Address already in use")) {
                throw new IllegalArgumentException("cannot listen on " + cfg.listen + ": address already in use", e);
            }
            throw e;
        }
    }

    /** A namespace on a shared device (by name) or on one opened from its spec (added to {@code owned}). */
    private static Namespace namespace(String nqn, int nsid, TargetConfig.NamespaceConfig nc, Map<String, BlockDevice> shared,
                                       List<BlockDevice> owned, int globalIndex) {
        if ((nc.spec == null) == (nc.device == null)) {
            throw new IllegalArgumentException("subsystem " + nqn + " nsid " + nsid + ": give either spec or device");
        }
        UUID uuid = nc.uuid == null ? null : UUID.fromString(nc.uuid);
        BlockDevice d;
        if (nc.device != null) {
            d = shared.get(nc.device);
            if (d == null) {
                throw new IllegalArgumentException("subsystem " + nqn + " nsid " + nsid + ": no device named '" + nc.device + "'");
            }
        } else {
            d = Devices.open(nc.spec);
            owned.add(d);
        }
        return new Namespace(nqn, nsid, d, uuid, globalIndex);
    }

    // ------------------------------------------------------------------ live changes (serve --config, SIGHUP)

    /** Adds a subsystem to the running target (the discovery log changes with it). */
    public synchronized void addSubsystem(TargetConfig.SubsystemConfig sc) {
        Subsystem.validateNqn(sc.nqn);
        String warning = Subsystem.formatWarning(sc.nqn);
        if (warning != null) {
            LOG.warning("nvmf: " + warning);
        }
        if (registry.find(sc.nqn) != null) {
            throw new IllegalArgumentException("subsystem " + sc.nqn + " exists already");
        }
        List<BlockDevice> opened = new ArrayList<>();
        List<Namespace> nss = new ArrayList<>();
        try {
            int next = 1;
            for (TargetConfig.NamespaceConfig nc : sc.namespaces) {
                int nsid = nc.nsid > 0 ? nc.nsid : next;
                next = Math.max(next, nsid + 1);
                nss.add(namespace(sc.nqn, nsid, nc, shared, opened, nextGlobalIndex++));
            }
            registry.add(new Subsystem(sc.nqn, false, nss, sc.allowHosts));
        } catch (RuntimeException e) {
            opened.forEach(BlockDevice::close);
            throw e;
        }
        devices.addAll(opened);
        LOG.info("nvmf: added subsystem " + sc.nqn + " with " + nss.size() + " namespace(s)");
    }

    /** Removes a subsystem: its controllers are torn down (their I/O aborted), its channels and own devices closed. */
    public synchronized void removeSubsystem(String nqn) {
        Subsystem s = registry.remove(nqn);
        for (Controller c : s.controllers()) {
            c.adminQueue().execute(() -> c.teardown("subsystem " + nqn + " removed from the configuration"));
        }
        for (Namespace ns : s.namespaces()) {
            release(ns);
        }
        LOG.info("nvmf: removed subsystem " + nqn);
    }

    /** Adds a namespace to a running subsystem ({@code nsid} 0: the next free one) and tells its controllers. */
    public synchronized int addNamespace(String nqn, TargetConfig.NamespaceConfig nc) {
        Subsystem s = subsystem(nqn);
        int nsid = nc.nsid > 0 ? nc.nsid : s.maxNsid() + 1;
        List<BlockDevice> opened = new ArrayList<>();
        Namespace ns = namespace(nqn, nsid, nc, shared, opened, nextGlobalIndex++);
        try {
            s.attach(ns);
        } catch (RuntimeException e) {
            opened.forEach(BlockDevice::close);
            throw e;
        }
        devices.addAll(opened);
        announceNamespaceChange(s);
        LOG.info("nvmf: " + nqn + " nsid " + nsid + " = " + ns.device().spec() + " added");
        return nsid;
    }

    /** Removes a namespace: new commands for it fail (Invalid Namespace), its channels close, its own device too. */
    public synchronized void removeNamespace(String nqn, int nsid) {
        Subsystem s = subsystem(nqn);
        Namespace ns = s.detach(nsid);
        announceNamespaceChange(s);
        release(ns);
        LOG.info("nvmf: " + nqn + " nsid " + nsid + " removed");
    }

    private Subsystem subsystem(String nqn) {
        Subsystem s = registry.find(nqn);
        if (s == null || s.isDiscovery()) {
            throw new IllegalArgumentException("no subsystem " + nqn);
        }
        return s;
    }

    /** Every event loop closes its channel on the namespace; then the device closes unless it is shared. */
    private void release(Namespace ns) {
        for (Throwable t : server.loops().closeChannels(ns)) {
            LOG.warning("nvmf: closing a channel of nsid " + ns.nsid() + ": " + t);
        }
        if (devices.remove(ns.device())) {
            ns.device().close();
        }
    }

    /** A Namespace Attribute Changed notice to each controller that asked for one: the host rescans. */
    private static void announceNamespaceChange(Subsystem s) {
        for (Controller c : s.controllers()) {
            c.adminQueue().execute(() -> c.notice(0x00, LogPages.CHANGED_NS, IdentifyController.OAES_NS_ATTR));
        }
    }

    static InetSocketAddress parseAddress(String s, int defaultPort) {
        String host = s;
        int port = defaultPort;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("bad address '" + s + "'");
            }
            host = s.substring(1, close);
            if (s.length() > close + 1) {
                if (s.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("bad address '" + s + "'");
                }
                port = parsePort(s.substring(close + 2), s);
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0 && s.indexOf(':') == colon) {
                host = s.substring(0, colon);
                port = parsePort(s.substring(colon + 1), s);
            }
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host.isEmpty() ? "0.0.0.0" : host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host in address '" + s + "'");
        }
    }

    private static int parsePort(String p, String whole) {
        try {
            int v = Integer.parseInt(p);
            if (v < 0 || v > 65535) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in address '" + whole + "'");
        }
    }

    /** Binds this target's counters to the process-wide registry, unless another live target has. */
    private void bindMeters() {
        if (!METERED.compareAndSet(null, this)) {
            LOG.fine("nvmf: another target in this process is metered; this one is not");
            return;
        }
        MeterRegistry r = Metrics.registry();
        LoopContexts loops = server.loops();
        counter(r, "tensorplane_nvmf_commands", "NVMe commands received", loops, st -> st.commands);
        counter(r, "tensorplane_nvmf_reads", "Read commands completed", loops, st -> st.reads);
        counter(r, "tensorplane_nvmf_writes", "Write commands completed", loops, st -> st.writes);
        counter(r, "tensorplane_nvmf_read_bytes", "Bytes read", loops, st -> st.readBytes);
        counter(r, "tensorplane_nvmf_write_bytes", "Bytes written", loops, st -> st.writeBytes);
        counter(r, "tensorplane_nvmf_errors", "Commands completed with an error status", loops, st -> st.errors);
        counter(r, "tensorplane_nvmf_term_reqs", "Connections terminated with a C2HTermReq", loops, st -> st.termReqs);
        counter(r, "tensorplane_nvmf_r2ts", "R2T PDUs sent", loops, st -> st.r2ts);
        meters.add(FunctionCounter.builder("tensorplane_nvmf_keep_alive_timeouts", registry, g -> g.keepAliveTimeouts.get())
                .description("Controllers torn down after a keep-alive timeout").register(r));
        meters.add(FunctionCounter.builder("tensorplane_nvmf_admin_connects", registry, g -> g.controllersCreated.get())
                .description("Controllers created by admin-queue Connects").register(r));
        meters.add(FunctionCounter.builder("tensorplane_nvmf_connects_rejected", registry, g -> g.connectsRejected.get())
                .description("Connects rejected").register(r));
        meters.add(Gauge.builder("tensorplane_nvmf_live_controllers", registry, NvmfTarget::liveControllers)
                .description("Live controllers").register(r));
    }

    private void unbindMeters() {
        for (Meter m : meters) {
            Metrics.registry().remove(m);
        }
        meters.clear();
        METERED.compareAndSet(this, null);
    }

    /** This target's own endpoint (the process-wide registry, through the engine's one HTTP server). */
    private void startMetrics(InetAddress bind, int port) {
        metricsServer = MetricsServer.start(new InetSocketAddress(bind, port));
        LOG.info("nvmf: metrics on http://" + bind.getHostAddress() + ":" + metricsServer.port() + "/metrics");
    }

    private void counter(MeterRegistry r, String name, String help, LoopContexts loops, ToLongFunction<Stats> f) {
        meters.add(FunctionCounter.builder(name, loops, l -> l.sum(f)).description(help).register(r));
    }

    private static double liveControllers(Registry r) {
        int n = r.discovery().controllers().size();
        for (Subsystem s : r.subsystems()) {
            n += s.controllers().size();
        }
        return n;
    }

    public Registry registry() {
        return registry;
    }

    public List<InetSocketAddress> ioAddresses() {
        return ioAddresses;
    }

    public InetSocketAddress discoveryAddress() {
        return discoveryAddress;
    }

    public String transportName() {
        return server.transport().name();
    }

    public LoopContexts loops() {
        return server.loops();
    }

    @Override
    public void close() {
        if (metricsServer != null) {
            metricsServer.close();
        }
        unbindMeters();
        server.close();
        for (BlockDevice d : devices) {
            try {
                d.close();
            } catch (RuntimeException e) {
                LOG.warning("closing " + d.spec() + ": " + e.getMessage());
            }
        }
    }
}
