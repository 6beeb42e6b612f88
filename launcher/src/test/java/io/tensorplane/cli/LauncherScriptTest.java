package io.tensorplane.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code launcher/src/main/sh/tensorplane-java} with a stand-in {@code java} that answers {@code profile show} as the
 * real one does and records every command line: what reaches the JVM for {@code serve --profile}.
 */
class LauncherScriptTest {
    static final Path SCRIPT = Path.of("src/main/sh/tensorplane-java").toAbsolutePath();

    static String run(Path dir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, String.join("\n",
                "#!/bin/bash",
                "echo \"java $*\" >> " + dir.resolve("calls"),
                "case \" $* \" in",
                "  *' profile show fits --format env '*) printf '%s\\n' TENSORPLANE_PROFILE_ARG=fits TENSORPLANE_PROFILE_NAME=fits"
                        + " TENSORPLANE_PROFILE_FITS=yes 'TENSORPLANE_PROFILE_JVM=-Xms1G -Xmx1G -XX:ActiveProcessorCount=2'"
                        + " TENSORPLANE_PROFILE_HOUSEKEEPING_CPUS=0 ;;",
                "  *' profile show misfit --format env '*) printf '%s\\n' TENSORPLANE_PROFILE_FITS=no 'TENSORPLANE_PROFILE_JVM=-Xmx9G'"
                        + " TENSORPLANE_PROFILE_HOUSEKEEPING_CPUS=0-63; exit 1 ;;",
                "  *' profile show unknown --format env '*) echo \"tensorplane: unknown profile 'unknown'\" >&2; exit 2 ;;",
                "esac", ""));
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jar = Files.writeString(dir.resolve("tensorplane.jar"), "");
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().put("TENSORPLANE_JAR", jar.toString());
        pb.environment().put("PATH", bin + ":/usr/bin:/bin");
        pb.environment().remove("TENSORPLANE_JAVA_OPTS");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor() == 2 ? 0 : p.exitValue(), out);
        return Files.exists(dir.resolve("calls")) ? Files.readString(dir.resolve("calls")) : "";
    }

    @Test
    void serveWithAProfileGetsItsFlagsAfterOneLookup(@TempDir Path dir) throws Exception {
        String calls = run(dir, Map.of("TENSORPLANE_JAVA_OPTS", "-XX:SharedArchiveFile=/tmp/a.jsa"), "serve", "--profile", "fits", "--config", "c.yaml");
        List<String> lines = calls.lines().toList();
        assertEquals(2, lines.size(), calls);
        assertTrue(lines.get(0).contains("-XX:SharedArchiveFile=/tmp/a.jsa") && lines.get(0).endsWith("profile show fits --format env"), calls);
        assertTrue(lines.get(1).startsWith("java -Xms1G -Xmx1G -XX:ActiveProcessorCount=2 -XX:SharedArchiveFile=/tmp/a.jsa -Dchronicle.analytics.disable=true"), calls);
        assertTrue(lines.get(1).endsWith("serve --profile fits --config c.yaml"), calls);
    }

    @Test
    void theEnvironmentOfTheUnitSavesTheLookup(@TempDir Path dir) throws Exception {
        String calls = run(dir, Map.of("TENSORPLANE_PROFILE_ARG", "fits", "TENSORPLANE_PROFILE_FITS", "yes",
                "TENSORPLANE_PROFILE_JVM", "-Xmx2G", "TENSORPLANE_PROFILE_HOUSEKEEPING_CPUS", "0"), "serve", "--profile=fits");
        assertEquals(1, calls.lines().count(), calls);
        assertTrue(calls.startsWith("java -Xmx2G "), calls);
    }

    @Test
    void aMisfitGetsNoFlagsSoServeCanRefuseItAndOtherVerbsNoLookup(@TempDir Path dir) throws Exception {
        String calls = run(dir, Map.of(), "serve", "--profile", "misfit");
        assertFalse(calls.contains("-Xmx9G"), calls);
        assertTrue(calls.lines().reduce((a, b) -> b).orElse("").startsWith("java -Dchronicle.analytics.disable=true"), calls);
        Files.delete(dir.resolve("calls"));
        calls = run(dir, Map.of(), "preflight", "--profile", "fits");
        assertEquals(1, calls.lines().count(), "no lookup for other verbs: " + calls);
        Files.delete(dir.resolve("calls"));
        calls = run(dir, Map.of(), "serve", "--profile", "unknown");
        assertEquals(1, calls.lines().count(), "an unknown profile stops after the lookup said why: " + calls);
    }
}
