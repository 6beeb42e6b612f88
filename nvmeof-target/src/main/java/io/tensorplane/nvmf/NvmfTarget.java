package io.tensorplane.nvmf;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.nvmf.core.Stats;
import io.tensorplane.nvmf.subsystem.Namespace;
import io.tensorplane.nvmf.subsystem.Port;
import io.tensorplane.nvmf.subsystem.Registry;
import io.tensorplane.nvmf.subsystem.Subsystem;
import io.tensorplane.nvmf.subsystem.TargetOptions;
import io.tensorplane.nvmf.transport.LoopContexts;
import io.tensorplane.nvmf.transport.TcpServer;
import io.tensorplane.nvmf.transport.Transport;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.ToLongFunction;
import java.util.logging.Logger;

/**
 * The NVMe/TCP target: opens the engine devices, builds the subsystems, listens, and serves until
 * closed. The reusable entry point behind {@code nvmf serve} and {@code serve --config}.
 */
public final class NvmfTarget implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NvmfTarget.class.getName());

    private final Registry registry;
    private final TcpServer server;
    private final List<BlockDevice> devices;
    private final List<InetSocketAddress> ioAddresses = new ArrayList<>();
    private InetSocketAddress discoveryAddress;
    private HttpServer metricsServer;
    private PrometheusMeterRegistry meters;

    private NvmfTarget(Registry registry, TcpServer server, List<BlockDevice> devices) {
        this.registry = registry;
        this.server = server;
        this.devices = devices;
    }

    /** Starts a target; on failure everything opened so far is closed and the exception says what was wrong. */
    public static NvmfTarget start(TargetConfig cfg) throws InterruptedException {
        if (cfg.listen.isEmpty()) {
            throw new IllegalArgumentException("no listen address (e.g. --listen 127.0.0.1:4420)");
        }
        if (cfg.subsystems.isEmpty()) {
            throw new IllegalArgumentException("no subsystem configured");
        }
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
                    UUID uuid = nc.uuid == null ? null : UUID.fromString(nc.uuid);
                    BlockDevice d = Devices.open(nc.spec);
                    devices.add(d);
                    nss.add(new Namespace(sc.nqn, nsid, d, uuid, global++));
                }
                reg.add(new Subsystem(sc.nqn, false, nss, sc.allowHosts));
            }
            int[] cpus = cfg.pinnedCpus();
            server = new TcpServer(reg, Transport.select(cfg.transport, cfg.spinMicros), cfg.eventLoops(), cpus);
            NvmfTarget t = new NvmfTarget(reg, server, devices);
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
            if (cfg.metricsPort > 0) {
                t.startMetrics(cfg.metricsAddress == null ? addrs.get(0).getAddress()
                        : parseAddress(cfg.metricsAddress, cfg.metricsPort).getAddress(), cfg.metricsPort);
            }
            server.warmUp();
            return t;
        } catch (RuntimeException | InterruptedException e) {
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

    private void startMetrics(InetAddress bind, int port) {
        meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        LoopContexts loops = server.loops();
        counter("tensorplane_nvmf_commands", "NVMe commands received", loops, s -> s.commands);
        counter("tensorplane_nvmf_reads", "Read commands completed", loops, s -> s.reads);
        counter("tensorplane_nvmf_writes", "Write commands completed", loops, s -> s.writes);
        counter("tensorplane_nvmf_read_bytes", "Bytes read", loops, s -> s.readBytes);
        counter("tensorplane_nvmf_write_bytes", "Bytes written", loops, s -> s.writeBytes);
        counter("tensorplane_nvmf_errors", "Commands completed with an error status", loops, s -> s.errors);
        counter("tensorplane_nvmf_term_reqs", "Connections terminated with a C2HTermReq", loops, s -> s.termReqs);
        counter("tensorplane_nvmf_r2ts", "R2T PDUs sent", loops, s -> s.r2ts);
        FunctionCounter.builder("tensorplane_nvmf_keep_alive_timeouts", registry, r -> r.keepAliveTimeouts.get())
                .description("Controllers torn down after a keep-alive timeout").register(meters);
        FunctionCounter.builder("tensorplane_nvmf_admin_connects", registry, r -> r.controllersCreated.get())
                .description("Controllers created by admin-queue Connects").register(meters);
        FunctionCounter.builder("tensorplane_nvmf_connects_rejected", registry, r -> r.connectsRejected.get())
                .description("Connects rejected").register(meters);
        Gauge.builder("tensorplane_nvmf_live_controllers", registry, NvmfTarget::liveControllers)
                .description("Live controllers").register(meters);
        try {
            metricsServer = HttpServer.create(new InetSocketAddress(bind, port), 16);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serve metrics on port " + port + ": " + e.getMessage(), e);
        }
        metricsServer.createContext("/metrics", ex -> {
            byte[] body = meters.scrape().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        });
        metricsServer.start();
        LOG.info("nvmf: metrics on http://" + bind.getHostAddress() + ":" + metricsServer.getAddress().getPort() + "/metrics");
    }

    private void counter(String name, String help, LoopContexts loops, ToLongFunction<Stats> f) {
        FunctionCounter.builder(name, loops, l -> l.sum(f)).description(help).register(meters);
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
            metricsServer.stop(0);
        }
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
