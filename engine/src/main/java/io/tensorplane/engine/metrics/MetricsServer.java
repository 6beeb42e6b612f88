package io.tensorplane.engine.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves {@link Metrics#scrape()} as Prometheus text on {@code GET /metrics} (JDK HTTP server, one
 * daemon thread; never on an I/O thread).
 */
public final class MetricsServer implements AutoCloseable {
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Serves on all interfaces; port 0 picks a free port (see {@link #port()}). */
    public static MetricsServer start(int port) {
        return start(new InetSocketAddress(port));
    }

    /**
     * Serves on one address.
     *
     * @throws IllegalArgumentException with a clear message if the port is taken or invalid
     */
    public static MetricsServer start(InetSocketAddress address) {
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (BindException e) {
            throw new IllegalArgumentException("cannot serve metrics on port " + address.getPort() + ": address already in use");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serve metrics on " + address + ": " + e.getMessage());
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tensorplane-metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", MetricsServer::metrics);
        server.createContext("/", MetricsServer::index);
        server.start();
        return new MetricsServer(server, executor);
    }

    private static void metrics(HttpExchange exchange) throws IOException {
        if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
            send(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
            return;
        }
        send(exchange, 200, CONTENT_TYPE, Metrics.scrape());
    }

    private static void index(HttpExchange exchange) throws IOException {
        if (!"/".equals(exchange.getRequestURI().getPath())) {
            send(exchange, 404, "text/plain; charset=utf-8", "not found; metrics are at /metrics\n");
            return;
        }
        send(exchange, 200, "text/plain; charset=utf-8", "Tensorplane metrics: GET /metrics (Prometheus text)\n");
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
