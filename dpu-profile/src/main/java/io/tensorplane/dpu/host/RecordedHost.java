package io.tensorplane.dpu.host;

import io.tensorplane.uring.IoUringProbe;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A machine recorded as a directory: {@code proc/...} and {@code sys/...} files as they were read there, and
 * {@code probes.properties} for what needs a system call:
 *
 * <pre>
 * arch=aarch64
 * io_uring_setup.errno=0            # or 1 (EPERM), 38 (ENOSYS): classified by IoUringProbe.explain
 * ublk.features=0x1fb               # absent: no /dev/ublk-control
 * interface.lo=127.0.0.1,::1
 * interface.enp3s0f0s0=192.0.2.10
 * bind.192.0.2.10.4420=Address already in use   # a listener that would fail (bind.ADDRESS.PORT); every other works
 * </pre>
 */
public final class RecordedHost implements Host {
    private final Path root;
    private final Properties probes = new Properties();

    public RecordedHost(Path root) {
        this.root = root;
        Path p = root.resolve("probes.properties");
        if (Files.exists(p)) {
            try (Reader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
                probes.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private Path at(String path) {
        return root.resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    @Override
    public Optional<String> read(String path) {
        return readBytes(path).map(b -> new String(b, StandardCharsets.UTF_8));
    }

    @Override
    public Optional<byte[]> readBytes(String path) {
        try {
            return Optional.of(Files.readAllBytes(at(path)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<String> list(String dir) {
        try (Stream<Path> s = Files.list(at(dir))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public String arch() {
        return probes.getProperty("arch", "x86_64");
    }

    /** {@code io_uring_setup.errno} of the recording, classified as the live probe would with this machine's files. */
    @Override
    public IoUringProbe.Availability ioUring() {
        int errno = Integer.parseInt(probes.getProperty("io_uring_setup.errno", "0"));
        if (errno == 0) {
            return new IoUringProbe.Availability(IoUringProbe.Reason.AVAILABLE, null);
        }
        return IoUringProbe.explain(errno, read("/proc/sys/kernel/io_uring_disabled").orElse(null), read("/proc/self/status").orElse(null));
    }

    @Override
    public OptionalLong ublkFeatures() {
        String v = probes.getProperty("ublk.features");
        return v == null ? OptionalLong.empty() : OptionalLong.of(Long.decode(v));
    }

    @Override
    public Map<String, List<String>> interfaces() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(probes.stringPropertyNames());
        names.sort(null);
        for (String k : names) {
            if (k.startsWith("interface.")) {
                out.put(k.substring("interface.".length()), Arrays.asList(probes.getProperty(k).split(",")));
            }
        }
        return out;
    }

    @Override
    public String bindProblem(String address, int port) {
        return probes.getProperty("bind." + address + "." + port);
    }
}
