package io.tensorplane.dpu.host;

import io.tensorplane.uring.IoUringProbe;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What preflight and profile fitting may know of a machine: the text of its {@code /proc} and {@code /sys} files,
 * its auxiliary vector, and the few answers that need a system call. {@link LiveHost} reads this machine;
 * {@link RecordedHost} replays a recording (the unit tests' BlueField-3, BlueField-2 and container machines).
 */
public interface Host {

    /** The content of a file such as {@code /proc/meminfo}, or empty when it does not exist or cannot be read. */
    Optional<String> read(String path);

    /** The raw bytes of a file ({@code /proc/self/auxv}), or empty. */
    Optional<byte[]> readBytes(String path);

    /** The names in a directory ({@code /proc} gives the process ids among them), or an empty list. */
    List<String> list(String dir);

    /** The kernel's machine name, as {@code uname -m} prints it: {@code aarch64}, {@code x86_64}. */
    String arch();

    /** Whether io_uring can be used, and if not why (the uring module's probe and its classification). */
    IoUringProbe.Availability ioUring();

    /** The ublk driver's {@code GET_FEATURES} bits, or empty when {@code /dev/ublk-control} cannot be used. */
    OptionalLong ublkFeatures();

    /** Network interface name to its addresses (textual, without scope or prefix). */
    Map<String, List<String>> interfaces();

    /** Null if a TCP listener could be bound on {@code address:port} now, else why not. */
    String bindProblem(String address, int port);

    /** The first line of {@code path} that starts with {@code key}, with the key and the colon cut off and trimmed. */
    default Optional<String> field(String path, String key) {
        return read(path).flatMap(text -> text.lines()
                .filter(l -> l.startsWith(key) && l.length() > key.length()
                        && (l.charAt(key.length()) == ':' || Character.isWhitespace(l.charAt(key.length()))))
                .map(l -> l.substring(key.length()).replaceFirst("^[:\\s]+", "").trim())
                .findFirst());
    }
}
