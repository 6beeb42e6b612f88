package io.tensorplane.it.bed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The real-kernel test bed: where tests run ({@link #mode()}), where things are ({@link #repoRoot()},
 * {@link #launcherJar()}), and {@link #boot(String)} to get a {@link Guest}. Tests normally use
 * {@link TestbedTest} instead of calling {@link #boot} themselves.
 *
 * <p>System properties: {@code tensorplane.testbed} = {@code vm | native | auto} (default auto: native only when run
 * as root on a host whose own kernel can load ublk_drv, null_blk, nvme-tcp and nvmet-tcp, else vm);
 * {@code tensorplane.testbed.mem} (guest RAM, default 3G); {@code tensorplane.testbed.bootTimeout} (seconds,
 * default 300); {@code tensorplane.repo} (repository root; found from the working directory otherwise);
 * {@code tensorplane.it.target} (where logs go; default {@code <repo>/it/target}).
 */
public final class Testbed {

    /** Where commands run. */
    public enum Mode {
        /** In a QEMU guest running Debian's Linux 6.12 (the default on hosts without the modules). */
        VM,
        /** On this host, as root (its kernel must have the modules). */
        NATIVE
    }

    private static final Object LOCK = new Object();
    private static Mode mode;
    private static boolean prepared;
    private static String envFile;

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

    /**
     * Prepares the bed once per JVM ({@code it/testbed/prepare}: host packages, kernel download, initramfs) and boots a
     * guest named {@code name} (used for its log and share directory). Throws {@link TestbedException} saying why
     * when anything fails.
     */
    public static Guest boot(String name) {
        return boot(name, "", "");
    }

    /**
     * Like {@link #boot(String)}, with {@code init} {@code "systemd"} for a guest whose PID 1 is systemd and {@code arch}
     * {@code "arm64"} for an emulated aarch64 guest ({@link TestbedTest#init()}, {@link TestbedTest#arch()}).
     */
    public static Guest boot(String name, String init, String arch) {
        if (!name.matches("[A-Za-z0-9._$-]+")) {
            throw new IllegalArgumentException("guest name must be [A-Za-z0-9._$-]+: " + name);
        }
        if (!init.isEmpty() && !init.equals("systemd")) {
            throw new IllegalArgumentException("init must be \"\" or \"systemd\", not '" + init + "'");
        }
        if (!arch.isEmpty() && !arch.equals("amd64") && !arch.equals("arm64")) {
            throw new IllegalArgumentException("arch must be \"\", \"amd64\" or \"arm64\", not '" + arch + "'");
        }
        Mode m = arch.equals("arm64") ? Mode.VM : mode(); // this host cannot run aarch64 natively
        if (m == Mode.NATIVE && init.equals("systemd") && !Files.isDirectory(Path.of("/run/systemd/system"))) {
            throw new TestbedException(name + " needs systemd as PID 1; this host (native mode) is not running it: use -Dtensorplane.testbed=vm");
        }
        prepare(m);
        return AgentGuest.start(name, m, init, arch);
    }

    /** Runs {@code it/testbed/prepare} once per JVM. */
    static void prepare(Mode m) {
        synchronized (LOCK) {
            if (prepared) {
                return;
            }
            List<String> cmd = new ArrayList<>(List.of(repoRoot().resolve("it/testbed/prepare").toString()));
            if (m == Mode.NATIVE) {
                cmd.add("--native");
            }
            Path log = targetDir().resolve("testbed-logs/prepare.log");
            int rc = exec(cmd, log, Duration.ofMinutes(20));
            if (rc != 0) {
                throw new TestbedException("test bed preparation failed (exit " + rc + "): " + tailOf(log, 20) + "\n(full output: " + log + ")");
            }
            prepared = true;
            String last = tailOf(log, 1).strip();
            envFile = last.endsWith(".env") && Files.isRegularFile(Path.of(last)) ? last : null;
        }
    }

    /** The env file {@code prepare} wrote (kernel, initramfs, module tree), or null. */
    static String preparedEnvFile() {
        synchronized (LOCK) {
            return envFile;
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
