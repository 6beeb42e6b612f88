package io.tensorplane.nvmf.pdu;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every PDU type through its encoder and back through its decoder, on heap and on direct memory, with digests. */
class PduCodecTest {
    private final Crc32c crc = new Crc32c();

    private static UnsafeBuffer[] buffers() {
        return new UnsafeBuffer[] {new UnsafeBuffer(new byte[512]), new UnsafeBuffer(ByteBuffer.allocateDirect(512))};
    }

    @Test
    void icReqAndIcResp() {
        for (UnsafeBuffer b : buffers()) {
            assertEquals(128, new IcReqPdu.Encoder().wrap(b, 8).pfv(0).hpda(3).digest(3).maxr2t(7).length());
            IcReqPdu.Decoder q = new IcReqPdu.Decoder().wrap(b, 8);
            assertEquals(Pdu.ICREQ, Pdu.type(b, 8));
            assertEquals(128, Pdu.plen(b, 8));
            assertEquals(3, q.hpda());
            assertEquals(3, q.digest());
            assertEquals(7, q.maxr2t());
            new IcRespPdu.Encoder().wrap(b, 0).pfv(0).cpda(0).digest(2).maxdata(131072);
            IcRespPdu.Decoder r = new IcRespPdu.Decoder().wrap(b, 0);
            assertEquals(Pdu.ICRESP, Pdu.type(b, 0));
            assertEquals(2, r.digest());
            assertEquals(131072, r.maxdata());
        }
    }

    @Test
    void capsuleWithInlineDataAndDigests() {
        for (UnsafeBuffer b : buffers()) {
            CapsuleCmdPdu.Encoder e = new CapsuleCmdPdu.Encoder().wrap(b, 0, true, true, 100);
            e.sqe().opcode(1).cid(0xbeef).nsid(5).cdw(10, 11).cdw(12, 7).sgl(0, 100, Sqe.SGL_INCAPSULE);
            assertEquals(72 + 4 + 100 + 4, e.finish(crc));
            assertEquals(76, Pdu.pdo(b, 0));
            assertEquals(Pdu.F_HDGST | Pdu.F_DDGST, Pdu.flags(b, 0));
            assertEquals(crc.compute(b, 0, 72), b.getInt(72, java.nio.ByteOrder.LITTLE_ENDIAN), "header digest");
            Sqe.Decoder s = new CapsuleCmdPdu.Decoder().wrap(b, 0).sqe();
            assertEquals(1, s.opcode());
            assertEquals(0xbeef, s.cid());
            assertEquals(5, s.nsid());
            assertEquals(11, s.cdw(10));
            assertEquals(7, s.cdw(12));
            assertEquals(100, s.sglLength());
            assertEquals(Sqe.SGL_INCAPSULE, s.sglType());
            // No data: no PDO, no data digest flag.
            new CapsuleCmdPdu.Encoder().wrap(b, 0, false, true, 0).sqe().opcode(6);
            assertEquals(0, Pdu.pdo(b, 0));
            assertEquals(0, Pdu.flags(b, 0));
            assertEquals(72, Pdu.plen(b, 0));
        }
    }

    @Test
    void responseR2tDataAndTermReq() {
        for (UnsafeBuffer b : buffers()) {
            assertEquals(28, new CapsuleRespPdu.Encoder().wrap(b, 0, true).result(0x1122334455L).sqHead(9).sqId(2).cid(77)
                    .status(0x4182).finish(crc));
            CapsuleRespPdu.Decoder r = new CapsuleRespPdu.Decoder().wrap(b, 0);
            assertEquals(0x1122334455L, r.result());
            assertEquals(9, r.sqHead());
            assertEquals(2, r.sqId());
            assertEquals(77, r.cid());
            assertEquals(0x4182, r.status());

            assertEquals(24, new R2TPdu.Encoder().wrap(b, 0, false).cccid(3).ttag(4).r2to(8192).r2tl(65536).finish(crc));
            R2TPdu.Decoder t = new R2TPdu.Decoder().wrap(b, 0);
            assertEquals(3, t.cccid());
            assertEquals(4, t.ttag());
            assertEquals(8192, t.r2to());
            assertEquals(65536, t.r2tl());

            DataPdu.Encoder d = new DataPdu.Encoder().wrap(b, 0, Pdu.C2H_DATA, Pdu.F_DATA_LAST | Pdu.F_DATA_SUCCESS, true, true, 300)
                    .cccid(5).ttag(0).datao(4096);
            assertEquals(24 + 4 + 300 + 4, d.finish(crc));
            assertEquals(28, d.dataOffset());
            assertEquals(Pdu.F_DATA_LAST | Pdu.F_DATA_SUCCESS | Pdu.F_HDGST | Pdu.F_DDGST, Pdu.flags(b, 0));
            DataPdu.Decoder dd = new DataPdu.Decoder().wrap(b, 0);
            assertEquals(5, dd.cccid());
            assertEquals(4096, dd.datao());
            assertEquals(300, dd.datal());

            new TermReqPdu.Encoder().wrap(b, 0, true).fes(TermReqPdu.FES_HDR_DIGEST_ERR).fei(0x01020304);
            assertEquals(Pdu.C2H_TERM, Pdu.type(b, 0));
            TermReqPdu.Decoder q = new TermReqPdu.Decoder().wrap(b, 0);
            assertEquals(TermReqPdu.FES_HDR_DIGEST_ERR, q.fes());
            assertEquals(0x01020304, q.fei());
        }
    }

    @Test
    void crcIsTheSameOnArraysAndNativeMemory() {
        byte[] data = new byte[1500];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(1500));
        direct.putBytes(0, data);
        java.util.zip.CRC32C ref = new java.util.zip.CRC32C();
        ref.update(data, 10, 1400);
        assertEquals((int) ref.getValue(), crc.compute(new UnsafeBuffer(data), 10, 1400));
        assertEquals((int) ref.getValue(), crc.compute(direct, 10, 1400));
    }
}
