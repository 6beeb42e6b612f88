package io.tensorplane.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorplane.daemon.Daemon;
import io.tensorplane.daemon.DaemonConfig;
import io.tensorplane.daemon.Signals;
import io.tensorplane.nvmf.ServeCommand;
import java.io.File;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code serve --config FILE}: the daemon. A file with {@code devices:} (or {@code nvmf:}, {@code metrics:})
 * brings up named devices, their ublk exports, an NVMe/TCP target and the metrics endpoint together
 * ({@link DaemonConfig}); SIGHUP re-reads it and applies what can change live; SIGTERM drains and tears
 * down in order. A plain NVMe/TCP target file, or the target's options alone, serve as {@code nvmf serve}.
 */
@Command(name = "serve")
public final class DaemonCommand implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger("io.tensorplane.daemon");

    /**
     * The help text. Set after the mixin is added (see {@link Main#commandLine()}): picocli lets a mixin's own
     * {@code @Command} description, here the target's, replace the one of the command that mixes it in.
     */
    static final String[] DESCRIPTION = {
        "Serve devices through ublk and NVMe/TCP at once, with metrics, as described by --config FILE (YAML or JSON:"
            + " devices, their ublk exports, an nvmf target, metrics; see README). SIGHUP re-reads the file and applies"
            + " what can change live (devices, ublk exports, subsystems, namespaces); SIGTERM stops in order.",
        "A file with only an NVMe/TCP target (docs/nvmf.md), or the target's options alone, work as 'nvmf serve'; the"
            + " target's options below also apply over the file's nvmf section."};

    @Spec
    CommandSpec spec;

    /** The NVMe/TCP target's options (--config, --listen, ...): over the file's nvmf section, as for 'nvmf serve'. */
    @Mixin
    ServeCommand target;

    @Override
    public Integer call() throws Exception {
        File file = target.configFile();
        if (file == null || !DaemonConfig.isDaemonConfig(file)) {
            return target.call();
        }
        DaemonConfig cfg = load(file, java.util.Set.of());
        ServeCommand.installLogFormat();
        ServeCommand.skipMachineIdScan();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        CountDownLatch down = new CountDownLatch(1);
        Daemon daemon = Daemon.start(cfg);
        Thread hook = new Thread(() -> {
            events.add("stop");
            try {
                down.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "daemon-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper json = new ObjectMapper();
        try {
            Signals.onHangUp(() -> events.add("reload"));
            out.println(json.writeValueAsString(daemon.status()));
            out.flush();
            LOG.info("serving " + file + "; reload with SIGHUP, stop with SIGTERM or SIGINT");
            while (true) {
                String e = events.take();
                if (e.equals("stop")) {
                    break;
                }
                DaemonConfig next;
                try {
                    next = load(file, daemon.runningSpecs());
                } catch (IllegalArgumentException x) {
                    LOG.warning("reload refused, nothing changed: " + x.getMessage());
                    continue;
                }
                List<String> refused = daemon.reload(next);
                for (String r : refused) {
                    LOG.warning("reload: not applied: " + r);
                }
                LOG.info("reloaded " + file + (refused.isEmpty() ? "" : " (" + refused.size() + " change(s) not applied)"));
                out.println(json.writeValueAsString(daemon.status()));
                out.flush();
            }
        } finally {
            System.err.printf("%1$tF %1$tT.%1$tL INFO stopping: ublk exports, then the NVMe/TCP target, then the devices, then metrics%n",
                    System.currentTimeMillis());
            daemon.close();
            // Not through java.util.logging: its own shutdown hook may already have closed the handlers.
            System.err.printf("%1$tF %1$tT.%1$tL INFO daemon: stopped%n", System.currentTimeMillis());
            System.err.flush();
            down.countDown();
        }
        return 0;
    }

    /** The file, with this command's target options applied over its nvmf section. */
    private DaemonConfig load(File file, java.util.Set<String> running) {
        DaemonConfig cfg = DaemonConfig.load(file, running);
        if (cfg.nvmf != null) {
            target.applyOptions(cfg.nvmf);
        }
        return cfg;
    }
}
