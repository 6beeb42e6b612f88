package io.tensorplane.nvmf;

import io.tensorplane.engine.metrics.Metrics;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The target's counters live in the process-wide registry, so that its own endpoint and the daemon's
 * ({@code serve --config}, which serves {@link Metrics#scrape()}) both show them, and they leave with the target.
 */
class MetricsEndpointTest {
    private static final String NQN = "nqn.2026-01.io.tensorplane:metrics";
    private static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";

    private static TargetConfig config(int metricsPort) {
        TargetConfig cfg = new TargetConfig();
        cfg.listen.add("127.0.0.1:0");
        cfg.threads = 1;
        cfg.cpus = "none";
        cfg.metricsPort = metricsPort;
        TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
        s.nqn = NQN;
        s.namespaces.add(new TargetConfig.NamespaceConfig("null:1M"));
        cfg.subsystems.add(s);
        return cfg;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String get(int port) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/metrics").toURL().openConnection();
        try (InputStream in = c.getInputStream()) {
            assertEquals(200, c.getResponseCode());
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    /** The value of an untagged sample in Prometheus text; fails if it is not there. */
    private static double value(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(text);
        assertTrue(m.find(), name + " in:\n" + text);
        return Double.parseDouble(m.group(1));
    }

    private static boolean metered() {
        return !Metrics.registry().find("tensorplane_nvmf_admin_connects").meters().isEmpty();
    }

    @Test
    void countersAreServedBesideTheDevicesAndLeaveWithTheTarget() throws Exception {
        assertFalse(metered(), "no target runs yet");
        int port = freePort();
        try (NvmfTarget t = NvmfTarget.start(config(port))) {
            double before = value(get(port), "tensorplane_nvmf_admin_connects_total"); // the warm-up's own connects
            try (NvmeTcpClient c = new NvmeTcpClient(t.ioAddresses().get(0), 5000)) {
                c.initialize(false, false);
                assertTrue(c.connect(0, 31, 0xffff, NQN, HOST, 10_000, 0).ok());
                assertEquals(before + 1, value(get(port), "tensorplane_nvmf_admin_connects_total"), "the connect is counted");
                assertEquals(1.0, value(Metrics.scrape(), "tensorplane_nvmf_live_controllers"),
                        "the process-wide scrape, the one the daemon serves, has the same counters");
            }
            // A second target in the same process is not metered, and closing it leaves the first one's counters.
            try (NvmfTarget second = NvmfTarget.start(config(0))) {
                assertEquals(1, Metrics.registry().find("tensorplane_nvmf_admin_connects").meters().size());
                assertFalse(second.ioAddresses().isEmpty(), "the second target serves all the same");
            }
            assertTrue(metered(), "the first target's counters outlive the second target");
        }
        assertFalse(metered(), "closing the target removed its counters");
        try (NvmfTarget again = NvmfTarget.start(config(0))) {
            assertTrue(metered(), "the next target is metered");
            assertFalse(again.ioAddresses().isEmpty());
        }
        assertFalse(metered());
    }

    @Test
    void aTakenMetricsPortFailsTheStartAndLeavesNothingBehind() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NvmfTarget.start(config(taken.getLocalPort())));
            assertEquals("cannot serve metrics on port " + taken.getLocalPort() + ": address already in use", e.getMessage());
        }
        assertFalse(metered(), "the failed start removed its counters");
    }
}
