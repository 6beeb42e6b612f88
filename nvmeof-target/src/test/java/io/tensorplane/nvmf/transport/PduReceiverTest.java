package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.tensorplane.nvmf.LeakCheck;
import io.tensorplane.nvmf.NvmeTcpClient;
import io.tensorplane.nvmf.pdu.DataPdu;
import io.tensorplane.nvmf.pdu.IcReqPdu;
import io.tensorplane.nvmf.pdu.Pdu;
import io.tensorplane.nvmf.pdu.ProtocolException;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.pdu.TermReqPdu;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The receive state machine alone, in an EmbeddedChannel, with a recording listener: framing, digests, fragmentation. */
class PduReceiverTest {
    @BeforeAll
    static void leaks() {
        LeakCheck.install();
    }

    @AfterAll
    static void noLeaks() throws InterruptedException {
        LeakCheck.assertNoLeaks();
    }

    static class Recorder implements PduListener {
        final List<String> events = new ArrayList<>();
        final ByteBuf sink = Unpooled.buffer();
        int digests = 3;

        @Override
        public int onIcReq(IcReqPdu.Decoder ic) {
            events.add("icreq " + ic.digest());
            return ic.digest() & digests;
        }

        @Override
        public ByteBuf onCapsule(Sqe.Decoder sqe, int inlineLength) {
            events.add("cmd op=" + sqe.opcode() + " inline=" + inlineLength);
            return inlineLength > 0 ? sink : null;
        }

        @Override
        public void onCapsuleData(boolean digestOk) {
            events.add("cmd-data " + digestOk);
        }

        @Override
        public ByteBuf onH2CData(DataPdu.Decoder h2c, boolean last) {
            events.add("h2c " + h2c.cccid() + "/" + h2c.ttag() + " @" + h2c.datao() + "+" + h2c.datal() + (last ? " last" : ""));
            return sink;
        }

        @Override
        public void onH2CDataDone(boolean digestOk) {
            events.add("h2c-done " + digestOk);
        }

        @Override
        public void onTermReq(int fes) {
            events.add("term " + fes);
        }

        @Override
        public void onFatal(int fes, int fei, String message) {
            events.add("fatal " + fes + "/" + fei);
        }
    }

    private static byte[] icreq(int digest) {
        ByteBuffer b = NvmeTcpClient.le(128);
        NvmeTcpClient.header(b, Pdu.ICREQ, 0, 128, 0, 128);
        b.put(11, (byte) digest);
        return b.array();
    }

    private static byte[] capsule(int opcode, byte[] data, boolean hd, boolean dd) {
        int h = hd ? 4 : 0;
        int d = dd && data != null ? 4 : 0;
        int plen = 72 + h + (data == null ? 0 : data.length + d);
        ByteBuffer b = NvmeTcpClient.le(plen);
        NvmeTcpClient.header(b, Pdu.CMD, (hd ? 1 : 0) | (d != 0 ? 2 : 0), 72, data == null ? 0 : 72 + h, plen);
        b.put(8, (byte) opcode);
        if (hd) {
            b.putInt(72, NvmeTcpClient.crc(b.array(), 0, 72));
        }
        if (data != null) {
            System.arraycopy(data, 0, b.array(), 72 + h, data.length);
            if (dd) {
                b.putInt(72 + h + data.length, NvmeTcpClient.crc(data, 0, data.length));
            }
        }
        return b.array();
    }

    private static List<String> feed(Recorder r, int chunk, byte[]... pdus) {
        EmbeddedChannel ch = new EmbeddedChannel(new PduReceiver(r, 8192, 131072));
        for (byte[] p : pdus) {
            for (int i = 0; i < p.length; i += chunk) {
                ch.writeInbound(Unpooled.copiedBuffer(p, i, Math.min(chunk, p.length - i)));
            }
        }
        assertFalse(ch.finish(), "the receiver emits no messages");
        return r.events;
    }

    @Test
    void wholePdusAndFragmentsDecodeTheSame() {
        byte[] data = new byte[3000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        for (int chunk : new int[] {1, 3, 7, 64, 100_000}) {
            Recorder r = new Recorder();
            List<String> ev = feed(r, chunk, icreq(3), capsule(6, null, true, true), capsule(1, data, true, true));
            assertEquals(List.of("icreq 3", "cmd op=6 inline=0", "cmd op=1 inline=3000", "cmd-data true"), ev, "chunk " + chunk);
            byte[] got = new byte[r.sink.readableBytes()];
            r.sink.readBytes(got);
            assertArrayEquals(data, got);
        }
    }

    @Test
    void dataDigestMismatchIsReportedNotFatal() {
        byte[] p = capsule(1, new byte[512], false, true);
        p[p.length - 2] ^= 1;
        Recorder r = new Recorder();
        assertEquals(List.of("icreq 2", "cmd op=1 inline=512", "cmd-data false", "cmd op=0 inline=0"),
                feed(r, 50, icreq(2), p, capsule(0, null, false, false)));
    }

    @Test
    void h2cData() {
        ByteBuffer b = NvmeTcpClient.le(24 + 100);
        NvmeTcpClient.header(b, Pdu.H2C_DATA, Pdu.F_DATA_LAST, 24, 24, 124);
        b.putShort(8, (short) 5);
        b.putShort(10, (short) 2);
        b.putInt(12, 0);
        b.putInt(16, 100);
        Recorder r = new Recorder();
        assertEquals(List.of("icreq 0", "h2c 5/2 @0+100 last", "h2c-done true"), feed(r, 9, icreq(0), b.array()));
        assertEquals(100, r.sink.readableBytes());
    }

    @Test
    void h2cDataLengthFieldMustMatchPlen() {
        ByteBuffer b = NvmeTcpClient.le(24 + 100);
        NvmeTcpClient.header(b, Pdu.H2C_DATA, 0, 24, 24, 124);
        b.putInt(16, 99);
        assertEquals(List.of("icreq 0", "fatal 1/16"), feed(new Recorder(), 1000, icreq(0), b.array()));
    }

    @Test
    void fatalOnceThenInputIsDropped() {
        Recorder r = new Recorder();
        byte[] bad = new byte[8];
        bad[0] = 0x0f;
        bad[2] = 24;
        bad[4] = 24;
        List<String> ev = feed(r, 5, icreq(0), bad, capsule(6, null, false, false), icreq(0));
        assertEquals(List.of("icreq 0", "fatal 1/0"), ev);
    }

    @Test
    void listenerExceptionBecomesFatal() {
        Recorder r = new Recorder() {
            @Override
            public ByteBuf onCapsule(Sqe.Decoder sqe, int inlineLength) {
                throw new ProtocolException(TermReqPdu.FES_PDU_SEQ_ERR, 0, "test");
            }
        };
        assertEquals(List.of("icreq 0", "fatal 2/0"), feed(r, 1000, icreq(0), capsule(6, null, false, false)));
    }

    @Test
    void hostTermReqWithErrorDataIsConsumed() {
        ByteBuffer b = NvmeTcpClient.le(24 + 72);
        NvmeTcpClient.header(b, Pdu.H2C_TERM, 0, 24, 0, 96);
        b.putShort(8, (short) 3);
        Recorder r = new Recorder();
        assertEquals(List.of("icreq 0", "term 3"), feed(r, 10, icreq(0), b.array()));
        assertTrue(r.events.stream().noneMatch(e -> e.startsWith("fatal")));
    }
}
