package io.tensorplane.it.bed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.time.Duration;

/**
 * The host side of {@code it/testbed/guest-agent.sh}: commands go into {@code <share>/.testbed/cmd/<n>.sh}, results
 * come back as {@code <share>/.testbed/out/<n>.{out,err,rc}}. In VM mode the agent runs in a QEMU guest started by
 * {@code run-in-vm --agent}; in native mode it runs on this host.
 */
final class AgentGuest implements Guest {

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    /**
     * Every command's time limit is multiplied by {@code -Dtensorplane.testbed.timeScale} (default 1): the limits are
     * there to catch a hang, and they were set for a guest that has a core to itself; it/pom.xml runs two classes'
     * guests at once and doubles them. A command that needs the limit to fail (a hang test) names it inside the
     * command ({@code timeout 20 ...}), which this does not touch.
     */
    static final double TIME_SCALE = Double.parseDouble(System.getProperty("tensorplane.testbed.timeScale", "1"));

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(AgentGuest::kill), "testbed-reaper"));
    }

    private final String name;
    private final Testbed.Mode mode;
    private String kernelRelease;
    private final Process process;
    private final Path share;
    private final Path ctl;
    private final Path console;
    private final Path hostLog;
    private int seq;
    private boolean closed;

    /** In native mode, the lock that keeps one class at a time on this host (held from start to close), else null. */
    private FileLock nativeLock;

    private AgentGuest(String name, Testbed.Mode mode, Process process, Path share, Path console, Path hostLog) {
        this.name = name;
        this.mode = mode;
        this.process = process;
        this.share = share;
        this.ctl = share.resolve(".testbed");
        this.console = console;
        this.hostLog = hostLog;
    }

    /**
     * Boots a guest: on kernel {@code series} with the {@code envFile} that {@code prepare --kernel series} wrote (both
     * null: run-in-vm prepares, as for arm64), {@code init} "" or "systemd", {@code arch} "", "amd64" or "arm64".
     * Native mode: the agent runs on this host.
     */
    static AgentGuest start(String name, Testbed.Mode mode, String series, Path envFile, String init, String arch) {
        Path repo = Testbed.repoRoot();
        Path share = Testbed.targetDir().resolve("testbed").resolve(name);
        Path console = Testbed.consoleLogOf(name);
        Path hostLog = console.resolveSibling(name + ".host.log");
        Process p;
        FileLock lock = null;
        try {
            if (mode == Testbed.Mode.NATIVE) {
                // the host's own kernel, modules and devices: two forks' classes must not use them at once
                lock = Testbed.lockAcrossForks("testbed-native.lock");
            }
            deleteTree(share);
            Files.createDirectories(share);
            Files.createDirectories(console.getParent());
            Files.deleteIfExists(console);
            Files.deleteIfExists(console.resolveSibling(name + ".commands.log"));
            List<String> cmd = new ArrayList<>();
            ProcessBuilder pb;
            if (mode == Testbed.Mode.VM) {
                cmd.add(repo.resolve("it/testbed/run-in-vm").toString());
                cmd.add("--agent");
                if (series != null) {
                    cmd.addAll(List.of("--kernel", series));
                }
                cmd.addAll(List.of("--out", share.toString(), "--log", console.toString(),
                        "--java-home", System.getProperty("java.home"),
                        "--mem", System.getProperty("tensorplane.testbed.mem", "3G")));
                pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(hostLog.toFile());
                if (envFile != null) {
                    pb.environment().put("TENSORPLANE_PREPARED", envFile.toString());
                }
                if (!init.isEmpty()) {
                    pb.environment().put("TENSORPLANE_VM_INIT", init);
                }
                if (!arch.isEmpty()) {
                    pb.environment().put("TENSORPLANE_VM_ARCH", arch);
                }
                if (arch.equals("arm64")) {
                    // a small card's shape: the bluefield3 profile scaled to it keeps 1 housekeeping and 3 data CPUs
                    pb.environment().put("TENSORPLANE_VM_SMP", "4");
                }
            } else {
                Files.createDirectories(share.resolve(".testbed/cmd"));
                Files.createDirectories(share.resolve(".testbed/out"));
                Files.writeString(console, "");
                pb = new ProcessBuilder("bash", repo.resolve("it/testbed/guest-agent.sh").toString())
                        .redirectErrorStream(true).redirectOutput(hostLog.toFile());
                Map<String, String> env = pb.environment();
                env.put("TP_REPO", repo.toString());
                env.put("TP_SHARE", share.toString());
                env.put("TP_OUT", share.toString());
                env.put("TP_JAR", Testbed.launcherJar().toString());
                env.put("TP_MODE", "native");
                env.put("JAVA_HOME", System.getProperty("java.home"));
                env.put("PATH", System.getProperty("java.home") + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            }
            p = pb.start();
        } catch (IOException e) {
            Testbed.release(lock);
            throw new TestbedException("cannot start the test bed guest " + name + ": " + e.getMessage(), e);
        }
        LIVE.add(p);
        AgentGuest g = new AgentGuest(name, mode, p, share, console, hostLog);
        g.nativeLock = lock;
        try {
            g.awaitReady(Duration.ofSeconds(Long.getLong("tensorplane.testbed.bootTimeout", 300)));
        } catch (RuntimeException e) {
            Testbed.release(lock); // a guest that never came up is never closed
            throw e;
        }
        return g;
    }

    private void awaitReady(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        Path ready = ctl.resolve("agent-ready");
        while (!Files.exists(ready)) {
            if (!process.isAlive()) {
                throw new TestbedException("the test bed guest " + name + " (" + mode + ") did not come up: exit " + process.exitValue()
                        + diagnostics());
            }
            if (System.nanoTime() > deadline) {
                kill(process);
                throw new TestbedException("the test bed guest " + name + " (" + mode + ") did not come up within " + limit.toSeconds()
                        + " s" + diagnostics());
            }
            pause(20);
        }
    }

    @Override
    public synchronized ExecResult run(String command, Duration timeout) {
        if (closed) {
            throw new IllegalStateException("guest " + name + " is closed");
        }
        long secs = Math.max(1, (long) Math.ceil(timeout.toMillis() * TIME_SCALE / 1000.0));
        int n = ++seq;
        long start = System.nanoTime();
        Path out = ctl.resolve("out");
        Path rc = out.resolve(n + ".rc");
        try {
            Path tmp = ctl.resolve("cmd").resolve(n + ".tmp");
            Files.writeString(tmp, "# timeout=" + secs + "\n. \"$TP_REPO/it/testbed/guest-lib.sh\"\n" + command + "\n");
            Files.move(tmp, ctl.resolve("cmd").resolve(n + ".sh"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hand a command to guest " + name, e);
        }
        // the agent enforces the limit itself; the host waits a little longer before it declares the guest lost
        long deadline = start + TimeUnit.SECONDS.toNanos(secs + 30);
        long sleep = 1;
        String code;
        // the agent writes "<exit code>\n" in one write; an empty or partial file means "not yet"
        while (!(code = Files.exists(rc) ? Testbed.readString(rc) : "").endsWith("\n")) {
            if (!process.isAlive()) {
                throw new TestbedException("the test bed guest " + name + " died while running: " + command + diagnostics());
            }
            if (System.nanoTime() > deadline) {
                kill(process);
                throw new TestbedException("the test bed guest " + name + " stopped answering (command not back after " + (secs + 30)
                        + " s; guest killed): " + command + diagnostics());
            }
            pause(sleep);
            sleep = Math.min(20, sleep * 2);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        timing(String.format("%7.1f s  rc %s  %s", elapsed.toMillis() / 1000.0, code.strip(), oneLine(command)));
        int exit;
        try {
            exit = Integer.parseInt(code.strip());
        } catch (NumberFormatException e) {
            throw new TestbedException("guest " + name + " wrote a bad exit code '" + code + "' for: " + command, e);
        }
        return new ExecResult(command, exit, Testbed.readString(out.resolve(n + ".out")), Testbed.readString(out.resolve(n + ".err")), elapsed);
    }

    @Override
    public Path share() {
        return share;
    }

    @Override
    public Path consoleLog() {
        return console;
    }

    @Override
    public Testbed.Mode mode() {
        return mode;
    }

    /** Asked of the guest itself once ({@code uname -r}), whichever kernel and architecture it runs. */
    @Override
    public synchronized String kernelRelease() {
        if (kernelRelease == null) {
            kernelRelease = mode == Testbed.Mode.NATIVE ? Testbed.hostKernelRelease() : runOk("uname -r").out();
        }
        return kernelRelease;
    }

    /** Marks where a test starts in {@code testbed-logs/<name>.commands.log}, the time each command took. */
    void noteTestStart(String test) {
        timing("=== " + test);
    }

    /**
     * One line of {@code <name>.commands.log}: where a guest's time goes (under emulation most of a test's time is
     * JVM start-ups and fio, and this log says which), best effort.
     */
    private void timing(String line) {
        try {
            Files.writeString(console.resolveSibling(name + ".commands.log"), line + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // best effort: timings only
        }
    }

    private static String oneLine(String command) {
        String s = command.replaceAll("\\s+", " ").strip();
        return s.length() > 240 ? s.substring(0, 240) + " ..." : s;
    }

    /** Appends a note (e.g. a failed test's name and the guest's dmesg) to {@code testbed-logs/<name>.failures.log}. */
    void noteFailure(String test, Throwable cause) {
        StringBuilder sb = new StringBuilder("=== ").append(test).append(" failed: ").append(cause).append('\n');
        if (process.isAlive() && !closed) {
            try {
                ExecResult d = run("dmesg | tail -n 200", Duration.ofSeconds(20));
                sb.append("--- guest dmesg (tail) ---\n").append(d.stdout());
            } catch (RuntimeException e) {
                sb.append("(no dmesg: ").append(e.getMessage()).append(")\n");
            }
        }
        try {
            Files.writeString(console.resolveSibling(name + ".failures.log"), sb, StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // best effort: the console log is kept anyway
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            if (process.isAlive()) {
                stopSpawned();
                Files.writeString(ctl.resolve("cmd").resolve((seq + 1) + ".halt"), "");
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    kill(process);
                }
            }
        } catch (IOException | RuntimeException e) {
            kill(process);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(process);
        } finally {
            closed = true;
            LIVE.remove(process);
            Testbed.release(nativeLock);
        }
    }

    private void stopSpawned() {
        try (Stream<Path> s = Files.list(share)) {
            List<String> names = s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".pid"))
                    .map(f -> f.substring(0, f.length() - 4)).toList();
            for (String n : names) {
                stop(n, Duration.ofSeconds(2));
            }
        } catch (IOException | RuntimeException e) {
            // the guest is powered off next anyway; in native mode this is best effort
        }
    }

    private String diagnostics() {
        return "\n--- host side (" + hostLog + ") ---\n" + Testbed.tailOf(hostLog, 15)
                + "\n--- guest console (" + console + ", tail) ---\n" + Testbed.tailOf(console, 40);
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted while waiting for the test bed guest", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
