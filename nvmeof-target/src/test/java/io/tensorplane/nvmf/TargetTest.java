package io.tensorplane.nvmf;

import io.tensorplane.nvmf.core.Status;
import io.tensorplane.nvmf.NvmeTcpClient.Completion;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole target in-process, driven over TCP by the minimal host: fabrics, admin, I/O, discovery. */
class TargetTest {
    static final String NQN = "nqn.2026-01.io.tensorplane:test";
    static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
    static NvmfTarget target;
    static InetSocketAddress addr;

    @BeforeAll
    static void start() throws Exception {
        LeakCheck.install();
        TargetConfig cfg = new TargetConfig();
        cfg.listen.add("127.0.0.1:0");
        cfg.threads = 2;
        // The protocol on io_uring where there is one (its flushes are the loop's own writev); the default, epoll,
        // carries BadInputTest, FuzzTest, LargeTransferTest and AllocationTest.
        cfg.transport = IoUring.isAvailable() ? "io_uring" : "auto";
        cfg.mdts = 5; // 128 KiB
        cfg.pieceSize = 16384; // transfers above 16 KiB move in pieces (several R2Ts, several C2HData PDUs)
        TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
        s.nqn = NQN;
        s.namespaces.add(new TargetConfig.NamespaceConfig("mem:64M"));
        s.namespaces.add(new TargetConfig.NamespaceConfig("null:1G,bs=4096"));
        cfg.subsystems.add(s);
        TargetConfig.SubsystemConfig locked = new TargetConfig.SubsystemConfig();
        locked.nqn = NQN + "-locked";
        locked.allowHosts.add("nqn.2014-08.org.nvmexpress:uuid:only-this-one");
        locked.namespaces.add(new TargetConfig.NamespaceConfig("null:1M"));
        cfg.subsystems.add(locked);
        target = NvmfTarget.start(cfg);
        addr = target.ioAddresses().get(0);
    }

    @AfterAll
    static void stop() throws Exception {
        target.close();
        LeakCheck.assertNoLeaks();
    }

    static NvmeTcpClient client(boolean hd, boolean dd) throws IOException {
        NvmeTcpClient c = new NvmeTcpClient(addr, 5000);
        c.initialize(hd, dd);
        return c;
    }

    static int adminController(NvmeTcpClient c) throws IOException {
        return c.connectAdminAndEnable(NQN, HOST, 10_000);
    }

    @Test
    void icRespAnnouncesDigestsAndMaxH2cData() throws Exception {
        try (NvmeTcpClient c = new NvmeTcpClient(addr, 5000)) {
            int digests = c.initialize(true, true);
            assertEquals(3, digests);
            assertEquals(16384, c.maxH2cData(), "MAXH2CDATA is the piece size");
        }
    }

    @Test
    void enableHandshakeAndShutdown() throws Exception {
        try (NvmeTcpClient c = client(false, false)) {
            Completion con = c.connect(0, 31, 0xffff, NQN, HOST, 10_000, 0);
            assertTrue(con.ok(), con.toString());
            int cntlid = (int) con.result & 0xffff;
            assertTrue(cntlid >= 1 && cntlid <= 0xffef);
            Completion cap = c.propertyGet(0x0, true);
            assertTrue(cap.ok());
            assertEquals(1023, cap.result & 0xffff, "MQES");
            assertEquals(1L, (cap.result >>> 37) & 1, "CSS NVM");
            assertEquals(0x00010300L, c.propertyGet(0x8, false).result);
            assertEquals(0L, c.propertyGet(0x1c, false).result & 1, "not ready before CC.EN");
            // Identify before enable is a sequence error.
            assertEquals(Status.CMD_SEQ_ERROR, c.command(0x06, 0, new int[] {1}, 4096).sc());
            assertTrue(c.propertySet(0x14, (6 << 16) | (4 << 20) | 1).ok());
            assertEquals(1L, c.propertyGet(0x1c, false).result & 1, "CSTS.RDY");
            assertTrue(c.propertySet(0x14, (6 << 16) | (4 << 20) | 1 | (1 << 14)).ok());
            assertEquals(2L, (c.propertyGet(0x1c, false).result >>> 2) & 3, "CSTS.SHST complete");
            // Bad CC (wrong IOSQES) gives CSTS.CFS.
            assertTrue(c.propertySet(0x14, 0).ok());
            assertTrue(c.propertySet(0x14, (5 << 16) | (4 << 20) | 1).ok());
            assertEquals(2L, c.propertyGet(0x1c, false).result & 2, "CSTS.CFS");
            // 8-byte access to a 4-byte property is an invalid field.
            assertEquals(Status.INVALID_FIELD, c.propertyGet(0x14, true).sc());
        }
    }

    @Test
    void identifyControllerNamespaceListAndDescriptors() throws Exception {
        try (NvmeTcpClient c = client(false, false)) {
            int cntlid = adminController(c);
            Completion id = c.command(0x06, 0, new int[] {1}, 4096);
            assertTrue(id.ok(), id.toString());
            ByteBuffer b = ByteBuffer.wrap(id.data).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(4096, id.data.length);
            assertEquals(cntlid, b.getShort(78) & 0xffff, "cntlid");
            assertEquals(5, b.get(77), "mdts");
            assertEquals(2, b.getInt(516), "nn");
            assertEquals((64 + 8192) / 16, b.getInt(1792), "ioccsz");
            assertEquals(1, b.getInt(1796), "iorcsz");
            assertTrue((b.getShort(320) & 0xffff) > 0, "kas");
            assertTrue((b.getInt(536) & 3) != 0, "sgls");
            assertEquals(1, b.get(111), "cntrltype I/O");
            assertEquals(NQN, new String(id.data, 768, NQN.length(), StandardCharsets.UTF_8));
            assertEquals("Tensorplane", new String(id.data, 24, 11, StandardCharsets.US_ASCII));

            Completion list = c.command(0x06, 0, new int[] {2}, 4096);
            ByteBuffer l = ByteBuffer.wrap(list.data).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1, l.getInt(0));
            assertEquals(2, l.getInt(4));
            assertEquals(0, l.getInt(8));

            Completion ns = c.command(0x06, 2, new int[] {0}, 4096);
            ByteBuffer n = ByteBuffer.wrap(ns.data).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals((1L << 30) / 4096, n.getLong(0), "nsze");
            assertEquals(12, n.get(128 + 2), "lbaf0 ds");

            Completion desc1 = c.command(0x06, 1, new int[] {3}, 4096);
            Completion desc1again = c.command(0x06, 1, new int[] {3}, 4096);
            Completion desc2 = c.command(0x06, 2, new int[] {3}, 4096);
            assertEquals(2, desc1.data[0], "NGUID descriptor");
            assertEquals(16, desc1.data[1]);
            assertEquals(3, desc1.data[20], "UUID descriptor");
            assertArrayEquals(desc1.data, desc1again.data, "stable ids");
            assertFalse(Arrays.equals(Arrays.copyOfRange(desc1.data, 24, 40), Arrays.copyOfRange(desc2.data, 24, 40)));
            assertArrayEquals(Arrays.copyOfRange(desc1.data, 4, 20),
                    Arrays.copyOfRange(c.command(0x06, 1, new int[] {0}, 4096).data, 104, 120), "NGUID in identify ns");

            assertEquals(Status.INVALID_NS, c.command(0x06, 7, new int[] {0}, 4096).sc());
            assertEquals(Status.INVALID_FIELD, c.command(0x06, 0, new int[] {0x42}, 4096).sc());
        }
    }

    @Test
    void logPagesAndFeatures() throws Exception {
        try (NvmeTcpClient c = client(false, false)) {
            adminController(c);
            int[] lids = {1, 2, 3, 4, 5};
            int[] sizes = {64, 512, 512, 4096, 4096};
            for (int i = 0; i < lids.length; i++) {
                int numd = sizes[i] / 4 - 1;
                Completion lp = c.command(0x02, -1, new int[] {lids[i] | (numd << 16)}, sizes[i]);
                assertTrue(lp.ok(), "log page " + lids[i] + ": " + lp);
                assertEquals(sizes[i], lp.data.length);
            }
            Completion fw = c.command(0x02, -1, new int[] {3 | (127 << 16)}, 512);
            assertEquals(1, fw.data[0]);
            Completion effects = c.command(0x02, -1, new int[] {5 | (1023 << 16)}, 4096);
            ByteBuffer e = ByteBuffer.wrap(effects.data).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1, e.getInt(4 * 6) & 1, "identify supported");
            assertEquals(3, e.getInt(1024 + 4) & 3, "write supported + LBCC");
            assertEquals(Status.INVALID_FIELD, c.command(0x02, -1, new int[] {0x70 | (255 << 16)}, 1024).sc(),
                    "discovery log on an NVM controller");

            Completion nq = c.command(0x09, 0, new int[] {7, (3 << 16) | 3}, 0);
            assertTrue(nq.ok());
            assertEquals(3, nq.result & 0xffff);
            assertEquals((3L << 16) | 3, c.command(0x0a, 0, new int[] {7}, 0).result);
            Completion big = c.command(0x09, 0, new int[] {7, (99 << 16) | 99}, 0);
            assertEquals(15, big.result & 0xffff, "capped at 16 queues");
            assertTrue(c.command(0x09, 0, new int[] {0x0b, 0x100}, 0).ok());
            assertEquals(0x100L, c.command(0x0a, 0, new int[] {0x0b}, 0).result);
            assertTrue(c.command(0x09, 0, new int[] {0x0f, 7000}, 0).ok());
            assertEquals(7000L, c.command(0x0a, 0, new int[] {0x0f}, 0).result);
            assertEquals(Status.INVALID_FIELD, c.command(0x09, 0, new int[] {6, 1}, 0).sc(), "no volatile write cache");
            assertEquals(Status.INVALID_FIELD, c.command(0x09, 0, new int[] {0x7e, 0}, 0).sc());
            assertTrue(c.command(0x18, 0, new int[0], 0).ok(), "keep alive");
            assertEquals(Status.INVALID_OPCODE, c.command(0x33, 0, new int[0], 0).sc());
        }
    }

    @Test
    void writeReadInlineAndR2tWithAndWithoutDigests() throws Exception {
        for (int mode = 0; mode < 4; mode++) {
            boolean hd = (mode & 1) != 0;
            boolean dd = (mode & 2) != 0;
            try (NvmeTcpClient a = client(hd, dd)) {
                int cntlid = adminController(a);
                assertTrue(a.command(0x09, 0, new int[] {7, (1 << 16) | 1}, 0).ok());
                try (NvmeTcpClient io = client(hd, dd)) {
                    Completion con = io.connect(1, 127, cntlid, NQN, HOST, 0, 0);
                    assertTrue(con.ok(), con.toString());
                    Random rnd = new Random(mode);
                    for (int size : new int[] {512, 4096, 8192, 12288, 65536, 131072}) {
                        byte[] data = new byte[size];
                        rnd.nextBytes(data);
                        long slba = 8 * rnd.nextInt(1000);
                        Completion w = io.write(1, slba, data, 512);
                        assertTrue(w.ok(), "write " + size + ": " + w);
                        Completion r = io.read(1, slba, size / 512, 512);
                        assertTrue(r.ok(), "read " + size + ": " + r);
                        assertArrayEquals(data, r.data, "data of " + size + " bytes, digests " + mode);
                        assertFalse(r.dataSuccess);
                    }
                }
            }
        }
    }

    @Test
    void sqFlowControlDisabledUsesDataSuccess() throws Exception {
        try (NvmeTcpClient a = client(false, false)) {
            int cntlid = adminController(a);
            try (NvmeTcpClient io = client(false, false)) {
                Completion con = io.connect(1, 127, cntlid, NQN, HOST, 0, 4);
                assertTrue(con.ok());
                assertEquals(0xffff, con.sqHead);
                byte[] data = new byte[4096];
                Arrays.fill(data, (byte) 0x5a);
                assertTrue(io.write(1, 0, data, 512).ok());
                Completion r = io.read(1, 0, 8, 512);
                assertTrue(r.dataSuccess, "C2HData carries SUCCESS, no response capsule");
                assertArrayEquals(data, r.data);
            }
        }
    }

    @Test
    void ioErrorsGiveNvmeStatus() throws Exception {
        try (NvmeTcpClient a = client(false, false)) {
            int cntlid = adminController(a);
            try (NvmeTcpClient io = client(false, false)) {
                assertTrue(io.connect(1, 127, cntlid, NQN, HOST, 0, 0).ok());
                long blocks = (64L << 20) / 512;
                assertEquals(Status.LBA_RANGE, io.read(1, blocks - 1, 2, 512).sc());
                assertEquals(Status.INVALID_NS, io.read(9, 0, 1, 512).sc());
                assertEquals(Status.INVALID_FIELD, io.read(1, 0, 512, 512).sc(), "256 KiB > MDTS 128 KiB");
                assertEquals(Status.INVALID_OPCODE, io.command(0x7e, 1, new int[0], 0).sc());
                // Write zeroes, DSM deallocate, flush.
                byte[] ones = new byte[4096];
                Arrays.fill(ones, (byte) 1);
                assertTrue(io.write(1, 100, ones, 512).ok());
                assertTrue(io.command(0x08, 1, new int[] {100, 0, 3}, 0).ok(), "write zeroes 4 blocks");
                byte[] back = io.read(1, 100, 8, 512).data;
                assertEquals(0, back[0]);
                assertEquals(0, back[4 * 512 - 1]);
                assertEquals(1, back[4 * 512]);
                ByteBuffer range = NvmeTcpClient.le(16);
                range.putInt(4, 4);
                range.putLong(8, 104);
                ByteBuffer dsm = io.sqe(0x09, 1);
                dsm.putInt(40, 0);
                dsm.putInt(44, 4);
                assertTrue(io.execute(dsm, range.array(), 0).ok(), "DSM deallocate");
                assertEquals(0, io.read(1, 104, 1, 512).data[0]);
                assertTrue(io.command(0x00, 1, new int[0], 0).ok(), "flush");
                assertEquals(Status.LBA_RANGE, io.command(0x08, 1, new int[] {(int) blocks, 0, 0}, 0).sc());
                // Property Get on an I/O queue is refused, a second Connect is a sequence error.
                assertEquals(Status.INVALID_FIELD, io.propertyGet(0x1c, false).sc());
                assertEquals(Status.CMD_SEQ_ERROR, io.connect(1, 127, cntlid, NQN, HOST, 0, 0).sc());
            }
        }
    }

    @Test
    void connectChecks() throws Exception {
        try (NvmeTcpClient c = client(false, false)) {
            Completion r = c.connect(0, 31, 0xffff, "nqn.2026-01.io.tensorplane:nope", HOST, 0, 0);
            assertEquals(Status.CONNECT_INVALID_PARAM, r.sc());
            assertEquals((1L << 16) | 256, r.result, "IATTR data, IPO subnqn");
            r = c.connect(0, 31, 0xffff, NQN + "-locked", HOST, 0, 0);
            assertEquals(Status.CONNECT_INVALID_HOST, r.sc());
            r = c.connect(0, 0, 0xffff, NQN, HOST, 0, 0);
            assertEquals(Status.CONNECT_INVALID_PARAM, r.sc(), "sqsize 0");
            r = c.connect(3, 31, 4242, NQN, HOST, 0, 0);
            assertEquals(Status.CONNECT_INVALID_PARAM, r.sc(), "unknown controller");
            assertEquals(Status.CMD_SEQ_ERROR, c.command(0x06, 0, new int[] {1}, 4096).sc(), "not connected");
            assertTrue(c.connect(0, 31, 0xffff, NQN, HOST, 0, 0).ok());
        }
        try (NvmeTcpClient a = client(false, false); NvmeTcpClient io = client(false, false)) {
            int cntlid = adminController(a);
            assertEquals(Status.CONNECT_INVALID_PARAM, io.connect(1, 127, cntlid, NQN, HOST + "x", 0, 0).sc(), "other host");
            assertEquals(Status.CONNECT_INVALID_PARAM, io.connect(17, 127, cntlid, NQN, HOST, 0, 0).sc(), "qid > max");
        }
    }

    @Test
    void discoveryLogListsSubsystemsTheHostMaySee() throws Exception {
        try (NvmeTcpClient c = client(false, false)) {
            c.connectAdminAndEnable("nqn.2014-08.org.nvmexpress.discovery", HOST, 0);
            Completion id = c.command(0x06, 0, new int[] {1}, 4096);
            assertEquals(2, id.data[111], "discovery controller");
            Completion hdr = c.command(0x02, 0, new int[] {0x70 | (255 << 16)}, 1024);
            assertTrue(hdr.ok(), hdr.toString());
            ByteBuffer h = ByteBuffer.wrap(hdr.data).order(ByteOrder.LITTLE_ENDIAN);
            long gen = h.getLong(0);
            assertTrue(gen > 0);
            assertEquals(1, h.getLong(8), "one subsystem visible to this host, one port");
            Completion all = c.command(0x02, 0, new int[] {0x70 | (511 << 16)}, 2048);
            ByteBuffer e = ByteBuffer.wrap(all.data, 1024, 1024).slice().order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(3, e.get(0), "tcp");
            assertEquals(1, e.get(1), "ipv4");
            assertEquals(2, e.get(2), "NVM subsystem");
            assertEquals(NQN, new String(all.data, 1024 + 256, NQN.length(), StandardCharsets.US_ASCII));
            assertEquals("127.0.0.1", new String(all.data, 1024 + 512, 9, StandardCharsets.US_ASCII));
            assertEquals(String.valueOf(addr.getPort()), new String(all.data, 1024 + 32, 32, StandardCharsets.US_ASCII).trim());
            // With an offset: the entry alone.
            Completion off = c.command(0x02, 0, new int[] {0x70 | (255 << 16), 0, 1024, 0}, 1024);
            assertArrayEquals(Arrays.copyOfRange(all.data, 1024, 2048), off.data);
            assertEquals(Status.INVALID_FIELD, c.command(0x06, 1, new int[] {0}, 4096).sc(), "no namespaces here");
        }
    }

    @Test
    void keepAliveTimeoutReleasesASilentHost() throws Exception {
        long before = target.registry().keepAliveTimeouts.get();
        try (NvmeTcpClient a = client(false, false)) {
            int cntlid = a.connectAdminAndEnable(NQN, HOST, 300);
            try (NvmeTcpClient io = client(false, false)) {
                assertTrue(io.connect(1, 31, cntlid, NQN, HOST, 0, 0).ok());
                long t0 = System.nanoTime();
                assertTrue(a.closedByPeer(), "admin connection closed");
                assertTrue(io.closedByPeer(), "I/O connection closed");
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms >= 250 && ms < 3000, "released after " + ms + " ms");
                assertEquals(before + 1, target.registry().keepAliveTimeouts.get());
                assertEquals(null, target.registry().find(NQN).controller(cntlid));
            }
        }
        // A host that keeps alive stays.
        try (NvmeTcpClient a = client(false, false)) {
            a.connectAdminAndEnable(NQN, HOST, 400);
            for (int i = 0; i < 8; i++) {
                Thread.sleep(100);
                assertTrue(a.command(0x18, 0, new int[0], 0).ok());
            }
        }
    }

    @Test
    void asyncEventRequestsAreHeldUpToTheLimit() throws Exception {
        try (NvmeTcpClient a = client(false, false)) {
            adminController(a);
            for (int i = 0; i < 4; i++) {
                ByteBuffer sqe = a.sqe(0x0c, 0);
                sqe.putShort(2, (short) (100 + i));
                a.send(a.capsule(sqe.array(), null));
            }
            Completion fifth = a.command(0x0c, 0, new int[0], 0);
            assertEquals(Status.ASYNC_LIMIT, fifth.sc());
            assertTrue(a.command(0x18, 0, new int[0], 0).ok(), "admin queue still works");
        }
    }
}
