package io.tensorplane.dpu.host;

import io.tensorplane.ublk.ctrl.UblkControl;
import io.tensorplane.uring.IoUringProbe;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** This machine, as seen by this process. */
public final class LiveHost implements Host {

    @Override
    public Optional<String> read(String path) {
        return readBytes(path).map(b -> new String(b, StandardCharsets.UTF_8));
    }

    @Override
    public Optional<byte[]> readBytes(String path) {
        try {
            return Optional.of(Files.readAllBytes(Path.of(path)));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<String> list(String dir) {
        try (Stream<Path> s = Files.list(Path.of(dir))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException | SecurityException e) {
            return List.of();
        }
    }

    @Override
    public String arch() {
        Optional<String> k = read("/proc/sys/kernel/arch").map(String::trim);
        if (k.isPresent() && !k.get().isEmpty()) {
            return k.get();
        }
        String a = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return a.equals("amd64") ? "x86_64" : a;
    }

    @Override
    public IoUringProbe.Availability ioUring() {
        return IoUringProbe.availability();
    }

    @Override
    public OptionalLong ublkFeatures() {
        if (!Files.exists(Path.of(UblkControl.CONTROL_PATH))) {
            return OptionalLong.empty();
        }
        try (UblkControl c = UblkControl.open()) {
            return OptionalLong.of(c.features());
        } catch (RuntimeException | LinkageError e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public Map<String, List<String>> interfaces() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        try {
            for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                List<String> addrs = new ArrayList<>();
                for (InetAddress a : Collections.list(n.getInetAddresses())) {
                    String s = a.getHostAddress();
                    int pct = s.indexOf('%');
                    addrs.add(pct < 0 ? s : s.substring(0, pct));
                }
                out.put(n.getName(), addrs);
            }
        } catch (SocketException e) {
            // no interfaces visible: an empty map says so
        }
        return out;
    }

    @Override
    public String bindProblem(String address, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(address), port));
            return null;
        } catch (IOException | SecurityException e) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }
}
