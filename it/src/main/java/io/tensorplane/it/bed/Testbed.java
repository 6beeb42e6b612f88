package io.tensorplane.it.bed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real-kernel test bed: where tests run ({@link #mode()}), where things are ({@link #repoRoot()},
 * {@link #launcherJar()}), and {@link #boot(String)} to get a {@link Guest}. Tests normally use
 * {@link TestbedTest} instead of calling {@link #boot} themselves.
 *
 * <p>System properties: {@code tensorplane.testbed} = {@code vm | native | auto} (default auto: native only when run
 * as root on a host whose own kernel can load ublk_drv, null_blk, nvme-tcp and nvmet-tcp, else vm);
 * {@code tensorplane.testbed.kernel} (the kernel series of guests whose class names none: 7.3 or 6.12; default the
 * environment's {@code TENSORPLANE_KERNEL_SERIES}, else 7.3); {@code tensorplane.testbed.mem} (guest RAM, default 3G); {@code tensorplane.testbed.bootTimeout} (seconds,
 * default 300); {@code tensorplane.repo} (repository root; found from the working directory otherwise);
 * {@code tensorplane.it.target} (where logs go; default {@code <repo>/it/target}).
 */
public final class Testbed {

    /** Where commands run. */
    public enum Mode {
        /** In a QEMU guest running Debian's Linux 7.3 or 6.12 (the default on hosts without the modules). */
        VM,
        /** On this host, as root (its kernel must have the modules). */
        NATIVE
    }

    private static final Object LOCK = new Object();
    private static final Map<String, Path> PREPARED = new HashMap<>();
    private static Mode mode;

    private Testbed() {
    }

    /** The mode chosen by {@code -Dtensorplane.testbed=vm|native|auto}. */
    public static Mode mode() {
        synchronized (LOCK) {
            if (mode == null) {
                String p = System.getProperty("tensorplane.testbed", "auto").trim().toLowerCase(Locale.ROOT);
                switch (p) {
                    case "vm" -> mode = Mode.VM;
                    case "native" -> mode = Mode.NATIVE;
                    case "auto", "" -> mode = hostHasModules() ? Mode.NATIVE : Mode.VM;
                    default -> throw new TestbedException("-Dtensorplane.testbed must be vm, native or auto, not '" + p + "'");
                }
            }
            return mode;
        }
    }

    /** The repository root; the guest sees it at the same path. */
    public static Path repoRoot() {
        String p = System.getProperty("tensorplane.repo");
        if (p != null && !p.isBlank()) {
            return Path.of(p).toAbsolutePath().normalize();
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("it/testbed/run-in-vm"))) {
                return d;
            }
        }
        throw new TestbedException("cannot find the repository root (no it/testbed/run-in-vm above "
                + Path.of("").toAbsolutePath() + "); set -Dtensorplane.repo");
    }

    /** The launcher's shaded jar, {@code launcher/target/tensorplane.jar} (built by {@code mvn verify} before the ITs). */
    public static Path launcherJar() {
        return repoRoot().resolve("launcher/target/tensorplane.jar");
    }

    /** The it module's build directory; console logs go to {@code testbed-logs/} in it. */
    public static Path targetDir() {
        String p = System.getProperty("tensorplane.it.target");
        return p != null && !p.isBlank() ? Path.of(p).toAbsolutePath().normalize() : repoRoot().resolve("it/target");
    }

    /** Where the console log of the guest called {@code name} is kept. */
    public static Path consoleLogOf(String name) {
        return targetDir().resolve("testbed-logs").resolve(name + ".log");
    }

    /** Kernel series the bed can boot ({@code it/testbed/prepare --kernel}). */
    public static final List<String> KERNEL_SERIES = List.of("7.3", "6.12");

    /**
     * The kernel series for a class that asks for {@code requested} ({@link TestbedTest#kernel()}; empty for the
     * default): the request, else {@code -Dtensorplane.testbed.kernel}, else {@code TENSORPLANE_KERNEL_SERIES}, else
     * 7.3 (what {@code it/testbed/prepare} also picks by itself).
     */
    public static String kernelSeries(String requested) {
        String s = requested;
        if (s == null || s.isBlank()) {
            s = System.getProperty("tensorplane.testbed.kernel", "");
        }
        if (s.isBlank()) {
            s = System.getenv().getOrDefault("TENSORPLANE_KERNEL_SERIES", "");
        }
        s = s.isBlank() ? KERNEL_SERIES.get(0) : s.strip();
        if (!KERNEL_SERIES.contains(s)) {
            throw new TestbedException("the test bed's kernel series must be one of " + KERNEL_SERIES + ", not '" + s
                    + "' (from @TestbedTest(kernel), -Dtensorplane.testbed.kernel or TENSORPLANE_KERNEL_SERIES)");
        }
        return s;
    }

    /** {@link #boot(String, String, String, String)} on the default kernel series, init and architecture. */
    public static Guest boot(String name) {
        return boot(name, "", "", "");
    }

    /**
     * Prepares the bed for the kernel series once per JVM ({@code it/testbed/prepare}: host packages, kernel download,
     * initramfs) and boots a guest named {@code name} (used for its log and share directory) on it: {@code kernel}
     * 7.3, 6.12, or empty for {@link #kernelSeries the default}; {@code init} {@code "systemd"} for a guest whose PID 1
     * is systemd; {@code arch} {@code "arm64"} for an emulated aarch64 guest, which runs Debian's 6.12
     * ({@link TestbedTest#kernel()}, {@link TestbedTest#init()}, {@link TestbedTest#arch()}). In native mode the
     * host's kernel runs. Throws {@link TestbedException} saying why when anything fails.
     */
    public static Guest boot(String name, String kernel, String init, String arch) {
        if (!name.matches("[A-Za-z0-9._$-]+")) {
            throw new IllegalArgumentException("guest name must be [A-Za-z0-9._$-]+: " + name);
        }
        if (!init.isEmpty() && !init.equals("systemd")) {
            throw new IllegalArgumentException("init must be \"\" or \"systemd\", not '" + init + "'");
        }
        if (!arch.isEmpty() && !arch.equals("amd64") && !arch.equals("arm64")) {
            throw new IllegalArgumentException("arch must be \"\", \"amd64\" or \"arm64\", not '" + arch + "'");
        }
        boolean arm64 = arch.equals("arm64");
        if (arm64 && !kernel.isBlank() && !kernel.strip().equals("6.12")) {
            throw new TestbedException(name + " asks for Linux " + kernel + " on arm64; the arm64 guest runs Debian's 6.12 only (it/testbed/prepare-arm64)");
        }
        Mode m = arm64 ? Mode.VM : mode(); // this host cannot run aarch64 natively
        if (m == Mode.NATIVE && init.equals("systemd") && !Files.isDirectory(Path.of("/run/systemd/system"))) {
            throw new TestbedException(name + " needs systemd as PID 1; this host (native mode) is not running it: use -Dtensorplane.testbed=vm");
        }
        String series = arm64 ? "6.12" : kernelSeries(kernel);
        Path env = prepare(m, arm64 ? kernelSeries("") : series);
        return AgentGuest.start(name, m, arm64 ? null : series, arm64 ? null : env, init, arch);
    }

    /** Runs {@code it/testbed/prepare} once per JVM and kernel series; returns its env file (null in native mode). */
    static Path prepare(Mode m, String series) {
        String key = m == Mode.NATIVE ? "native" : series;
        synchronized (LOCK) {
            if (PREPARED.containsKey(key)) {
                return PREPARED.get(key);
            }
            List<String> cmd = new ArrayList<>(List.of(repoRoot().resolve("it/testbed/prepare").toString()));
            if (m == Mode.NATIVE) {
                cmd.add("--native");
            } else {
                cmd.addAll(List.of("--kernel", series));
            }
            Path log = targetDir().resolve("testbed-logs/prepare-" + key + ".log");
            // failsafe's forks prepare at the same time: one at a time (host packages, downloads, the log file)
            int rc;
            String tail;
            FileLock lock = lockAcrossForks("testbed-prepare.lock");
            try {
                rc = exec(cmd, log, Duration.ofMinutes(20));
                tail = tailOf(log, 20);
            } finally {
                release(lock);
            }
            if (rc != 0) {
                throw new TestbedException("test bed preparation failed (exit " + rc + "): " + tail + "\n(full output: " + log + ")");
            }
            List<String> lines = tail.lines().toList();
            String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1).strip();
            Path env = m == Mode.VM && last.endsWith(".env") && Files.isRegularFile(Path.of(last)) ? Path.of(last) : null;
            if (m == Mode.VM && env == null) {
                throw new TestbedException("it/testbed/prepare named no env file (last line: '" + last + "'; see " + log + ")");
            }
            PREPARED.put(key, env);
            return env;
        }
    }

    /**
     * Takes (waiting for it) the lock file {@code name} in the it module's build directory, shared by every JVM of the
     * run (failsafe's forks); {@link #release} lets go.
     */
    static FileLock lockAcrossForks(String name) {
        Path file = targetDir().resolve(name);
        try {
            Files.createDirectories(file.getParent());
            return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE).lock();
        } catch (IOException e) {
            throw new TestbedException("cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    /** Lets go of a lock from {@link #lockAcrossForks} (null: nothing). */
    static void release(FileLock lock) {
        if (lock != null) {
            try {
                lock.channel().close(); // releases the lock
            } catch (IOException e) {
                // the lock goes with the JVM anyway
            }
        }
    }

    /** Single-quotes a string for bash. */
    public static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static String readString(Path p) {
        try {
            return Files.exists(p) ? new String(Files.readAllBytes(p), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last {@code lines} lines of a file, for messages. */
    static String tailOf(Path p, int lines) {
        String s = readString(p);
        List<String> all = s.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static int exec(List<String> cmd, Path log, Duration limit) {
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new TestbedException(String.join(" ", cmd) + " did not finish within " + limit + "; see " + log);
            }
            return p.exitValue();
        } catch (IOException e) {
            throw new TestbedException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted while running " + String.join(" ", cmd), e);
        }
    }

    /** The release of the kernel this JVM runs on ({@code uname -r}). */
    static String hostKernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    private static boolean hostHasModules() {
        if (!"Linux".equals(System.getProperty("os.name"))) {
            return false;
        }
        try {
            Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (id.waitFor() != 0 || !uid.equals("0")) {
                return false;
            }
            for (String mod : List.of("ublk_drv", "null_blk", "nvme-tcp", "nvmet-tcp")) {
                if (Files.isDirectory(Path.of("/sys/module", mod.replace('-', '_')))) {
                    continue;
                }
                Process p = new ProcessBuilder("modprobe", "-n", "-q", mod).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor() != 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
