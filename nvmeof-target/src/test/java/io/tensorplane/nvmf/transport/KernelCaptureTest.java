package io.tensorplane.nvmf.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.tensorplane.nvmf.LeakCheck;
import io.tensorplane.nvmf.pdu.CapsuleCmdPdu;
import io.tensorplane.nvmf.pdu.Crc32c;
import io.tensorplane.nvmf.pdu.DataPdu;
import io.tensorplane.nvmf.pdu.IcReqPdu;
import io.tensorplane.nvmf.pdu.Pdu;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bytes the Linux kernel's NVMe/TCP host sent (6.12, captured in the test bed through a TCP tap by
 * {@code it/bench/nvmf-capture.sh}: {@code nvme connect -g -G -i 1}, a 4 KiB write, a 64 KiB write, a 64 KiB read,
 * disconnect): the receive state machine decodes them with every header and data digest matching ours, and the
 * codec's encoders, given the same fields, produce the kernel's headers byte for byte (digests included).
 */
class KernelCaptureTest {
    @BeforeAll
    static void leaks() {
        LeakCheck.install();
    }

    @AfterAll
    static void noLeaks() throws InterruptedException {
        LeakCheck.assertNoLeaks();
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = KernelCaptureTest.class.getResourceAsStream("/kernel-host/" + name)) {
            assertNotNull(in, "captured stream " + name + " missing");
            return in.readAllBytes();
        }
    }

    /** The stream cut into PDUs by their PLEN. */
    static List<UnsafeBuffer> pdus(byte[] stream) {
        List<UnsafeBuffer> out = new ArrayList<>();
        UnsafeBuffer b = new UnsafeBuffer(stream);
        int at = 0;
        while (at < stream.length) {
            int plen = (int) Pdu.plen(b, at);
            assertTrue(plen >= Pdu.COMMON_HEADER_SIZE && at + plen <= stream.length, "PDU at " + at + ": plen " + plen);
            out.add(new UnsafeBuffer(stream, at, plen));
            at += plen;
        }
        return out;
    }

    static List<String> decode(byte[] stream) {
        PduReceiverTest.Recorder r = new PduReceiverTest.Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new PduReceiver(r, 8192, 512 * 1024));
        ch.writeInbound(Unpooled.wrappedBuffer(stream));
        assertFalse(ch.finish(), "the receiver emits no messages");
        r.sink.release();
        return r.events;
    }

    /** Re-encodes every PDU's header with the codec and compares it, digest included, with the kernel's. */
    static void sameHeaders(List<UnsafeBuffer> pdus) {
        Crc32c crc = new Crc32c();
        for (UnsafeBuffer p : pdus) {
            int type = Pdu.type(p, 0);
            boolean hd = (Pdu.flags(p, 0) & Pdu.F_HDGST) != 0;
            boolean dd = (Pdu.flags(p, 0) & Pdu.F_DDGST) != 0;
            UnsafeBuffer mine = new UnsafeBuffer(new byte[p.capacity()]);
            int n;
            switch (type) {
                case Pdu.ICREQ: {
                    IcReqPdu.Decoder d = new IcReqPdu.Decoder().wrap(p, 0);
                    n = new IcReqPdu.Encoder().wrap(mine, 0).pfv(d.pfv()).hpda(d.hpda()).digest(d.digest()).maxr2t(d.maxr2t())
                            .length();
                    break;
                }
                case Pdu.CMD: {
                    int data = p.capacity() - CapsuleCmdPdu.HLEN - (hd ? 4 : 0) - (dd ? 4 : 0);
                    CapsuleCmdPdu.Encoder e = new CapsuleCmdPdu.Encoder().wrap(mine, 0, hd, dd && data > 0, data);
                    mine.putBytes(CapsuleCmdPdu.SQE, p, CapsuleCmdPdu.SQE, CapsuleCmdPdu.HLEN - CapsuleCmdPdu.SQE);
                    e.finish(crc);
                    n = CapsuleCmdPdu.HLEN + (hd ? 4 : 0);
                    break;
                }
                case Pdu.H2C_DATA: {
                    DataPdu.Decoder d = new DataPdu.Decoder().wrap(p, 0);
                    new DataPdu.Encoder().wrap(mine, 0, Pdu.H2C_DATA, Pdu.flags(p, 0) & Pdu.F_DATA_LAST, hd, dd, d.datal())
                            .cccid(d.cccid()).ttag(d.ttag()).datao(d.datao()).finish(crc);
                    n = DataPdu.HLEN + (hd ? 4 : 0);
                    break;
                }
                default:
                    throw new AssertionError("the host sent " + Pdu.typeName(type));
            }
            byte[] theirs = new byte[n];
            byte[] ours = new byte[n];
            p.getBytes(0, theirs);
            mine.getBytes(0, ours);
            assertArrayEquals(theirs, ours, Pdu.typeName(type) + " header as the codec writes it");
        }
    }

    @Test
    void adminQueueOfTheKernelHost() throws IOException {
        byte[] s = resource("capture-0-h2c.bin");
        List<String> ev = decode(s);
        assertEquals("icreq 3", ev.get(0), "the host asks for both digests");
        assertEquals("cmd op=127 inline=1024", ev.get(1), "Connect with its 1024 bytes of data");
        assertEquals("cmd-data true", ev.get(2));
        assertTrue(ev.contains("cmd op=6 inline=0"), "Identify: " + ev);
        assertTrue(ev.stream().noneMatch(e -> e.startsWith("fatal") || e.endsWith("false")), "a digest or framing error: " + ev);
        sameHeaders(pdus(s));
    }

    @Test
    void ioQueueOfTheKernelHost() throws IOException {
        byte[] s = resource("capture-1-h2c.bin");
        List<String> ev = decode(s);
        assertEquals("icreq 3", ev.get(0));
        assertEquals("cmd op=127 inline=1024", ev.get(1));
        assertTrue(ev.contains("cmd op=1 inline=4096"), "4 KiB write in the capsule: " + ev);
        assertTrue(ev.contains("cmd op=1 inline=0"), "64 KiB write through R2T: " + ev);
        assertTrue(ev.contains("cmd op=2 inline=0"), "read: " + ev);
        long h2cBytes = ev.stream().filter(e -> e.startsWith("h2c ")).mapToLong(e -> Long.parseLong(e.replaceAll(".*\\+(\\d+).*", "$1"))).sum();
        assertEquals(65536, h2cBytes, "the 64 KiB write's data in H2CData PDUs: " + ev);
        assertTrue(ev.stream().noneMatch(e -> e.startsWith("fatal") || e.endsWith("false")), "a digest or framing error: " + ev);
        sameHeaders(pdus(s));
    }
}
