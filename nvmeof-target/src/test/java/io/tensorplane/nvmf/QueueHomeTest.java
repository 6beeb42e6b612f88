package io.tensorplane.nvmf;

import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.NvmeTcpClient.Completion;
import io.tensorplane.nvmf.transport.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * I/O queue q of every controller is served by event loop (q - 1) mod N from its first command: the handshake
 * answers the ICReq and reads the Connect on the socket's descriptor before the connection is registered anywhere
 * (io_uring and epoll), or on the accepting loop before the channel moves to its home loop (NIO), and the queue
 * carries verified I/O.
 */
class QueueHomeTest {
    static final String NQN = "nqn.2026-01.io.tensorplane:home";
    static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:22222222-3333-4444-5555-666666666666";

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void ioQueuesAreServedByTheirHomeLoop(String transport) throws Exception {
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), "no epoll here");
        assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(), "no io_uring here: " + IoUring.unavailabilityCause());
        LeakCheck.install();
        TargetConfig cfg = new TargetConfig();
        cfg.listen.add("127.0.0.1:0");
        cfg.threads = 2;
        cfg.cpus = "none";
        cfg.transport = transport;
        TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
        s.nqn = NQN;
        s.namespaces.add(new TargetConfig.NamespaceConfig("mem:16M"));
        cfg.subsystems.add(s);
        try (NvmfTarget target = NvmfTarget.start(cfg)) {
            InetSocketAddress addr = target.ioAddresses().get(0);
            Random rnd = new Random(7);
            // Two controllers with queues 1 and 2 each: 3 connections per controller over 2 loops, so that a
            // round-robin spread would put some queue on the wrong loop.
            for (int ctrl = 0; ctrl < 2; ctrl++) {
                List<NvmeTcpClient> open = new ArrayList<>();
                try {
                    NvmeTcpClient admin = new NvmeTcpClient(addr, 5000);
                    open.add(admin);
                    admin.initialize(false, false);
                    int cntlid = admin.connectAdminAndEnable(NQN, HOST, 10_000);
                    assertTrue(admin.command(0x09, 0, new int[] {7, (1 << 16) | 1}, 0).ok(), "two I/O queues");
                    Controller c = target.registry().find(NQN).controller(cntlid);
                    assertNotNull(c);
                    for (int qid = 1; qid <= 2; qid++) {
                        NvmeTcpClient io = new NvmeTcpClient(addr, 5000);
                        open.add(io);
                        io.initialize(false, false);
                        Completion con = io.connect(qid, 127, cntlid, NQN, HOST, 0, 0);
                        assertTrue(con.ok(), con.toString());
                        for (int i = 0; i < 20; i++) {
                            byte[] data = new byte[4096 * (1 + rnd.nextInt(4))];
                            rnd.nextBytes(data);
                            long slba = 8L * rnd.nextInt(4000);
                            assertTrue(io.write(1, slba, data, 512).ok());
                            Completion r = io.read(1, slba, data.length / 512, 512);
                            assertTrue(r.ok(), r.toString());
                            assertArrayEquals(data, r.data, "queue " + qid + " of controller " + cntlid);
                        }
                        EventLoop home = target.loops().homeFor(qid);
                        assertNotNull(home);
                        assertSame(target.loops().statsOf(home), c.ioQueue(qid).stats(), "queue " + qid + " on its home loop");
                    }
                    assertEquals(target.loops().homeFor(1), target.loops().homeFor(3), "qid 3 wraps to loop 0");
                } finally {
                    for (NvmeTcpClient client : open) {
                        client.close();
                    }
                }
            }
            assertEquals(4, target.loops().steered(), "every I/O queue registered on its home loop by the handshake");
        }
        LeakCheck.assertNoLeaks();
    }

    @Test
    void autoTakesEpollAndSaysWhyNotIoUring() {
        assumeTrue(Epoll.isAvailable(), "no epoll here: " + Epoll.unavailabilityCause());
        Transport auto = Transport.select("auto", 0);
        assertEquals("epoll", auto.name());
        assertEquals(IoUring.isAvailable(), auto.why().contains("--transport io_uring"), auto.why());
        assertEquals("io_uring", IoUring.isAvailable() ? Transport.select("io_uring", 0).name() : "io_uring");
        assertEquals("nio", Transport.select("nio", 0).name(), "an explicit choice stands");
    }
}
