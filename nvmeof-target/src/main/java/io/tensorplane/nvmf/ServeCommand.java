package io.tensorplane.nvmf;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * {@code nvmf serve}: runs the NVMe/TCP target until SIGINT/SIGTERM. Usable as a top-level
 * {@code serve --config FILE} verb too.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve engine devices as NVMe namespaces over TCP until interrupted.",
            "Either --config FILE (YAML or JSON, see docs/nvmf.md) or --listen/--subsystem/--ns."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON configuration file")
    File config;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "deployment profile (bluefield3, bluefield2, x86-dev, auto, or a file; see 'profile show'): event-loop CPUs, queue sizes, listen and metrics addresses")
    String profile;

    @Option(names = "--listen", paramLabel = "ADDR:PORT", description = "I/O listen address (repeatable; default port 4420)")
    List<String> listen = new ArrayList<>();

    @Option(names = "--subsystem", paramLabel = "NQN", description = "subsystem NQN, e.g. nqn.2026-01.io.tensorplane:disk1")
    String subsystem;

    @Option(names = "--ns", paramLabel = "SPEC", description = "namespace device spec, e.g. mem:4G, null:1T, file:/path (repeatable; nsid 1, 2, ...)")
    List<String> namespaces = new ArrayList<>();

    @Option(names = "--allow-host", paramLabel = "NQN", description = "host NQN allowed to connect (repeatable; default: any host)")
    List<String> allowHosts = new ArrayList<>();

    @Option(names = "--discovery-port", paramLabel = "PORT", description = "also serve discovery on this port (e.g. 8009)")
    Integer discoveryPort;

    @Option(names = "--metrics-port", paramLabel = "PORT", description = "serve Prometheus metrics on http://ADDR:PORT/metrics")
    Integer metricsPort;

    @Option(names = "--cpus", paramLabel = "LIST", description = "one event loop pinned to each CPU: auto (default: the CPUs this process may use), none, or a list such as 0-3,6")
    String cpus;

    @Option(names = "--threads", paramLabel = "N", description = "this many unpinned event loops instead (default: one pinned per CPU)")
    Integer threads;

    @Option(names = "--transport", paramLabel = "NAME", description = "auto (epoll, else io_uring, else NIO), epoll, io_uring or nio")
    String transport;

    @Option(names = "--spin-us", paramLabel = "US", description = "poll an idle event loop this long before blocking (selects epoll; default 0)")
    Integer spinMicros;

    @Option(names = "--mdts", paramLabel = "N", description = "maximum data transfer size 4 KiB * 2^N (default 0: no limit, as nvmet)")
    Integer mdts;

    @Option(names = "--piece-size", paramLabel = "BYTES",
            description = "data one command holds at a time; longer reads and writes move in pieces (default 524288)")
    Integer pieceSize;

    @Override
    public Integer call() throws Exception {
        installLogFormat();
        TargetConfig cfg = buildConfig();
        serve(cfg);
        return 0;
    }

    /** The {@code --config} file, or null. */
    public File configFile() {
        return config;
    }

    TargetConfig buildConfig() {
        TargetConfig cfg;
        if (config != null) {
            if (subsystem != null || !namespaces.isEmpty() || !allowHosts.isEmpty()) {
                throw new IllegalArgumentException("--config cannot be combined with --subsystem/--ns/--allow-host");
            }
            cfg = TargetConfig.load(config);
        } else {
            if (subsystem == null) {
                throw new IllegalArgumentException("missing --subsystem NQN (or --config FILE)");
            }
            if (namespaces.isEmpty()) {
                throw new IllegalArgumentException("missing --ns SPEC (e.g. --ns mem:4G)");
            }
            cfg = new TargetConfig();
            TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
            s.nqn = subsystem;
            s.allowHosts.addAll(allowHosts);
            for (String spec : namespaces) {
                s.namespaces.add(new TargetConfig.NamespaceConfig(spec));
            }
            cfg.subsystems.add(s);
        }
        return applyOptions(cfg);
    }

    /**
     * This command's options over a configuration read elsewhere (the daemon's {@code nvmf:} section, or the
     * file of {@code --config}): the command line wins.
     */
    public TargetConfig applyOptions(TargetConfig cfg) {
        if (!listen.isEmpty()) {
            cfg.listen = new ArrayList<>(listen);
        }
        if (profile != null) {
            if (cpus != null || threads != null) {
                throw new IllegalArgumentException("--profile decides the event-loop CPUs; drop --cpus/--threads");
            }
            TargetProfiles.installed().apply(profile, cfg);
        }
        if (cfg.listen.isEmpty()) {
            throw new IllegalArgumentException("missing --listen ADDR:PORT (e.g. --listen 127.0.0.1:4420)");
        }
        if (discoveryPort != null) {
            cfg.discoveryPort = TargetConfig.requirePort("--discovery-port", discoveryPort, "none");
        }
        if (metricsPort != null) {
            cfg.metricsPort = TargetConfig.requirePort("--metrics-port", metricsPort, "no endpoint");
        }
        if (threads != null) {
            cfg.threads = threads;
        }
        if (cpus != null) {
            cfg.cpus = cpus;
        }
        cfg.pinnedCpus(); // a bad list is a usage error now, not at start
        if (transport != null) {
            cfg.transport = transport;
        }
        if (spinMicros != null) {
            cfg.spinMicros = spinMicros;
        }
        if (mdts != null) {
            cfg.mdts = mdts;
        }
        if (pieceSize != null) {
            cfg.pieceSize = pieceSize;
        }
        return cfg;
    }

    /** Starts the target and blocks until the JVM is asked to stop. */
    public static void serve(TargetConfig cfg) throws InterruptedException {
        skipMachineIdScan();
        NvmfTarget target = NvmfTarget.start(cfg);
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "nvmf-shutdown"));
        Logger.getLogger("io.tensorplane.nvmf").info("nvmf: serving (" + target.transportName() + "); stop with SIGINT or SIGTERM");
        try {
            stopped.await();
        } finally {
            target.close();
            // Not through java.util.logging: its own shutdown hook may already have closed the handlers.
            System.err.printf("%1$tF %1$tT.%1$tL INFO nvmf: stopped%n", System.currentTimeMillis());
            System.err.flush();
            done.countDown();
        }
    }

    /**
     * Netty otherwise scans network interfaces for a MAC address (seconds in an emulated guest) only to make
     * channel ids unique across machines; the target does not use channel ids. Call before a target starts.
     */
    public static void skipMachineIdScan() {
        if (System.getProperty("io.netty.machineId") == null) {
            System.setProperty("io.netty.machineId", "02:00:00:00:00:00:00:01");
        }
    }

    /** One line per log record on stderr: time, level, message. */
    public static void installLogFormat() {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler h = new ConsoleHandler();
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String t = r.getThrown() == null ? "" : " (" + r.getThrown() + ")";
                return String.format("%1$tF %1$tT.%1$tL %2$s %3$s%4$s%n", r.getMillis(), r.getLevel().getName(), formatMessage(r), t);
            }
        });
        root.addHandler(h);
    }
}
