package io.tensorplane.it.bed;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Linux machine with the real kernel features (ublk, NVMe/TCP host and target) in which tests run commands as root:
 * a QEMU guest booted once per test class ({@link Testbed.Mode#VM}) or the host itself ({@link Testbed.Mode#NATIVE}).
 *
 * <p>Each command is a bash script run in the repository root with {@code it/testbed/guest-lib.sh} sourced, so its
 * helpers ({@code tp_modprobe}, {@code kernel_nvmet_start}, {@code fio_point}, ...) are at hand. Environment:
 * {@code TP_REPO} (repository root, the same path as on the host), {@code TP_JAR} (the launcher's shaded jar),
 * {@code TP_SHARE} / {@code TP_OUT} (a directory the host sees as {@link #share()}), {@code TP_MODE} (vm|native),
 * {@code TP_KVER} / {@code TP_KSERIES} (the guest kernel's release and series, in VM mode), {@code TP_UAPI_INCLUDE}
 * (a folder with that kernel's UAPI headers, {@code linux/ublk_cmd.h} ..., where the bed has them; else empty).
 * Commands run one after the other; start long-lived servers with {@link #spawn}.
 */
public interface Guest extends AutoCloseable {

    /** Default time limit of {@link #run(String)}. */
    Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /** Runs a bash command (or script text) as root; the guest stops it after {@code timeout} (exit 124). */
    ExecResult run(String command, Duration timeout);

    /** {@link #run(String, Duration)} with {@link #DEFAULT_TIMEOUT}. */
    default ExecResult run(String command) {
        return run(command, DEFAULT_TIMEOUT);
    }

    /** Runs the command and throws an AssertionError with everything it printed unless it exits with 0. */
    default ExecResult runOk(String command, Duration timeout) {
        return run(command, timeout).assertOk();
    }

    /** {@link #runOk(String, Duration)} with {@link #DEFAULT_TIMEOUT}. */
    default ExecResult runOk(String command) {
        return runOk(command, DEFAULT_TIMEOUT);
    }

    /**
     * Starts a long-lived command in the background (own session, output to {@code <share>/<name>.log}) and returns
     * its process id in the guest. {@link #stop(String)} ends it; {@link #close()} ends whatever is left.
     */
    default int spawn(String name, String command) {
        requireName(name);
        String q = Testbed.shellQuote(command);
        ExecResult r = runOk("setsid bash -c " + q + " > \"$TP_SHARE/" + name + ".log\" 2>&1 < /dev/null &\n"
                + "echo $! > \"$TP_SHARE/" + name + ".pid\"; echo $!");
        return Integer.parseInt(r.out());
    }

    /** Ends a command started by {@link #spawn} (SIGTERM, then SIGKILL after {@code grace}); returns its log. */
    default String stop(String name, Duration grace) {
        requireName(name);
        run("p=$(cat \"$TP_SHARE/" + name + ".pid\" 2>/dev/null) || exit 0\n"
                + "kill -TERM -- -$p 2>/dev/null || kill -TERM $p 2>/dev/null\n"
                + "for i in $(seq " + Math.max(1, grace.toMillis() / 100) + "); do kill -0 $p 2>/dev/null || break; sleep 0.1; done\n"
                + "kill -KILL -- -$p 2>/dev/null; rm -f \"$TP_SHARE/" + name + ".pid\"; true",
                grace.plusSeconds(10));
        return log(name);
    }

    /** {@link #stop(String, Duration)} with a 5 s grace period. */
    default String stop(String name) {
        return stop(name, Duration.ofSeconds(5));
    }

    /** The output so far of a command started by {@link #spawn} ("" if none). */
    default String log(String name) {
        requireName(name);
        return Testbed.readString(share().resolve(name + ".log"));
    }

    /**
     * Copies a file or directory from the guest into {@link #share()} and returns its host path
     * ({@code <share>/<target>}).
     */
    default Path copyOut(String guestPath, String target) {
        requireName(target);
        runOk("rm -rf \"$TP_SHARE/" + target + "\" && cp -a " + Testbed.shellQuote(guestPath) + " \"$TP_SHARE/" + target + "\"");
        return share().resolve(target);
    }

    /** The directory shared with the guest: host path (the guest sees it at the same path, as {@code $TP_SHARE}). */
    Path share();

    /** The guest's console log on the host (empty file in native mode). */
    Path consoleLog();

    /** VM or NATIVE. */
    Testbed.Mode mode();

    /** The running kernel's release ({@code uname -r}), e.g. {@code 7.3.4+deb13-amd64}. */
    String kernelRelease();

    /** The running kernel's series: its release's first two numbers, e.g. {@code 7.3} or {@code 6.12}. */
    default String kernelSeries() {
        Matcher m = Pattern.compile("^(\\d+\\.\\d+)").matcher(kernelRelease());
        return m.find() ? m.group(1) : kernelRelease();
    }

    /** The repository root (the same path in the guest, as {@code $TP_REPO}). */
    default Path repoRoot() {
        return Testbed.repoRoot();
    }

    /** The launcher's shaded jar (the same path in the guest, as {@code $TP_JAR}). */
    default Path launcherJar() {
        return Testbed.launcherJar();
    }

    /** Stops spawned commands, powers the guest off (kills QEMU if needed) and keeps the console log. */
    @Override
    void close();

    private static void requireName(String name) {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("name must be [A-Za-z0-9._-]+: " + name);
        }
    }
}
