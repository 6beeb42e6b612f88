package io.tensorplane.ublk;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * How 'ublk resize' and 'ublk upgrade' reach a running server: a Unix socket {@code <id>.sock} beside the device's
 * state file, one request line in, one reply line out ({@code ok ...} or {@code error: ...}). Only root can reach it
 * (the state directory is root's). The server answers on a thread of its own, never on a queue thread.
 */
final class ControlSocket implements AutoCloseable {
    private static final int MAX_LINE = 4096;

    private final Path path;
    private final ServerSocketChannel server;
    private final Thread thread;

    private ControlSocket(Path path, ServerSocketChannel server, Function<String, String> handler, int id) {
        this.path = path;
        this.server = server;
        this.thread = new Thread(() -> serve(handler), "ublk" + id + "-control");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    static Path path(int id) {
        return ServerState.dir().resolve(id + ".sock");
    }

    /** Listens on device {@code id}'s socket; {@code handler} turns a request line into a reply line. */
    static ControlSocket listen(int id, Function<String, String> handler) throws IOException {
        return listen(path(id), id, handler);
    }

    static ControlSocket listen(Path p, int id, Function<String, String> handler) throws IOException {
        Files.createDirectories(p.getParent());
        Files.deleteIfExists(p); // a dead server's
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(p));
        return new ControlSocket(p, s, handler, id);
    }

    private void serve(Function<String, String> handler) {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                String request = readLine(c);
                String reply;
                try {
                    reply = handler.apply(request);
                } catch (RuntimeException e) {
                    reply = "error: " + UblkCommand.message(e);
                }
                c.write(ByteBuffer.wrap((reply + "\n").getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                if (!server.isOpen()) {
                    return;
                }
                // one client's trouble: serve the next
            }
        }
    }

    private static String readLine(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(MAX_LINE);
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                break;
            }
            if (b.position() > 0 && b.get(b.position() - 1) == '\n') {
                break;
            }
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
    }

    /**
     * Sends {@code request} to device {@code id}'s server and returns its reply line.
     *
     * @throws UblkException when no server listens there
     */
    static String ask(int id, String request) {
        return ask(path(id), id, request);
    }

    static String ask(Path p, int id, String request) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(p))) {
            c.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            return readLine(c);
        } catch (IOException e) {
            throw new UblkException("cannot reach the server of ublk device " + id + " at " + p + " (" + e.getMessage()
                    + "); is it running? (see 'tensorplane ublk list')");
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // going away anyway
        }
    }
}
