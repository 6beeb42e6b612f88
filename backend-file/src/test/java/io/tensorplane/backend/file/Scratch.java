package io.tensorplane.backend.file;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real file systems for the fault tests: a size-limited tmpfs (to fill up), one remounted read-only, a loop
 * device with 4 KiB sectors. They need root (CI runs as root); elsewhere the tests skip and say why.
 */
final class Scratch {
    private Scratch() {
    }

    static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out.trim();
    }

    /** Mounts a tmpfs of {@code size} (e.g. "4m") on a fresh directory under target/; skips unless root can. */
    static Path tmpfs(String size) throws Exception {
        assumeTrue(root(), "mounting a small tmpfs needs root");
        Path dir = Files.createDirectories(Path.of("target", "mnt-" + System.nanoTime()));
        try {
            run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
        } catch (IOException e) {
            assumeTrue(false, "cannot mount a tmpfs here: " + e.getMessage());
        }
        return dir;
    }

    /** Mounts a ramfs (no fallocate at all: neither zero ranges nor holes) under target/; skips unless root can. */
    static Path ramfs() throws Exception {
        assumeTrue(root(), "mounting ramfs needs root");
        Path dir = Files.createDirectories(Path.of("target", "ramfs-" + System.nanoTime()));
        try {
            run("mount", "-t", "ramfs", "ramfs", dir.toString());
        } catch (IOException e) {
            assumeTrue(false, "cannot mount ramfs here: " + e.getMessage());
        }
        return dir;
    }

    static void remountReadOnly(Path mount) throws Exception {
        run("mount", "-o", "remount,ro", mount.toString());
    }

    static void unmount(Path mount) {
        try {
            run("umount", "-l", mount.toString());
            Files.deleteIfExists(mount);
        } catch (Exception ignored) {
            // best effort: a leftover mount under target/ goes with the next clean
        }
    }

    /** A loop device over {@code file} with {@code sectorSize}-byte logical blocks; skips unless root can. */
    static String loopDevice(Path file, int sectorSize) throws Exception {
        assumeTrue(root(), "a loop device needs root");
        try {
            return run("losetup", "--find", "--show", "--sector-size", Integer.toString(sectorSize), file.toString());
        } catch (IOException e) {
            assumeTrue(false, "cannot set up a loop device here: " + e.getMessage());
            return null;
        }
    }

    static void detach(String loop) {
        if (loop != null) {
            try {
                run("losetup", "-d", loop);
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    static List<String> lines(String s) {
        return s.lines().toList();
    }
}
