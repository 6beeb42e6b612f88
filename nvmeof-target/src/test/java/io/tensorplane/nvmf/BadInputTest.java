package io.tensorplane.nvmf;

import io.tensorplane.nvmf.pdu.Pdu;
import io.tensorplane.nvmf.core.Status;
import io.tensorplane.nvmf.pdu.TermReqPdu;
import io.tensorplane.nvmf.NvmeTcpClient.Completion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hand-built bad PDUs: each ends in a C2HTermReq with the right FES and a closed connection, or in
 * an NVMe status; a bystander connection with I/O in progress is never disturbed.
 */
class BadInputTest {
    static NvmfTarget target;
    static InetSocketAddress addr;
    NvmeTcpClient bystander;
    int cntlid;

    @BeforeAll
    static void start() throws Exception {
        LeakCheck.install();
        TargetConfig cfg = new TargetConfig();
        cfg.listen.add("127.0.0.1:0");
        cfg.threads = 1; // bystander and offender share the event loop
        TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
        s.nqn = TargetTest.NQN;
        s.namespaces.add(new TargetConfig.NamespaceConfig("mem:16M"));
        cfg.subsystems.add(s);
        target = NvmfTarget.start(cfg);
        addr = target.ioAddresses().get(0);
    }

    @AfterAll
    static void stop() throws Exception {
        target.close();
        LeakCheck.assertNoLeaks();
    }

    @BeforeEach
    void connectBystander() throws IOException {
        bystander = new NvmeTcpClient(addr, 5000);
        bystander.initialize(false, false);
        cntlid = bystander.connectAdminAndEnable(TargetTest.NQN, TargetTest.HOST, 30_000);
    }

    @AfterEach
    void bystanderStillWorks() throws IOException, InterruptedException {
        try (NvmeTcpClient io = new NvmeTcpClient(addr, 5000)) {
            io.initialize(false, false);
            // The previous test's queue 1 may still be closing on the event loop (its EOF not yet seen): retry.
            Completion con = io.connect(1, 31, cntlid, TargetTest.NQN, TargetTest.HOST, 0, 0);
            for (int i = 0; i < 100 && con.sc() == Status.CMD_SEQ_ERROR; i++) {
                Thread.sleep(10);
                con = io.connect(1, 31, cntlid, TargetTest.NQN, TargetTest.HOST, 0, 0);
            }
            assertTrue(con.ok(), con.toString());
            byte[] d = new byte[8192];
            Arrays.fill(d, (byte) 7);
            assertTrue(io.write(1, 0, d, 512).ok());
            assertArrayEquals(d, io.read(1, 0, 16, 512).data);
        }
        assertTrue(bystander.command(0x18, 0, new int[0], 0).ok(), "bystander admin queue alive");
        bystander.close();
    }

    /** Sends raw bytes on a fresh connection (after an optional ICReq) and expects a TermReq with {@code fes}, then EOF. */
    private static void expectTerm(boolean ic, boolean hd, byte[] bytes, int fes) throws IOException {
        try (NvmeTcpClient c = new NvmeTcpClient(addr, 5000)) {
            if (ic) {
                c.initialize(hd, false);
            }
            c.send(bytes);
            byte[] pdu = c.readPdu();
            assertEquals(Pdu.C2H_TERM, pdu[0], "C2HTermReq");
            assertEquals(TermReqPdu.HLEN, pdu[2]);
            assertEquals(fes, ByteBuffer.wrap(pdu).order(ByteOrder.LITTLE_ENDIAN).getShort(TermReqPdu.FES), "FES");
            assertTrue(c.closedByPeer(), "connection closed after the TermReq");
        }
    }

    private static byte[] pdu(int type, int flags, int hlen, int pdo, int plen, int size) {
        ByteBuffer b = NvmeTcpClient.le(size);
        NvmeTcpClient.header(b, type, flags, hlen, pdo, plen);
        return b.array();
    }

    private static byte[] cmd(int opcode) {
        byte[] p = pdu(Pdu.CMD, 0, 72, 0, 72, 72);
        p[8] = (byte) opcode;
        return p;
    }

    @Test
    void commandBeforeICReqIsASequenceError() throws Exception {
        expectTerm(false, false, cmd(0x06), TermReqPdu.FES_PDU_SEQ_ERR);
    }

    @Test
    void secondICReqIsASequenceError() throws Exception {
        expectTerm(true, false, pdu(Pdu.ICREQ, 0, 128, 0, 128, 128), TermReqPdu.FES_PDU_SEQ_ERR);
    }

    @Test
    void unsupportedPfv() throws Exception {
        byte[] ic = pdu(Pdu.ICREQ, 0, 128, 0, 128, 128);
        ic[8] = 1;
        expectTerm(false, false, ic, TermReqPdu.FES_UNSUPPORTED_PARAM);
    }

    @Test
    void unknownPduType() throws Exception {
        expectTerm(true, false, pdu(0x0f, 0, 24, 0, 24, 24), TermReqPdu.FES_INVALID_PDU_HDR);
    }

    @Test
    void controllerToHostPduFromTheHost() throws Exception {
        expectTerm(true, false, pdu(Pdu.C2H_DATA, 0, 24, 24, 28, 28), TermReqPdu.FES_INVALID_PDU_HDR);
    }

    @Test
    void wrongHeaderLength() throws Exception {
        expectTerm(true, false, pdu(Pdu.CMD, 0, 64, 0, 72, 72), TermReqPdu.FES_INVALID_PDU_HDR);
    }

    @Test
    void plenShorterThanHeader() throws Exception {
        expectTerm(true, false, pdu(Pdu.CMD, 0, 72, 0, 40, 72), TermReqPdu.FES_INVALID_PDU_HDR);
    }

    @Test
    void oversizedInCapsuleData() throws Exception {
        // plen says 1 MiB of in-capsule data: refused from the header alone.
        expectTerm(true, false, pdu(Pdu.CMD, 0, 72, 72, 72 + (1 << 20), 72), TermReqPdu.FES_INVALID_PDU_HDR);
    }

    @Test
    void hugePlen() throws Exception {
        expectTerm(true, false, pdu(Pdu.H2C_DATA, 0, 24, 24, -1, 24), TermReqPdu.FES_DATA_LIMIT_EXCEEDED);
    }

    @Test
    void badPdo() throws Exception {
        expectTerm(true, false, pdu(Pdu.CMD, 0, 72, 8, 72 + 512, 72), TermReqPdu.FES_INVALID_PDU_HDR);
    }

    @Test
    void headerDigestMismatch() throws Exception {
        byte[] p = Arrays.copyOf(cmd(0x18), 76);
        p[1] = Pdu.F_HDGST;
        p[4] = 76;
        ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).putInt(72, 0xdeadbeef);
        expectTerm(true, true, p, TermReqPdu.FES_HDR_DIGEST_ERR);
    }

    @Test
    void missingHeaderDigestFlag() throws Exception {
        expectTerm(true, true, cmd(0x18), TermReqPdu.FES_INVALID_PDU_HDR);
    }

    @Test
    void h2cDataWithoutR2T() throws Exception {
        byte[] p = pdu(Pdu.H2C_DATA, Pdu.F_DATA_LAST, 24, 24, 24 + 512, 24 + 512);
        ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 512);
        expectTerm(true, false, p, TermReqPdu.FES_INVALID_PDU_HDR);
    }

    @Test
    void h2cDataBeyondTheR2T() throws Exception {
        try (NvmeTcpClient c = new NvmeTcpClient(addr, 5000)) {
            c.initialize(false, false);
            assertTrue(c.connect(1, 31, cntlid, TargetTest.NQN, TargetTest.HOST, 0, 0).ok());
            ByteBuffer sqe = c.sqe(0x01, 1);
            sqe.putShort(2, (short) 9);
            sqe.putInt(48, 31); // 32 blocks = 16 KiB
            sqe.putInt(24 + 8, 16384);
            sqe.put(24 + 15, (byte) 0x5a);
            c.send(c.capsule(sqe.array(), null));
            byte[] r2t = c.readPdu();
            assertEquals(Pdu.R2T, r2t[0]);
            ByteBuffer r = ByteBuffer.wrap(r2t).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(16384, r.getInt(16));
            int ttag = r.getShort(10) & 0xffff;
            byte[] h2c = pdu(Pdu.H2C_DATA, Pdu.F_DATA_LAST, 24, 24, 24 + 32768, 24 + 32768);
            ByteBuffer h = ByteBuffer.wrap(h2c).order(ByteOrder.LITTLE_ENDIAN);
            h.putShort(8, (short) 9);
            h.putShort(10, (short) ttag);
            h.putInt(12, 0);
            h.putInt(16, 32768);
            c.send(h2c);
            byte[] term = c.readPdu();
            assertEquals(Pdu.C2H_TERM, term[0]);
            assertEquals(TermReqPdu.FES_DATA_OUT_OF_RANGE, term[8]);
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void unknownOpcodeAndBadSglGetAStatusNotATermReq() throws Exception {
        try (NvmeTcpClient c = new NvmeTcpClient(addr, 5000)) {
            c.initialize(false, false);
            assertTrue(c.connect(1, 31, cntlid, TargetTest.NQN, TargetTest.HOST, 0, 0).ok());
            assertEquals(Status.INVALID_OPCODE, c.command(0xee, 1, new int[0], 0).sc());
            // A read whose SGL is an in-capsule data block: the target cannot send data there.
            ByteBuffer raw = c.sqe(0x02, 1);
            raw.putShort(2, (short) 77);
            raw.putInt(48, 7);
            raw.putInt(24 + 8, 4096);
            raw.put(24 + 15, (byte) 0x01);
            c.send(c.capsule(raw.array(), null));
            byte[] rsp = c.readPdu();
            assertEquals(Pdu.RSP, rsp[0]);
            int status = (ByteBuffer.wrap(rsp).order(ByteOrder.LITTLE_ENDIAN).getShort(22) & 0xffff) >>> 1;
            assertEquals(Status.SGL_INVALID_TYPE, status & 0x7ff);
            // Length in the SGL that disagrees with NLB.
            ByteBuffer mismatch = c.sqe(0x02, 1);
            mismatch.putInt(48, 7);
            Completion m = c.execute(mismatch, null, 512);
            assertEquals(Status.SGL_INVALID_DATA, m.sc());
        }
    }

    @Test
    void badDataDigestFailsTheCommandOnly() throws Exception {
        try (NvmeTcpClient c = new NvmeTcpClient(addr, 5000)) {
            c.initialize(false, true);
            assertTrue(c.connect(1, 31, cntlid, TargetTest.NQN, TargetTest.HOST, 0, 0).ok());
            ByteBuffer sqe = c.sqe(0x01, 1);
            sqe.putShort(2, (short) 5);
            sqe.putInt(48, 0);
            sqe.putInt(24 + 8, 512);
            sqe.put(24 + 15, (byte) 0x01);
            byte[] p = c.capsule(sqe.array(), new byte[512]);
            p[p.length - 1] ^= 0x55; // corrupt the data digest
            c.send(p);
            byte[] rsp = c.readPdu();
            assertEquals(Pdu.RSP, rsp[0]);
            int status = (ByteBuffer.wrap(rsp).order(ByteOrder.LITTLE_ENDIAN).getShort(22) & 0xffff) >>> 1;
            assertEquals(Status.TRANSIENT_TR_ERR, status & 0x7ff);
            assertTrue(c.command(0x00, 1, new int[0], 0).ok(), "connection still usable");
        }
    }

    @Test
    void fragmentedPdusByteByByte() throws Exception {
        try (NvmeTcpClient c = new NvmeTcpClient(addr, 5000)) {
            c.initialize(true, true);
            assertTrue(c.connect(1, 31, cntlid, TargetTest.NQN, TargetTest.HOST, 0, 0).ok());
            byte[] data = new byte[4096];
            new java.util.Random(3).nextBytes(data);
            ByteBuffer sqe = c.sqe(0x01, 1);
            sqe.putShort(2, (short) 6);
            sqe.putInt(40, 64);
            sqe.putInt(48, 7);
            sqe.putInt(24 + 8, 4096);
            sqe.put(24 + 15, (byte) 0x01);
            byte[] p = c.capsule(sqe.array(), data);
            for (byte x : p) {
                c.socket().getOutputStream().write(x);
                c.socket().getOutputStream().flush();
            }
            byte[] rsp = c.readPdu();
            assertEquals(Pdu.RSP, rsp[0]);
            assertEquals(0, (ByteBuffer.wrap(rsp).order(ByteOrder.LITTLE_ENDIAN).getShort(22) & 0xffff) >>> 1);
            assertArrayEquals(data, c.read(1, 64, 8, 512).data);
        }
    }

    @Test
    void hostTermReqClosesQuietly() throws Exception {
        try (NvmeTcpClient c = new NvmeTcpClient(addr, 5000)) {
            c.initialize(false, false);
            byte[] t = pdu(Pdu.H2C_TERM, 0, 24, 0, 24, 24);
            t[8] = 1;
            c.send(t);
            assertTrue(c.closedByPeer());
        }
    }
}
