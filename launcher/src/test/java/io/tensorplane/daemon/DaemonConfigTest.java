package io.tensorplane.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad configuration fails before anything starts, naming the field and the reason; README's example is valid. */
class DaemonConfigTest {
    @TempDir
    Path tmp;

    static final Path EXAMPLE = Path.of("..", "docs", "examples", "serve.yaml");

    private String error(String yaml) throws Exception {
        Path f = tmp.resolve("c" + System.nanoTime() + ".yaml");
        Files.writeString(f, yaml);
        String msg = assertThrows(IllegalArgumentException.class, () -> DaemonConfig.load(f.toFile())).getMessage();
        String prefix = "config " + f + ": ";
        assertTrue(msg.startsWith(prefix), msg);
        return msg.substring(prefix.length());
    }

    @Test
    void readmeShowsTheExampleTheTestsUse() throws Exception {
        String example = Files.readString(EXAMPLE);
        String readme = Files.readString(Path.of("..", "README.md"));
        assertTrue(readme.contains("```yaml\n" + example + "```"), "README embeds docs/examples/serve.yaml verbatim");
        DaemonConfig c = DaemonConfig.load(EXAMPLE.toFile());
        assertEquals(2, c.devices.size());
        assertEquals("mem:256M,trace=/var/tmp/tensorplane-disk1.trace,trace-data=checksum", c.devices.get("disk1").fullSpec());
        assertEquals("mem:128M,latency=nand,seed=7", c.devices.get("slow").fullSpec());
        assertEquals(2, c.devices.get("disk1").ublk.queues);
        assertEquals("disk1", c.nvmf.subsystems.get(0).namespaces.get(0).device);
        assertTrue(DaemonConfig.isDaemonConfig(EXAMPLE.toFile()));
    }

    @Test
    void aPlainTargetFileIsNotTheDaemons() throws Exception {
        Path f = tmp.resolve("target.yaml");
        Files.writeString(f, "listen: 127.0.0.1:4420\nsubsystems:\n  - nqn: nqn.2026-01.x:y\n    namespaces: [mem:1G]\n");
        assertEquals(false, DaemonConfig.isDaemonConfig(f.toFile()));
    }

    @Test
    void everyMistakeNamesItsField() throws Exception {
        assertEquals("devices.disk1.ublk: unknown field 'queuez'; expected one of copy, depth, id, ioScheduler, pin, queues, spinUs",
                error("devices:\n  disk1:\n    spec: mem:1G\n    ublk: { queuez: 2 }\n"));
        assertEquals("devices.disk1.spec: missing (e.g. spec: mem:1G)", error("devices:\n  disk1:\n    trace: /tmp/x\n"));
        assertEquals("devices.disk1: unknown backend 'disk' in spec 'disk:1G'; expected file:<path>, mem:<size> or null:<size>",
                error("devices:\n  disk1: { spec: 'disk:1G' }\n"));
        assertTrue(error("devices:\n  d: { spec: mem:1G, emulation: { latency: fast } }\n").startsWith("devices.d: bad latency 'fast'"));
        assertEquals("devices.d.ublk.depth: 5000 is not between 1 and 4096", error("devices:\n  d: { spec: mem:1G, ublk: { depth: 5000 } }\n"));
        assertEquals("devices.d.ublk.copy: 'zero'; expected auto, user or buffer", error("devices:\n  d: { spec: mem:1G, ublk: { copy: zero } }\n"));
        assertEquals("devices.a b: a device name is 1 to 64 letters, digits, '_', '.' or '-'", error("devices:\n  'a b': { spec: mem:1G }\n"));
        assertEquals("metrics.port: 70000 is not a port (0 to 65535; 0: no endpoint)", error("metrics: { port: 70000 }\ndevices:\n  d: { spec: mem:1G }\n"));
        assertEquals("devices: nothing to serve (no devices and no nvmf target)", error("metrics: { port: 1 }\n"));
        String nvmf = "devices:\n  d: { spec: mem:1G }\nnvmf:\n  listen: 127.0.0.1:4420\n  subsystems:\n";
        assertEquals("nvmf.subsystems[0].namespaces[1].device: no device named 'e' (devices: d)",
                error(nvmf + "    - nqn: nqn.2026-01.x:y\n      namespaces: [ { device: d }, { device: e } ]\n"));
        // a name outside the NQN format is served with a warning, as nvmet does; one nvmet could not take is refused
        assertEquals("nvmf.subsystems[0].nqn: NQN 'nqn.2026-01.x:a\\nb' contains a NUL or a line break",
                error(nvmf + "    - nqn: \"nqn.2026-01.x:a\\nb\"\n      namespaces: [ { device: d } ]\n"));
        assertEquals("nvmf.subsystems[0].namespaces[1].nsid: 1 is used twice",
                error(nvmf + "    - nqn: nqn.2026-01.x:y\n      namespaces: [ { device: d }, { spec: mem:1G, nsid: 1 } ]\n"));
        assertEquals("nvmf.subsystems[0].namespaces[0]: give either spec (a device of its own) or device (a name under devices)",
                error(nvmf + "    - nqn: nqn.2026-01.x:y\n      namespaces: [ { device: d, spec: mem:1G } ]\n"));
        assertEquals("nvmf.subsystems[1].nqn: nqn.2026-01.x:y is configured twice",
                error(nvmf + "    - { nqn: nqn.2026-01.x:y, namespaces: [ { device: d } ] }\n    - { nqn: nqn.2026-01.x:y, namespaces: [ { device: d } ] }\n"));
        assertEquals("nvmf.listen: missing (e.g. listen: 127.0.0.1:4420)",
                error("devices:\n  d: { spec: mem:1G }\nnvmf:\n  subsystems: [ { nqn: nqn.2026-01.x:y, namespaces: [ { device: d } ] } ]\n"));
        assertEquals("nvmf.transport: 'rdma'; expected auto, io_uring, epoll or nio",
                error("devices:\n  d: { spec: mem:1G }\nnvmf:\n  listen: 127.0.0.1:1\n  transport: rdma\n  subsystems: [ { nqn: nqn.2026-01.x:y, namespaces: [ { device: d } ] } ]\n"));
        assertEquals("nvmf.metricsPort: 70000 is not a port (0 to 65535; 0: no endpoint)",
                error("devices:\n  d: { spec: mem:1G }\nnvmf:\n  listen: 127.0.0.1:1\n  metricsPort: 70000\n  subsystems: [ { nqn: nqn.2026-01.x:y, namespaces: [ { device: d } ] } ]\n"));
        String syntax = error("devices:\n  d: { spec: mem:1G\n");
        assertTrue(syntax.matches("devices: while parsing a flow mapping \\(line [0-9]+\\)"), "a syntax error says where: " + syntax);
        assertEquals("devices.d.ublk.queues: Cannot deserialize value of type `int` from String \"two\": not a valid `int` value (line 2)",
                error("devices:\n  d: { spec: mem:1G, ublk: { queues: two } }\n"));
    }

    @Test
    void anEmptyFileIsRefused() throws Exception {
        File f = Files.writeString(tmp.resolve("empty.yaml"), "").toFile();
        assertEquals("config " + f + " is empty", assertThrows(IllegalArgumentException.class, () -> DaemonConfig.load(f)).getMessage());
    }
}
