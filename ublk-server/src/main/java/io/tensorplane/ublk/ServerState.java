package io.tensorplane.ublk;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

/**
 * What the kernel does not know about a device: its backend spec and log file. One small JSON file
 * per device in {@code /run/tensorplane/ublk} (or the temp directory), written by the server and
 * removed when it deletes the device.
 */
final class ServerState {
    static final ObjectMapper JSON = new ObjectMapper();

    private ServerState() {
    }

    static Path dir() {
        Path run = Paths.get("/run");
        Path base = Files.isDirectory(run) && Files.isWritable(run)
                ? run.resolve("tensorplane") : Paths.get(System.getProperty("java.io.tmpdir"), "tensorplane");
        return base.resolve("ublk");
    }

    static Path file(int id) {
        return dir().resolve(id + ".json");
    }

    static void write(int id, ObjectNode state) {
        try {
            Path d = dir();
            Files.createDirectories(d);
            Path tmp = d.resolve(id + ".json.tmp");
            Files.writeString(tmp, JSON.writeValueAsString(state));
            Files.move(tmp, file(id), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // The state file only enriches 'ublk list'; serving goes on without it.
        }
    }

    static ObjectNode read(int id) {
        try {
            return (ObjectNode) JSON.readTree(file(id).toFile());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static void remove(int id) {
        try {
            Files.deleteIfExists(file(id));
        } catch (IOException e) {
            // nothing to do
        }
    }
}
