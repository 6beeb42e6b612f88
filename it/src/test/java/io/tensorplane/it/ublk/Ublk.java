package io.tensorplane.it.ublk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.Testbed;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Helpers for the ublk ITs: the launcher as the guest runs it, and the JSON it prints. */
final class Ublk {
    private Ublk() {
    }

    /** Class-data archive of the launcher, made once per guest: JVM start-up under TCG is seconds. */
    static final String CDS = "/tmp/tensorplane-ublk.jsa";

    /**
     * JVM options of every launcher run in the guest. -XX:UseAVX=0 dates from when AVX emulation was
     * suspected for the guest JVM crashes; the cause turned out to be multi-threaded TCG racing with
     * HotSpot's code patching (docs/testbed.md), and the guest CPU has no AVX anyway.
     */
    static final String JVM = "-XX:UseAVX=0 -XX:+UseParallelGC";

    /**
     * The launcher in the guest with the production JIT (C1 then C2): for checks of what the JIT makes of the queue
     * thread (its allocation), with the class-data archive; -Xlog:disable keeps JVM warnings off the one-line error
     * checks; a JVM crash leaves its report in the share.
     */
    static final String TP_JIT = "java " + JVM + " -XX:SharedArchiveFile=" + CDS + " -Xlog:disable -Xlog:all=off"
            + " -XX:ErrorFile=\"$TP_SHARE/hs_err_%p.log\" -jar \"$TP_JAR\"";

    /**
     * The launcher for everything else: C1 only (a server started by {@code ublk add} inherits it). Under emulation
     * most of a ublk test is JVM start-ups, and C2's compiles at start-up cost a quarter of each: measured in the bed
     * on 7.3, {@code ublk add} 12.2 s instead of 17.2 s, {@code ublk del} 5.5 s instead of 7.3 s. Behaviour is the
     * same under either compiler; only the allocation check needs what C2 does in production.
     */
    static final String TP = TP_JIT.replace(" -jar ", " -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData -jar ")
            .replace("-XX:+UseParallelGC", "-XX:+UseSerialGC");

    /**
     * The launcher for the verbs that start no server ({@code list}, {@code del}, {@code features}, {@code resize}):
     * interpreted only. Measured in one 7.3 guest on 2026-12-02: {@code ublk list} 11-12 s instead of 18 s with C1,
     * {@code ublk features} 10-12 s instead of 16 s; a short command's compiles cost more than they save under
     * emulation. Not for verbs that start a server, which inherits its command's JVM options.
     */
    static final String TP_CLI = TP.replace(" -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 ", " -Xint ");

    static final Duration ADD_TIMEOUT = Duration.ofSeconds(120);

    /** A device as 'ublk add' reported it. */
    record Dev(int id, String path, int pid, int queues, String json) {
    }

    /**
     * The class-data archive as the first class's guest made it: every later guest of the run reuses it, in either
     * fork (failsafe runs two), so it is kept in the it module's build directory, named after the jar it fits.
     */
    private static final Path ARCHIVE = archiveFor(Testbed.launcherJar());

    private static Path archiveFor(Path jar) {
        try {
            return Testbed.targetDir().resolve("testbed").resolve("tensorplane-ublk-" + Files.getLastModifiedTime(jar).toMillis()
                    + "-" + Files.size(jar) + ".jsa");
        } catch (IOException e) {
            throw new UncheckedIOException("no launcher jar (mvn package builds it): " + jar, e);
        }
    }

    static synchronized void loadDriver(Guest guest) {
        guest.runOk("tp_modprobe ublk_drv && wait_for_path /dev/ublk-control 5");
        if (Files.isRegularFile(ARCHIVE)) {
            // the same JDK and jar in every guest of a run, whatever its kernel: the archive fits (15 s saved a class)
            try {
                Files.copy(ARCHIVE, guest.share().resolve("tensorplane-ublk.jsa"), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            guest.runOk("cp \"$TP_SHARE/tensorplane-ublk.jsa\" " + CDS);
            return;
        }
        guest.run("test -f " + CDS + " || java -XX:ArchiveClassesAtExit=" + CDS + " -Xlog:disable " + JVM + " -jar \"$TP_JAR\""
                + " ublk list > /dev/null 2>&1; true", Duration.ofMinutes(3));
        if (guest.run("test -f " + CDS).exitCode() == 0) {
            Path made = guest.copyOut(CDS, "tensorplane-ublk.jsa"); // in the class's share, beside ARCHIVE's folder
            try {
                Files.createDirectories(ARCHIVE.getParent());
                Files.move(made, ARCHIVE, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** {@code ublk add ARGS} (background server); asserts success and returns the device. */
    static Dev add(Guest guest, String args) {
        return add(guest, TP, args);
    }

    /** {@code ublk add ARGS} run by {@code launcher} ({@link #TP} or {@link #TP_JIT}). */
    static Dev add(Guest guest, String launcher, String args) {
        ExecResult r = tp(guest, launcher, "ublk add " + args, ADD_TIMEOUT).assertOk();
        String json = r.out().strip();
        Dev d = new Dev(intField(json, "id"), strField(json, "path"), intField(json, "pid"), intField(json, "queues"), json);
        guest.runOk("test -b " + d.path() + " && blockdev --getsize64 " + d.path());
        return d;
    }

    /**
     * Runs the launcher in the guest. Under multi-threaded TCG (TENSORPLANE_VM_TCG=multi) about one
     * guest JVM in a hundred died with SIGSEGV in JIT-compiled code (a torn translation of code
     * HotSpot was patching; see docs/testbed.md); the default single-threaded TCG avoids it. Should
     * it happen anyway (the JVM's fatal-error banner, exit 134), it is reported on stderr, the crash
     * report is kept in the share, and the command runs once more; any other failure counts at once.
     */
    static ExecResult tp(Guest guest, String args, Duration timeout) {
        return tp(guest, startsNoServer(args) ? TP_CLI : TP, args, timeout);
    }

    private static boolean startsNoServer(String args) {
        return args.startsWith("ublk list") || args.startsWith("ublk del ") || args.startsWith("ublk features")
                || args.startsWith("ublk resize ");
    }

    private static ExecResult tp(Guest guest, String launcher, String args, Duration timeout) {
        ExecResult r = guest.run(launcher + " " + args, timeout);
        if (r.exitCode() == 134 && (r.stdout() + r.stderr()).contains("A fatal error has been detected by the Java Runtime Environment")) {
            System.err.println("WARNING: the guest JVM crashed running '" + args + "' (report in " + guest.share()
                    + "); running it once more. " + r);
            r = guest.run(launcher + " " + args, timeout);
        }
        return r;
    }

    /** {@code ublk del --id N}, asserting success and that the device is gone. */
    static void del(Guest guest, Dev d) {
        tp(guest, "ublk del --id " + d.id(), Duration.ofSeconds(90)).assertOk();
        guest.runOk("! test -e " + d.path() + " && ! test -e /dev/ublkc" + d.id());
    }

    /** Removes whatever ublk devices are left (after a failed test), best effort. */
    static void cleanUp(Guest guest) {
        guest.run("umount -l /mnt/ublk 2>/dev/null; pkill -9 fio 2>/dev/null; "
                + TP_CLI + " ublk del --all --force >/dev/null 2>&1; true", Duration.ofSeconds(120));
    }

    /** The server's state file (JSON with counters, refreshed every second). */
    static String state(Guest guest, Dev d) {
        return guest.runOk("sleep 1.2; cat /run/tensorplane/ublk/" + d.id() + ".json").out();
    }

    static int intField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(-?\\d+)").matcher(json);
        assertTrue(m.find(), "no " + name + " in " + json);
        return Integer.parseInt(m.group(1));
    }

    static long longField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(-?\\d+)").matcher(json);
        assertTrue(m.find(), "no " + name + " in " + json);
        return Long.parseLong(m.group(1));
    }

    static String strField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), "no " + name + " in " + json);
        return m.group(1);
    }

    static long[] longArray(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(json);
        assertTrue(m.find(), "no " + name + " in " + json);
        String[] parts = m.group(1).split(",");
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Long.parseLong(parts[i].strip());
        }
        return out;
    }

    /** A user-facing error: exit code not 0, exactly one line on stderr, no stack trace. */
    static void assertOneLineError(ExecResult r, String expected) {
        assertTrue(r.exitCode() != 0, "expected a failure: " + r);
        String err = r.stderr().strip();
        assertEquals(1, err.lines().count(), "expected one line: " + r);
        assertTrue(err.contains(expected), "expected '" + expected + "' in: " + r);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "stack trace: " + r);
    }
}
