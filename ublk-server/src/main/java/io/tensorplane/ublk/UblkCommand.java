package io.tensorplane.ublk;

import io.tensorplane.engine.Errno;
import static io.tensorplane.ublk.ctrl.UblkAbi.*;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.Devices;
import io.tensorplane.ublk.ctrl.DevInfo;
import io.tensorplane.ublk.ctrl.Params;
import io.tensorplane.ublk.ctrl.UblkControl;
import io.tensorplane.uring.LibC;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tensorplane ublk ...}: engine devices as Linux block devices through the kernel's ublk driver. */
@Command(name = "ublk", mixinStandardHelpOptions = true,
        description = "Serve engine devices as /dev/ublkbN through the kernel's ublk driver.",
        subcommands = {
            UblkCommand.Add.class,
            UblkCommand.Del.class,
            UblkCommand.Recover.class,
            UblkCommand.Resize.class,
            UblkCommand.Upgrade.class,
            UblkCommand.ListCmd.class,
            UblkCommand.Features.class,
        })
public final class UblkCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static PrintWriter out(CommandSpec spec) {
        return spec.commandLine().getOut();
    }

    static PrintWriter err(CommandSpec spec) {
        return spec.commandLine().getErr();
    }

    // ------------------------------------------------------------------ add

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Create /dev/ublkbN served by an engine device.",
                "Without --foreground the server runs in the background: this returns once the device is live",
                "and prints JSON (id, path, backend, queues, depth, pid)."})
    public static class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--backend", required = true, paramLabel = "SPEC",
                description = "Engine device spec: null:<size>, mem:<size>, file:<path>[,create=<size>] ...")
        String backend;

        @Option(names = "--id", paramLabel = "N", description = "Device id (default: the kernel picks one).")
        int id = -1;

        @Option(names = "--queues", paramLabel = "N", description = "Hardware queues, one pinned thread each (default: ${DEFAULT-VALUE}).")
        int queues = 1;

        @Option(names = "--depth", paramLabel = "N", description = "Tags per queue, 1..4096 (default: ${DEFAULT-VALUE}).")
        int depth = 128;

        @Option(names = "--block-size", paramLabel = "512|4096", description = "Logical block size (default: the backend's, else 512).")
        Integer blockSize;

        @Option(names = "--foreground", description = "Serve in this process until stopped (SIGTERM/SIGINT or 'ublk del').")
        boolean foreground;

        @Option(names = "--copy", paramLabel = "auto|zero|user|buffer",
                description = "Data movement: zero = the backend reads and writes the request's own pages (SUPPORT_ZERO_COPY + AUTO_BUF_REG,"
                        + " file: on io_uring), buffer = per-tag buffers the kernel copies into, user = pread/pwrite on /dev/ublkcN"
                        + " (USER_COPY, Linux 6.5+), auto = zero where the kernel and the backend allow it, else buffer (faster than user:"
                        + " no system call per I/O) (default: ${DEFAULT-VALUE}).")
        String copy = "auto";

        @Option(names = "--batch", paramLabel = "auto|on|off",
                description = "How queues exchange requests with the kernel: on = batched commands (BATCH_IO, Linux 7.x: one"
                        + " multishot fetch delivers many requests, one commit returns many results), off = one FETCH_REQ per tag"
                        + " and one COMMIT_AND_FETCH_REQ per request, auto = off, the faster of the two as measured on null (on is"
                        + " refused where the kernel has no BATCH_IO, with zero copy and with --recoverable) (default: ${DEFAULT-VALUE}).")
        String batch = "auto";

        @Option(names = "--force-buf-reg-fallback", hidden = true,
                description = "Test aid: with zero copy, let the kernel's buffer registration fail so every request takes the by-hand fallback.")
        boolean forceBufRegFallback;

        @Option(names = "--spin-us", paramLabel = "US", description = "Poll this long for new requests before sleeping in the kernel (default: ${DEFAULT-VALUE}).")
        long spinMicros = 500;

        @Option(names = "--taskrun", paramLabel = "ipi|coop",
                description = "How the kernel hands requests to a queue thread: ipi = interrupt it, coop = flag it and let it poll (default: ${DEFAULT-VALUE}).")
        String taskrun = "coop";

        @Option(names = "--no-pin", description = "Do not pin queue threads to the CPUs the kernel maps to their queue.")
        boolean noPin;

        @Option(names = "--backend-ring", paramLabel = "shared|own",
                description = "An io_uring backend (file:) does its I/O on the queue's own ring (shared: one system call per loop"
                        + " for ublk commands and backend I/O) or on a ring of its own that the queue watches (own) (default: ${DEFAULT-VALUE}).")
        String backendRing = "shared";

        @Option(names = "--io-scheduler", paramLabel = "NAME",
                description = "I/O scheduler of the disk: none, mq-deadline, ... or 'kernel' to keep the kernel's choice (default: ${DEFAULT-VALUE}).")
        String ioScheduler = "none";

        @Option(names = "--ready-file", hidden = true, paramLabel = "PATH", description = "Internal: where a background server reports readiness.")
        Path readyFile;

        @Option(names = "--log", paramLabel = "PATH", description = "Log file of the background server (default: in the state directory).")
        Path log;

        @Option(names = "--trace", paramLabel = "DIR", description = "Record every I/O into this new directory (the same as ,trace=DIR in the spec; see 'tensorplane trace').")
        String trace;

        @Option(names = "--recoverable", description = "UBLK_F_USER_RECOVERY: if the server dies, the disk stays (I/O waits) until 'ublk recover' starts a new one.")
        boolean recoverable;

        @Option(names = "--shmem",
                description = "Shared-memory zero copy (UBLK_F_SHMEM_ZC, Linux 7.1+): applications hand the server a memfd or hugetlbfs"
                        + " region on the socket <state dir>/N.shmem.sock, and their O_DIRECT I/O from it is served with no copy"
                        + " (docs/shmem.md). Goes with --copy auto (= buffer here), buffer or user.")
        boolean shmem;

        /** Whether this is 'ublk recover' (take over an existing device). */
        boolean recovering() {
            return false;
        }

        @Override
        public Integer call() throws Exception {
            if (!"ipi".equals(taskrun) && !"coop".equals(taskrun)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--taskrun must be ipi or coop");
            }
            if (!"shared".equals(backendRing) && !"own".equals(backendRing)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--backend-ring must be shared or own");
            }
            if (blockSize != null && blockSize != 512 && blockSize != 4096) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--block-size must be 512 or 4096");
            }
            UblkServer.CopyMode mode;
            switch (copy) {
                case "auto": mode = UblkServer.CopyMode.AUTO; break;
                case "zero": mode = UblkServer.CopyMode.ZERO; break;
                case "user": mode = UblkServer.CopyMode.USER; break;
                case "buffer": mode = UblkServer.CopyMode.BUFFER; break;
                default:
                    throw new CommandLine.ParameterException(spec.commandLine(), "--copy must be auto, zero, user or buffer");
            }
            UblkServer.BatchMode batchMode;
            switch (batch) {
                case "auto": batchMode = UblkServer.BatchMode.AUTO; break;
                case "on": batchMode = UblkServer.BatchMode.ON; break;
                case "off": batchMode = UblkServer.BatchMode.OFF; break;
                default:
                    throw new CommandLine.ParameterException(spec.commandLine(), "--batch must be auto, on or off");
            }
            if (trace != null) {
                backend = backend + ",trace=" + trace; // the background server gets it in --backend
                trace = null;
            }
            // Check what can be checked before a background server is started, so errors come from here.
            io.tensorplane.engine.DeviceSpec.parse(backend);
            if (!UblkControl.driverLoaded()) {
                throw new UblkException("the kernel's ublk driver is not loaded: run 'modprobe ublk_drv' as root");
            }
            if (LibC.geteuid() != 0) {
                throw new UblkException("ublk needs root: run with sudo");
            }
            if (id >= 0 && !recovering()) {
                try (UblkControl ctrl = UblkControl.open()) {
                    if (ctrl.devInfo(id) != null) {
                        throw new UblkException("ublk device " + id + " already exists (see 'tensorplane ublk list')");
                    }
                }
            }
            if (foreground) {
                return serve(mode, batchMode);
            }
            return startBackground();
        }

        private int serve(UblkServer.CopyMode mode, UblkServer.BatchMode batchMode) throws InterruptedException {
            // Jackson takes a while to load (seconds under emulation): do it while the device is set up.
            Thread warm = new Thread(ServerState.JSON::createObjectNode, "json-warm-up");
            warm.setDaemon(true);
            warm.start();
            if (readyFile != null) {
                LibC.setsid(); // detach from the parent's session and terminal
            }
            UblkServer server;
            try {
                BlockDevice dev = blockSize == null ? Devices.open(backend) : Devices.open(backend, blockSize);
                UblkServer.Config cfg = new UblkServer.Config();
                cfg.id = id;
                cfg.queues = queues;
                cfg.depth = depth;
                cfg.copyMode = mode;
                cfg.batchMode = batchMode;
                cfg.spinMicros = spinMicros;
                cfg.pin = !noPin;
                cfg.ioScheduler = "kernel".equals(ioScheduler) ? null : ioScheduler;
                cfg.coopTaskrun = "coop".equals(taskrun);
                cfg.recoverable = recoverable;
                cfg.recover = recovering();
                cfg.lendRing = "shared".equals(backendRing);
                cfg.forceBufRegFallback = forceBufRegFallback;
                cfg.shmem = shmem;
                try {
                    server = UblkServer.start(dev, cfg);
                } catch (RuntimeException e) {
                    dev.close();
                    throw e;
                }
            } catch (RuntimeException e) {
                reportReady("error: " + message(e));
                throw e;
            }
            final UblkServer srv = server;
            Thread hook = new Thread(() -> {
                srv.close();
                ServerState.remove(srv.id());
            }, "ublk-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            ObjectNode info = describe(srv);
            if (log != null) {
                info.put("log", log.toString());
            }
            ServerState.write(srv.id(), info);
            ControlSocket control;
            try {
                control = ControlSocket.listen(srv.id(), request -> answer(srv, info, request));
            } catch (IOException e) {
                control = null;
                System.err.println("ublk: no control socket for device " + srv.id() + " (" + e.getMessage()
                        + "): 'ublk resize' and 'ublk upgrade' cannot reach this server");
            }
            String json = info.toString();
            out(spec).println(json);
            out(spec).flush();
            reportReady(json);
            // While serving, publish counters once a second for 'ublk list --json' and tests; a stop (ublk del) is
            // seen at once, so the device is deleted without waiting out the second.
            while (!srv.awaitStopped(1000)) {
                ObjectNode st = info.deepCopy();
                long[] ops = srv.opCounts();
                ObjectNode c = st.putObject("requests");
                c.put("read", ops[UBLK_IO_OP_READ]);
                c.put("write", ops[UBLK_IO_OP_WRITE]);
                c.put("flush", ops[UBLK_IO_OP_FLUSH]);
                c.put("discard", ops[UBLK_IO_OP_DISCARD]);
                c.put("write_zeroes", ops[UBLK_IO_OP_WRITE_ZEROES]);
                c.put("errors", srv.errorCount());
                c.put("manual_buffer_registrations", srv.manualRegistrations());
                c.put("commit_commands", srv.commitCommands());
                c.put("shmem_zc", srv.sharedMemoryRequests());
                ArrayNode perQueue = st.putArray("queue_requests");
                ArrayNode alloc = st.putArray("queue_allocated_bytes");
                for (int q = 0; q < srv.queues(); q++) {
                    perQueue.add(srv.queue(q).stats().requests);
                    alloc.add(srv.allocatedBytes(q));
                }
                if (!srv.stopped()) {
                    ServerState.write(srv.id(), st);
                }
            }
            srv.awaitStopped();
            if (control != null) {
                control.close();
            }
            srv.close();
            ServerState.remove(srv.id());
            if (srv.handedOver()) {
                StringBuilder ended = new StringBuilder();
                for (int q = 0; q < srv.queues(); q++) {
                    ended.append(q == 0 ? "" : ", ").append(srv.queue(q).endedTags()).append('/').append(srv.depth());
                }
                // how many tags the kernel aborted per queue: fewer than the depth when requests were held at the time
                System.err.println("ublk: device " + srv.id() + " handed over to a new server (tags aborted by the kernel,"
                        + " per queue: " + ended + ")");
            }
            return 0;
        }

        /** A request on the control socket: {@code resize BYTES} or {@code upgrade}. */
        private static String answer(UblkServer srv, ObjectNode info, String request) {
            String[] words = request.split(" ");
            switch (words[0]) {
                case "resize": {
                    long bytes = Long.parseLong(words[1]);
                    srv.resize(bytes);
                    info.put("size_bytes", bytes);
                    return "ok " + bytes;
                }
                case "upgrade":
                    srv.handOver(30_000);
                    return "ok";
                default:
                    return "error: unknown request '" + request + "'";
            }
        }

        private ObjectNode describe(UblkServer srv) {
            ObjectNode n = ServerState.JSON.createObjectNode();
            n.put("id", srv.id());
            n.put("path", srv.blockPath());
            n.put("backend", backend);
            n.put("queues", srv.queues());
            n.put("depth", srv.depth());
            n.put("pid", LibC.getpid());
            n.put("size_bytes", srv.device().sizeBytes());
            n.put("block_size", srv.device().blockSize());
            n.put("copy", srv.copy().label);
            n.put("commands", srv.batch() ? "batch" : "per-tag");
            n.put("io_scheduler", srv.ioScheduler());
            n.put("backend_ring", srv.queue(0).backendRing());
            if (srv.sharedMemorySocket() != null) {
                n.put("shmem_socket", srv.sharedMemorySocket().toString());
            }
            Capabilities c = srv.device().capabilities();
            n.put("discard", c.discard());
            n.put("read_only", c.readOnly());
            ArrayNode args = n.putArray("server_args");
            serverArgs().forEach(args::add);
            return n;
        }

        private void reportReady(String line) {
            if (readyFile == null) {
                return;
            }
            try {
                Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
                Files.writeString(tmp, line + "\n");
                Files.move(tmp, readyFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                // the parent will see the process and its log instead
            }
        }

        /** The options a server runs with (all but its id and where it reports), as 'ublk upgrade' gives them again. */
        List<String> serverArgs() {
            List<String> cmd = new ArrayList<>();
            if (recoverable) {
                cmd.add("--recoverable");
            }
            if (shmem) {
                cmd.add("--shmem");
            }
            cmd.add("--backend=" + backend);
            cmd.add("--queues=" + queues);
            cmd.add("--depth=" + depth);
            cmd.add("--copy=" + copy);
            cmd.add("--batch=" + batch);
            cmd.add("--spin-us=" + spinMicros);
            cmd.add("--taskrun=" + taskrun);
            cmd.add("--io-scheduler=" + ioScheduler);
            cmd.add("--backend-ring=" + backendRing);
            if (blockSize != null) {
                cmd.add("--block-size=" + blockSize);
            }
            if (noPin) {
                cmd.add("--no-pin");
            }
            if (forceBufRegFallback) {
                cmd.add("--force-buf-reg-fallback");
            }
            return cmd;
        }

        private int startBackground() throws IOException, InterruptedException {
            Path dir = ServerState.dir();
            Files.createDirectories(dir);
            Path ready = Files.createTempFile(dir, "ready-", ".json");
            Files.delete(ready);
            Path logFile = log != null ? log : Files.createTempFile(dir, "server-", ".log");
            List<String> cmd = new ArrayList<>(relaunchPrefix());
            cmd.add("ublk");
            cmd.add(recovering() ? "recover" : "add");
            cmd.addAll(serverArgs());
            if (id >= 0) {
                cmd.add("--id=" + id);
            }
            cmd.add("--foreground");
            cmd.add("--ready-file=" + ready);
            cmd.add("--log=" + logFile);
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectErrorStream(true);
            Process p = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline) {
                if (Files.exists(ready)) {
                    String line = Files.readString(ready, StandardCharsets.UTF_8).strip();
                    Files.deleteIfExists(ready);
                    if (line.startsWith("error: ")) {
                        p.waitFor(10, TimeUnit.SECONDS);
                        err(spec).println("tensorplane: " + line.substring(7));
                        return 1;
                    }
                    out(spec).println(line);
                    return 0;
                }
                if (!p.isAlive()) {
                    err(spec).println("tensorplane: the ublk server exited with code " + p.exitValue() + " before the device was live; see " + logFile);
                    return 1;
                }
                Thread.sleep(20);
            }
            p.destroy();
            err(spec).println("tensorplane: the ublk server did not bring the device up within 180 s; see " + logFile);
            return 1;
        }
    }

    @Command(name = "recover", mixinStandardHelpOptions = true,
            description = {"Serve a --recoverable device again after its server died (the disk stayed, I/O waited).",
                "Takes the same options as 'add'; --id is required and the backend must have the device's size."})
    public static final class Recover extends Add {
        @Override
        boolean recovering() {
            return true;
        }

        @Override
        public Integer call() throws Exception {
            if (id < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "ublk recover needs --id N");
            }
            return super.call();
        }
    }

    /** The command that re-runs this program: java, its JVM options, and the jar or main class. */
    static List<String> relaunchPrefix() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        String sunCommand = System.getProperty("sun.java.command", "");
        String first = sunCommand.split(" ", 2)[0];
        if (first.endsWith(".jar")) {
            cmd.add("-jar");
            cmd.add(first);
        } else {
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(first.isEmpty() ? "io.tensorplane.cli.Main" : first);
        }
        return cmd;
    }

    static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    // ------------------------------------------------------------------ del

    @Command(name = "del", mixinStandardHelpOptions = true,
            description = {"Stop and remove ublk devices after their in-flight I/O ends.",
                "Works for devices whose server died, too."})
    public static final class Del implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
        Which which;

        static final class Which {
            @Option(names = "--id", paramLabel = "N", description = "The device to remove.")
            Integer id;
            @Option(names = "--all", description = "Remove every ublk device.")
            boolean all;
        }

        @Option(names = "--timeout", paramLabel = "SECONDS", description = "How long to wait for a server to let go (default: ${DEFAULT-VALUE}).")
        int timeoutSeconds = 30;

        @Option(names = "--force", description = {"Stop the device even while it is open or mounted (its users get I/O errors).",
            "Without it, a kernel with SAFE_STOP_DEV refuses to stop a device in use."})
        boolean force;

        @Override
        public Integer call() throws Exception {
            try (UblkControl ctrl = UblkControl.open()) {
                List<Integer> ids = which.all ? UblkControl.deviceIds() : List.of(which.id);
                int failures = 0;
                for (int id : ids) {
                    String problem = delete(ctrl, id, timeoutSeconds, force);
                    if (problem == null) {
                        out(spec).println("deleted ublk device " + id);
                    } else {
                        err(spec).println("tensorplane: " + problem);
                        failures++;
                    }
                }
                return failures == 0 ? 0 : 1;
            }
        }

        /** Removes one device; returns null on success or a one-line problem. */
        static String delete(UblkControl ctrl, int id, int timeoutSeconds, boolean force) throws InterruptedException {
            DevInfo info = ctrl.devInfo(id);
            if (info == null) {
                return "no ublk device " + id + " (see 'tensorplane ublk list')";
            }
            if (!force && (info.flags & UBLK_F_SAFE_STOP_DEV) != 0 && info.state == UBLK_S_DEV_LIVE) {
                // TRY_STOP_DEV stops the disk only when nobody has it open: a mounted file system or a running
                // fio is refused here, instead of a wait and I/O errors for them.
                String busy = trySafeStop(ctrl, id);
                if (busy != null) {
                    return busy;
                }
            }
            int pid = info.ublksrvPid;
            if (pid > 0 && pid != LibC.getpid() && processAlive(pid)) {
                // The server is alive: stop the device (the kernel lets in-flight I/O finish, then
                // aborts the queues); the server then closes it and deletes it itself.
                ctrl.stopDevice(id);
                if (waitGone(ctrl, id, timeoutSeconds * 1000L)) {
                    return null;
                }
                LibC.kill(pid, 15);
                if (waitGone(ctrl, id, 10_000)) {
                    return null;
                }
                return "ublk device " + id + " is stopped but its server (pid " + pid + ") does not let go of it";
            }
            // No server: nothing holds /dev/ublkcN any more, so stop and delete here.
            ctrl.stopDevice(id);
            int r = ctrl.deleteDevice(id);
            ServerState.remove(id);
            if (r < 0 && r != -Errno.ENODEV) {
                return "DEL_DEV on ublk device " + id + " failed: " + LibC.strerror(-r);
            }
            return null;
        }

        /** TRY_STOP_DEV, giving a short-lived opener (udev's probe of a new disk) a moment; null or the refusal. */
        private static String trySafeStop(UblkControl ctrl, int id) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 2000;
            while (true) {
                int r = ctrl.tryStopDevice(id);
                if (r >= 0 || r == -Errno.ENODEV) {
                    return null;
                }
                if (r != -Errno.EBUSY) {
                    return "TRY_STOP_DEV on ublk device " + id + " failed: " + LibC.strerror(-r);
                }
                if (System.currentTimeMillis() > deadline) {
                    return "ublk device " + id + " is in use (mounted, or open by a process): unmount or close /dev/ublkb" + id
                            + " first, or stop it under its users with 'ublk del --force --id " + id + "'";
                }
                Thread.sleep(100);
            }
        }

        private static boolean waitGone(UblkControl ctrl, int id, long millis) throws InterruptedException {
            long deadline = System.currentTimeMillis() + millis;
            while (System.currentTimeMillis() < deadline) {
                if (ctrl.devInfo(id) == null) {
                    return true;
                }
                Thread.sleep(20);
            }
            return false;
        }
    }

    // ------------------------------------------------------------------ resize

    @Command(name = "resize", mixinStandardHelpOptions = true,
            description = {"Grow a live device (UPDATE_SIZE): the backend first (a file is extended), then the disk.",
                "A mounted file system can then grow too (resize2fs, xfs_growfs)."})
    public static final class Resize implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--id", required = true, paramLabel = "N", description = "The device to grow.")
        int id;

        @Option(names = "--size", required = true, paramLabel = "SIZE", description = "The new size, e.g. 2G (only growing).")
        String size;

        @Override
        public Integer call() {
            long bytes;
            try {
                bytes = io.tensorplane.engine.Sizes.parse(size, "--size");
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--size: " + e.getMessage());
            }
            try (UblkControl ctrl = UblkControl.open()) {
                DevInfo info = ctrl.devInfo(id);
                if (info == null) {
                    throw new UblkException("no ublk device " + id + " (see 'tensorplane ublk list')");
                }
                if ((ctrl.features() & UBLK_F_UPDATE_SIZE) == 0) {
                    throw new UblkException("this kernel's ublk driver cannot resize a live device (UPDATE_SIZE, Linux 6.14+)");
                }
                Params p = ctrl.getParams(id);
                if (p != null && bytes < p.devSectors << 9) {
                    throw new UblkException("ublk device " + id + " has " + (p.devSectors << 9) + " bytes; resize only grows a live device");
                }
            }
            String reply = ControlSocket.ask(id, "resize " + bytes);
            if (!reply.startsWith("ok")) {
                throw new UblkException(reply.startsWith("error: ") ? reply.substring(7) : reply);
            }
            out(spec).println("ublk device " + id + " is now " + bytes + " bytes (" + human(bytes) + ")");
            return 0;
        }
    }

    // ------------------------------------------------------------------ upgrade

    @Command(name = "upgrade", mixinStandardHelpOptions = true,
            description = {"Replace a device's server with a new process without unmounting.",
                "QUIESCE + user recovery: the old server finishes its I/O and lets go, new I/O waits, a new server (this",
                "jar) takes over.",
                "The device must have been added with --recoverable on a kernel with QUIESCE."})
    public static final class Upgrade implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--id", required = true, paramLabel = "N", description = "The device whose server to replace.")
        int id;

        @Override
        public Integer call() throws Exception {
            int oldPid;
            try (UblkControl ctrl = UblkControl.open()) {
                DevInfo info = ctrl.devInfo(id);
                if (info == null) {
                    throw new UblkException("no ublk device " + id + " (see 'tensorplane ublk list')");
                }
                if ((info.flags & UBLK_F_QUIESCE) == 0) {
                    throw new UblkException("ublk device " + id + " cannot be upgraded in place: "
                            + ((ctrl.features() & UBLK_F_QUIESCE) == 0 ? "this kernel's ublk driver has no QUIESCE"
                            : "it was added without --recoverable"));
                }
                oldPid = info.ublksrvPid;
                if (!processAlive(oldPid)) {
                    throw new UblkException("the server of ublk device " + id + " is not running; use 'ublk recover'");
                }
            }
            ObjectNode state = ServerState.read(id);
            if (state == null || !state.has("server_args") || state.path("pid").asInt() != oldPid) {
                throw new UblkException("no state of ublk device " + id + "'s server in " + ServerState.dir() + "; use 'ublk recover'");
            }
            List<String> args = new ArrayList<>();
            args.add("recover");
            state.get("server_args").forEach(a -> args.add(a.asText()));
            args.add("--id=" + id);
            String reply = ControlSocket.ask(id, "upgrade");
            if (!reply.startsWith("ok")) {
                throw new UblkException(reply.startsWith("error: ") ? reply.substring(7) : reply);
            }
            // The old server lets go once its queues hold no request; I/O issued meanwhile waits for the new one. That
            // takes well under a second on hardware and seconds under emulation; the bound is generous because a JVM's
            // exit in a slow test bed is slow. (Until 2026-12-02 a queue waited for every tag's ABORT, which QUIESCE_DEV
            // does not give to tags busy at the time: the old server then never exited; see UblkQueue#aborting.)
            long start = System.nanoTime();
            long deadline = start + TimeUnit.SECONDS.toNanos(180);
            boolean told = false;
            while (processAlive(oldPid)) {
                if (!told && System.nanoTime() - start > TimeUnit.SECONDS.toNanos(10)) {
                    err(spec).println("tensorplane: waiting for the old server (pid " + oldPid + ") to exit...");
                    err(spec).flush();
                    told = true;
                }
                if (System.nanoTime() > deadline) {
                    throw new UblkException("the old server (pid " + oldPid + ") of ublk device " + id + " did not exit after the hand-over;"
                            + " the disk waits quiesced: kill it and run 'ublk recover'");
                }
                Thread.sleep(20);
            }
            // the new server, as 'ublk recover' with the old one's options starts it
            CommandLine recover = new CommandLine(new UblkCommand()).setOut(out(spec)).setErr(err(spec));
            recover.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
                cmd.getErr().println("tensorplane: " + message(ex));
                return 1;
            });
            return recover.execute(args.toArray(new String[0]));
        }
    }

    /** Whether a process exists and is not a zombie. */
    static boolean processAlive(int pid) {
        if (pid <= 0) {
            return false;
        }
        try {
            String status = Files.readString(Paths.get("/proc/" + pid + "/stat"));
            int close = status.lastIndexOf(')');
            char state = close >= 0 && close + 2 < status.length() ? status.charAt(close + 2) : '?';
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ list

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List ublk devices, their state and whether their server is alive.")
    public static final class ListCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print a JSON array.")
        boolean json;

        @Override
        public Integer call() throws JsonProcessingException {
            ArrayNode arr = ServerState.JSON.createArrayNode();
            List<Integer> ids = UblkControl.deviceIds();
            if (!ids.isEmpty() || UblkControl.driverLoaded()) {
                try (UblkControl ctrl = UblkControl.open()) {
                    for (int id : ids) {
                        DevInfo info = ctrl.devInfo(id);
                        if (info == null) {
                            continue;
                        }
                        Params p = ctrl.getParams(id);
                        ObjectNode n = arr.addObject();
                        n.put("id", id);
                        n.put("path", "/dev/ublkb" + id);
                        n.put("state", stateName(info.state));
                        boolean alive = processAlive(info.ublksrvPid);
                        n.put("pid", info.ublksrvPid);
                        n.put("server_alive", alive);
                        n.put("queues", info.nrHwQueues);
                        n.put("depth", info.queueDepth);
                        n.put("size_bytes", p == null ? 0 : p.devSectors << 9);
                        n.put("block_size", p == null ? 0 : 1 << p.logicalBsShift);
                        n.put("copy", UblkServer.copyOf(info.flags).label);
                        n.put("commands", UblkServer.commandsOf(info.flags));
                        ObjectNode st = ServerState.read(id);
                        n.put("backend", st != null && alive && st.path("pid").asInt() == info.ublksrvPid ? st.path("backend").asText() : null);
                        if (st != null && alive && st.has("requests")) {
                            n.set("requests", st.get("requests"));
                            n.set("queue_requests", st.get("queue_requests"));
                            n.set("queue_allocated_bytes", st.get("queue_allocated_bytes"));
                        }
                        ArrayNode flags = n.putArray("flags");
                        featureNames(info.flags).forEach(flags::add);
                    }
                }
            } else {
                throw new UblkException("the kernel's ublk driver is not loaded: run 'modprobe ublk_drv' as root");
            }
            PrintWriter out = out(spec);
            if (json) {
                out.println(ServerState.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(arr));
                return 0;
            }
            if (arr.isEmpty()) {
                out.println("no ublk devices");
                return 0;
            }
            out.printf("%-4s %-13s %-9s %-6s %-6s %-10s %-7s %-8s %-8s %-13s %s%n", "ID", "DEVICE", "STATE", "QUEUES", "DEPTH", "SIZE", "COPY",
                    "COMMANDS", "PID", "SERVER", "BACKEND");
            for (var n : arr) {
                out.printf("%-4d %-13s %-9s %-6d %-6d %-10s %-7s %-8s %-8d %-13s %s%n",
                        n.get("id").asInt(), n.get("path").asText(), n.get("state").asText(),
                        n.get("queues").asInt(), n.get("depth").asInt(), human(n.get("size_bytes").asLong()), n.get("copy").asText(),
                        n.get("commands").asText(),
                        n.get("pid").asInt(), n.get("server_alive").asBoolean() ? "running" : "dead",
                        n.get("backend").isNull() ? "-" : n.get("backend").asText());
            }
            return 0;
        }
    }

    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.valueOf((long) v) : String.format("%.1f", v)) + " " + units[u];
    }

    // ------------------------------------------------------------------ features

    @Command(name = "features", mixinStandardHelpOptions = true,
            description = "Show the kernel ublk driver's feature bits by name, and which of them this server uses.")
    public static final class Features implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            long bits;
            try (UblkControl ctrl = UblkControl.open()) {
                bits = ctrl.features();
            }
            List<String> lacking = new ArrayList<>();
            for (int b = 0; b < FEATURE_NAMES.length; b++) {
                if ((bits & (1L << b)) == 0) {
                    lacking.add(FEATURE_NAMES[b]);
                }
            }
            String fallback = "per-tag buffers (the kernel copies; no system call per I/O)";
            String copy = (bits & UblkServer.ZERO_COPY_FLAGS) == UblkServer.ZERO_COPY_FLAGS
                    ? "zero copy for backends that can take it (file: on io_uring), else " + fallback : fallback;
            String batchAuto = "one command per tag (COMMIT_AND_FETCH_REQ; measured faster than batched commands)"
                    + ((bits & UBLK_F_BATCH_IO) != 0 ? "; --batch on for PREP/COMMIT/FETCH_IO_CMDS" : "");
            PrintWriter out = out(spec);
            if (json) {
                ObjectNode n = ServerState.JSON.createObjectNode();
                n.put("features", String.format("0x%x", bits));
                ArrayNode a = n.putArray("names");
                featureNames(bits).forEach(a::add);
                ArrayNode detail = n.putArray("bits");
                for (int b = 0; b < 64; b++) {
                    if ((bits & (1L << b)) != 0) {
                        detail.addObject().put("bit", b).put("name", featureNames(1L << b).get(0))
                                .put("server_use", ServerFeatures.use(b)).put("set_by_driver", ServerFeatures.setByDriver(b));
                    }
                }
                ArrayNode l = n.putArray("not_offered");
                lacking.forEach(l::add);
                n.put("copy_auto", copy);
                n.put("batch_auto", batchAuto);
                out.println(n);
                return 0;
            }
            out.printf("ublk driver features: 0x%x%n", bits);
            out.printf("  %-3s  %-24s  %s%n", "BIT", "FEATURE", "USED BY THIS SERVER");
            for (int b = 0; b < 64; b++) {
                if ((bits & (1L << b)) != 0) {
                    String use = ServerFeatures.use(b);
                    out.printf("  %3d  %-24s  %s%s%n", b, featureNames(1L << b).get(0), use == null ? "no" : "yes: " + use,
                            ServerFeatures.setByDriver(b) ? " (the driver sets it on every device)" : "");
                }
            }
            if (!lacking.isEmpty()) {
                out.println("not offered by this kernel: " + String.join(" ", lacking));
            }
            out.println("data movement used by 'ublk add --copy auto': " + copy);
            out.println("commands used by 'ublk add --batch auto': " + batchAuto);
            return 0;
        }
    }
}
