package io.tensorplane.nvmf;

import io.tensorplane.nvmf.subsystem.Subsystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The YAML/JSON configuration and the command line that builds the same configuration. */
class ConfigTest {
    @TempDir
    Path dir;

    @Test
    void yamlWithEveryKey() throws Exception {
        Path f = dir.resolve("t.yaml");
        Files.writeString(f, String.join("\n",
                "listen: [127.0.0.1:4420, \"[::1]:4421\"]",
                "discoveryPort: 8009",
                "metricsPort: 9464",
                "threads: 3",
                "transport: nio",
                "mdts: 5",
                "pieceSize: 65536",
                "subsystems:",
                "  - nqn: nqn.2026-01.io.tensorplane:a",
                "    allowHosts: [nqn.2014-08.org.nvmexpress:uuid:h1]",
                "    namespaces:",
                "      - mem:1G",
                "      - { spec: \"null:1T,bs=4096\", nsid: 7, uuid: 0b5d2c1e-6f1a-4c55-9a43-0d2a5b7f9e10 }",
                ""));
        TargetConfig c = TargetConfig.load(f.toFile());
        assertEquals(List.of("127.0.0.1:4420", "[::1]:4421"), c.listen);
        assertEquals(8009, c.discoveryPort);
        assertEquals(9464, c.metricsPort);
        assertEquals(3, c.threads);
        assertEquals("nio", c.transport);
        assertEquals(5, c.mdts);
        assertEquals(65536, c.pieceSize);
        assertEquals(0, new TargetConfig().mdts, "no MDTS by default, as nvmet");
        assertEquals("nqn.2026-01.io.tensorplane:a", c.subsystems.get(0).nqn);
        assertEquals(List.of("nqn.2014-08.org.nvmexpress:uuid:h1"), c.subsystems.get(0).allowHosts);
        assertEquals("mem:1G", c.subsystems.get(0).namespaces.get(0).spec);
        assertEquals(7, c.subsystems.get(0).namespaces.get(1).nsid);
        assertEquals("0b5d2c1e-6f1a-4c55-9a43-0d2a5b7f9e10", c.subsystems.get(0).namespaces.get(1).uuid);
    }

    @Test
    void jsonAndASingleListenString() throws Exception {
        Path f = dir.resolve("t.json");
        Files.writeString(f, "{\"listen\": \"127.0.0.1:0\", \"threads\": 1, \"subsystems\": [{\"nqn\": \"nqn.2026-01.io.tensorplane:j\","
                + " \"namespaces\": [\"null:1M\"]}]}");
        TargetConfig c = TargetConfig.load(f.toFile());
        assertEquals(List.of("127.0.0.1:0"), c.listen);
        try (NvmfTarget t = NvmfTarget.start(c)) {
            assertEquals(1, t.registry().subsystems().size());
            assertEquals(1, t.registry().find("nqn.2026-01.io.tensorplane:j").namespace(1).nsid());
        }
    }

    @Test
    void eventLoopCpus() {
        TargetConfig c = new TargetConfig();
        assertTrue(c.pinnedCpus().length >= 1, "auto: one pinned loop per CPU this process may use");
        c.threads = 3;
        assertEquals(0, c.pinnedCpus().length, "threads without cpus: unpinned loops");
        assertEquals(3, c.eventLoops());
        c.threads = 0;
        c.cpus = "0-1,3";
        assertArrayEquals(new int[] {0, 1, 3}, c.pinnedCpus());
        c.cpus = "none";
        assertEquals(0, c.pinnedCpus().length);
        c.cpus = "0-1";
        c.threads = 3;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::pinnedCpus);
        assertTrue(e.getMessage().contains("threads 3 conflicts with cpus 0-1"), e.getMessage());
        c.threads = 0;
        c.cpus = "two";
        e = assertThrows(IllegalArgumentException.class, c::pinnedCpus);
        assertTrue(e.getMessage().contains("bad CPU list 'two'"), e.getMessage());
    }

    @Test
    void unknownKeysAndBadValuesAreClearErrors() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "listen: 127.0.0.1:4420\nsubsystemz: []\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TargetConfig.load(f.toFile()));
        assertTrue(e.getMessage().contains("subsystemz"), e.getMessage());

        TargetConfig c = new TargetConfig();
        c.listen.add("127.0.0.1:0");
        TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
        s.nqn = "nqn.2026-01.io.tensorplane:" + "x".repeat(200);
        s.namespaces.add(new TargetConfig.NamespaceConfig("null:1M"));
        c.subsystems.add(s);
        e = assertThrows(IllegalArgumentException.class, () -> NvmfTarget.start(c));
        assertTrue(e.getMessage().contains("223 bytes"), e.getMessage());
        s.nqn = Subsystem.DISCOVERY_NQN;
        e = assertThrows(IllegalArgumentException.class, () -> NvmfTarget.start(c));
        assertTrue(e.getMessage().contains("discovery NQN"), e.getMessage());

        s.nqn = "nqn.2026-01.io.tensorplane:x";
        c.pieceSize = 4096; // below the 8 KiB of in-capsule data
        e = assertThrows(IllegalArgumentException.class, () -> NvmfTarget.start(c));
        assertTrue(e.getMessage().contains("piece size 4096 must be at least the inline data size 8192"), e.getMessage());
        c.pieceSize = 100_000;
        e = assertThrows(IllegalArgumentException.class, () -> NvmfTarget.start(c));
        assertTrue(e.getMessage().contains("multiple of 4096"), e.getMessage());
        c.pieceSize = 512 * 1024;
        c.mdts = 11;
        e = assertThrows(IllegalArgumentException.class, () -> NvmfTarget.start(c));
        assertTrue(e.getMessage().contains("0 (no limit)"), e.getMessage());
        c.mdts = 0;
        c.metricsPort = 99999; // refused before anything listens, not by the metrics server after it
        e = assertThrows(IllegalArgumentException.class, () -> NvmfTarget.start(c));
        assertEquals("metricsPort: 99999 is not a port (0 to 65535; 0: no endpoint)", e.getMessage());
        c.metricsPort = 0;
        c.discoveryPort = -1;
        e = assertThrows(IllegalArgumentException.class, () -> NvmfTarget.start(c));
        assertEquals("discoveryPort: -1 is not a port (0 to 65535; 0: none)", e.getMessage());
        c.discoveryPort = 0;
        s.namespaces.set(0, new TargetConfig.NamespaceConfig("bogus:1M"));
        e = assertThrows(IllegalArgumentException.class, () -> NvmfTarget.start(c));
        assertTrue(e.getMessage().contains("bogus"), e.getMessage());

        assertThrows(IllegalArgumentException.class, () -> NvmfTarget.parseAddress("127.0.0.1:99999", 4420));
        assertEquals(4420, NvmfTarget.parseAddress("127.0.0.1", 4420).getPort());
        assertEquals(4421, NvmfTarget.parseAddress("[::1]:4421", 4420).getPort());
    }

    /** Like the kernel's nvmet, any name is a subsystem name (test suites use {@code testnqn}); odd ones get a warning. */
    @Test
    void namesOutsideTheNqnFormatAreServedWithAWarning() throws Exception {
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel() == java.util.logging.Level.WARNING) {
                    warnings.add(r.getMessage());
                }
            }
            @Override public void flush() { }
            @Override public void close() { }
        };
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.tensorplane.nvmf");
        log.addHandler(h);
        try {
            TargetConfig c = new TargetConfig();
            c.listen.add("127.0.0.1:0");
            c.threads = 1;
            for (String name : new String[] {"testnqn", "mysubsys-1"}) {
                TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
                s.nqn = name;
                s.namespaces.add(new TargetConfig.NamespaceConfig("null:1M"));
                c.subsystems.add(s);
            }
            try (NvmfTarget t = NvmfTarget.start(c);
                 NvmeTcpClient host = new NvmeTcpClient(t.ioAddresses().get(0), 5000)) {
                host.initialize(false, false);
                host.connectAdminAndEnable("testnqn", TargetTest.HOST, 0);
                assertEquals(1, t.registry().find("testnqn").controllers().size());
            }
            assertTrue(warnings.stream().anyMatch(w -> w.contains("'testnqn' is not in the NQN format")), warnings.toString());
            assertTrue(warnings.stream().anyMatch(w -> w.contains("'mysubsys-1'")), warnings.toString());
            assertTrue(warnings.stream().noneMatch(w -> w.contains("nvmexpress.discovery")), warnings.toString());
        } finally {
            log.removeHandler(h);
        }
    }

    @Test
    void commandLineBuildsTheSameConfig() {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs("--listen", "127.0.0.1:4420", "--subsystem", "nqn.2026-01.io.tensorplane:disk1",
                "--ns", "mem:4G", "--ns", "null:1T", "--allow-host", "nqn.h", "--discovery-port", "8009", "--threads", "2",
                "--piece-size", "131072", "--mdts", "8");
        TargetConfig c = cmd.buildConfig();
        assertEquals(131072, c.pieceSize);
        assertEquals(8, c.mdts);
        assertEquals(List.of("127.0.0.1:4420"), c.listen);
        assertEquals(2, c.subsystems.get(0).namespaces.size());
        assertEquals("null:1T", c.subsystems.get(0).namespaces.get(1).spec);
        assertEquals(List.of("nqn.h"), c.subsystems.get(0).allowHosts);
        assertEquals(8009, c.discoveryPort);

        ServeCommand missing = new ServeCommand();
        new CommandLine(missing).parseArgs("--listen", "127.0.0.1:4420", "--ns", "mem:1G");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, missing::buildConfig);
        assertTrue(e.getMessage().contains("--subsystem"), e.getMessage());

        ServeCommand both = new ServeCommand();
        new CommandLine(both).parseArgs("--config", new File("x.yaml").getPath(), "--subsystem", "nqn.a:b");
        assertThrows(IllegalArgumentException.class, both::buildConfig);
    }
}
