package io.tensorplane.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.engine.metrics.Metrics;
import io.tensorplane.engine.trace.Trace;
import io.tensorplane.nvmf.subsystem.Registry;
import io.tensorplane.nvmf.subsystem.Subsystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon without the kernel (no ublk export here: UblkDaemonIT does those in the test bed): named devices
 * shared by NVMe/TCP namespaces, reloads that add and remove devices, subsystems and namespaces and refuse
 * what cannot change live, and the teardown that ends traces.
 */
class DaemonTest {
    @TempDir
    Path tmp;

    private Daemon daemon;

    private DaemonConfig config(String yaml) throws Exception {
        Path f = tmp.resolve("serve-" + System.nanoTime() + ".yaml");
        Files.writeString(f, yaml);
        return DaemonConfig.load(f.toFile(), daemon == null ? java.util.Set.of() : daemon.runningSpecs());
    }

    private static final String NQN = "nqn.2026-01.io.tensorplane:test";

    @Test
    void devicesAreSharedAndReloadsApplyWhatCanChangeLive() throws Exception {
        Path trace = tmp.resolve("a.trace");
        String base = "metrics: { port: 0 }\n"
                + "devices:\n"
                + "  a: { spec: mem:16M, trace: " + trace + " }\n"
                + "  b: { spec: mem:8M, emulation: { latency: 10us } }\n";
        String nvmf = "nvmf:\n  listen: 127.0.0.1:0\n  threads: 1\n  cpus: none\n  subsystems:\n"
                + "    - nqn: " + NQN + "\n      namespaces:\n";
        try (Daemon d = Daemon.start(config(base + nvmf + "        - device: a\n"))) {
            daemon = d;
            Registry reg = d.target().registry();
            Subsystem s = reg.find(NQN);
            assertSame(d.device("a"), s.namespace(1).device(), "namespace 1 is the named device itself, not a copy");
            try (io.tensorplane.engine.IoChannel ch = d.device("a").openChannel()) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4096);
                int[] result = {1};
                ch.write(0, 4096, org.agrona.BufferUtil.address(b), 0, (tag, r) -> result[0] = r, 0);
                assertEquals(4096, result[0]);
            }
            assertNotNull(Metrics.devices().stream().filter(m -> m.name().equals("a")).findFirst().orElse(null), "metered by name");
            assertTrue(Metrics.scrape().contains("tensorplane_nvmf_live_controllers"),
                    "the endpoint's scrape has the target's counters beside the devices");

            // add device c and namespaces 2 (b) and 3 (c); refuse a changed spec of b
            List<String> refused = d.reload(config(base.replace("latency: 10us", "latency: 20us") + "  c: { spec: null:1G }\n"
                    + nvmf + "        - device: a\n        - device: b\n        - device: c\n"));
            assertEquals(1, refused.size(), refused.toString());
            assertTrue(refused.get(0).startsWith("devices.b: spec, trace and emulation cannot change live"), refused.get(0));
            assertSame(d.device("b"), s.namespace(2).device());
            assertSame(d.device("c"), s.namespace(3).device());
            assertEquals(3, s.namespaces().size());

            // remove namespace 2 and device c's namespace and device c; a new subsystem on device b; the listen address is refused
            refused = d.reload(config(base + nvmf.replace("127.0.0.1:0", "127.0.0.1:1") + "        - device: a\n"
                    + "    - nqn: " + NQN + "2\n      namespaces: [ { device: b }, { spec: null:1M } ]\n"));
            assertEquals(List.of("nvmf.listen: cannot change live (only subsystems and namespaces can; restart the daemon to apply)"), refused);
            assertEquals(1, s.namespaces().size());
            assertNull(s.namespace(2));
            assertNull(d.device("c"), "device c closed");
            Subsystem s2 = reg.find(NQN + "2");
            assertSame(d.device("b"), s2.namespace(1).device());
            assertEquals(2, s2.namespaces().size());

            // a subsystem removed
            refused = d.reload(config(base + nvmf.replace("127.0.0.1:0", "127.0.0.1:1") + "        - device: a\n"));
            assertEquals(1, refused.size(), "only the listen address again: " + refused);
            assertNull(reg.find(NQN + "2"));
        }
        assertFalse(Metrics.scrape().contains("tensorplane_nvmf_"), "the target's counters left with it");
        Trace t = Trace.read(trace, null);
        assertTrue(t.complete(), "closing the daemon ended device a's trace");
        assertEquals(1, t.records(), "the one write was recorded");
    }
}
