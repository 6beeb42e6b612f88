package io.tensorplane.nvmf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.tensorplane.nvmf.NvmeTcpClient.Completion;
import io.tensorplane.uring.IoUringProbe;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A namespace on the file backend (io_uring, O_DIRECT: every I/O really waits for the disk): the event loop
 * sleeps while the I/O is in flight and is woken by its completion. Counted: the loop's engine polls per
 * command stay a handful on epoll and io_uring (a loop that spins on in-flight I/O runs it hundreds of
 * times per command); NIO, which cannot watch the backend's descriptor, still serves correctly by polling.
 */
class BackendWakeTest {
    static final String NQN = "nqn.2026-01.io.tensorplane:wake";
    static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:33333333-3333-4444-5555-666666666666";

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "nio"})
    void loopsSleepWhileFileIoIsInFlight(String transport) throws Exception {
        assumeTrue(IoUringProbe.isAvailable(), "the file backend's io_uring is unavailable: " + IoUringProbe.unavailabilityCause());
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), "no epoll here");
        assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(), "no Netty io_uring here");
        Path dir = Files.createDirectories(Path.of("target", "wake"));
        Path img = dir.resolve(transport + "-" + System.nanoTime() + ".img");
        img.toFile().deleteOnExit();
        LeakCheck.install();
        TargetConfig cfg = new TargetConfig();
        cfg.listen.add("127.0.0.1:0");
        cfg.threads = 1;
        cfg.cpus = "none";
        cfg.transport = transport;
        TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
        s.nqn = NQN;
        s.namespaces.add(new TargetConfig.NamespaceConfig("file:" + img + ",create=16M,direct"));
        cfg.subsystems.add(s);
        int commands = 300;
        try (NvmfTarget target = NvmfTarget.start(cfg)) {
            InetSocketAddress addr = target.ioAddresses().get(0);
            try (NvmeTcpClient admin = new NvmeTcpClient(addr, 5000); NvmeTcpClient io = new NvmeTcpClient(addr, 5000)) {
                admin.initialize(false, false);
                int cntlid = admin.connectAdminAndEnable(NQN, HOST, 10_000);
                assertTrue(admin.command(0x09, 0, new int[] {7, 0}, 0).ok(), "one I/O queue");
                io.initialize(false, false);
                Completion con = io.connect(1, 127, cntlid, NQN, HOST, 0, 0);
                assertTrue(con.ok(), con.toString());
                Random rnd = new Random(3);
                long before = target.loops().sum(st -> st.enginePolls);
                for (int i = 0; i < commands / 2; i++) {
                    byte[] data = new byte[4096 * (1 + rnd.nextInt(4))];
                    rnd.nextBytes(data);
                    long slba = 8L * rnd.nextInt(3000);
                    assertTrue(io.write(1, slba, data, 512).ok());
                    Completion r = io.read(1, slba, data.length / 512, 512);
                    assertTrue(r.ok(), r.toString());
                    assertArrayEquals(data, r.data, "read back through " + transport);
                }
                long polls = target.loops().sum(st -> st.enginePolls) - before;
                System.out.println(transport + ": " + polls + " engine polls for " + commands + " commands");
                if (!transport.equals("nio")) {
                    assertTrue(polls <= 3L * commands, polls + " engine polls for " + commands + " commands on " + transport
                            + ": the loop spins on in-flight I/O instead of sleeping");
                }
            }
        }
        LeakCheck.assertNoLeaks();
    }
}
