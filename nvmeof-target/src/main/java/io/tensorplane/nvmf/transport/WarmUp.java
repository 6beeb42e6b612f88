package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.tensorplane.nvmf.fabrics.ConnectData;
import io.tensorplane.nvmf.fabrics.FabricsCommands;
import io.tensorplane.nvmf.fabrics.PropertyCommand;
import io.tensorplane.nvmf.pdu.CapsuleCmdPdu;
import io.tensorplane.nvmf.pdu.Crc32c;
import io.tensorplane.nvmf.pdu.IcReqPdu;
import io.tensorplane.nvmf.pdu.Pdu;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.subsystem.Registry;
import io.tensorplane.nvmf.subsystem.Subsystem;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;

/**
 * Runs one discovery session through the real receive, dispatch and reply path before the target is announced, in
 * process: the PDUs are built with the codec's host-side encoders and fed to a {@link QueueDecoder} in an
 * {@link EmbeddedChannel} (no socket, no test host). That loads and links the classes of the receive and reply path,
 * which in an emulated machine can otherwise take longer than the 10 s the Linux host waits for the ICResp of its
 * first connection.
 */
final class WarmUp {
    private static final Logger LOG = Logger.getLogger(WarmUp.class.getName());
    private static final String HOST = "nqn.2014-08.io.tensorplane:warm-up";
    private static final int CC_ENABLE = (6 << 16) | (4 << 20) | 1;
    private static final int CC_SHUTDOWN = CC_ENABLE | (1 << 14);

    private final Crc32c crc = new Crc32c();
    private final CapsuleCmdPdu.Encoder capsule = new CapsuleCmdPdu.Encoder();
    private int cid;

    private WarmUp() {
    }

    static void run(Registry registry, LoopContexts loops) {
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            ch.pipeline().addLast(new QueueDecoder(registry, loops));
            new WarmUp().session(ch);
        } catch (RuntimeException e) {
            LOG.warning("nvmf: warm-up session failed: " + e);
        } finally {
            ch.finishAndReleaseAll();
            loops.forget(ch.eventLoop());
        }
    }

    private void session(EmbeddedChannel ch) {
        UnsafeBuffer icreq = new UnsafeBuffer(new byte[IcReqPdu.SIZE]);
        new IcReqPdu.Encoder().wrap(icreq, 0).pfv(Pdu.PFV_1_0).digest(Pdu.HDR_DIGEST_ENABLE | Pdu.DATA_DIGEST_ENABLE);
        exchange(ch, icreq.byteArray());
        byte[] connect = new byte[ConnectData.SIZE];
        UnsafeBuffer cd = new UnsafeBuffer(connect);
        cd.putShort(ConnectData.CNTLID, (short) ConnectData.CNTLID_DYNAMIC, ByteOrder.LITTLE_ENDIAN);
        byte[] sub = Subsystem.DISCOVERY_NQN.getBytes(StandardCharsets.UTF_8);
        byte[] host = HOST.getBytes(StandardCharsets.UTF_8);
        cd.putBytes(ConnectData.SUBSYSNQN, sub);
        cd.putBytes(ConnectData.HOSTNQN, host);
        exchange(ch, command(FabricsCommands.OPCODE, FabricsCommands.CONNECT, 0, 31 << 0, 0, connect));
        exchange(ch, command(FabricsCommands.OPCODE, FabricsCommands.PROPERTY_SET, 0, PropertyCommand.CC, CC_ENABLE, null));
        exchange(ch, command(0x06, 0, 1, 0, 0, null, 4096));
        exchange(ch, command(0x02, 0, 0x70 | (255 << 16), 0, 0, null, 1024));
        exchange(ch, command(FabricsCommands.OPCODE, FabricsCommands.PROPERTY_SET, 0, PropertyCommand.CC, CC_SHUTDOWN, null));
    }

    private byte[] command(int opcode, int fctype, int cdw10, int cdw11, int cdw12, byte[] data) {
        return command(opcode, fctype, cdw10, cdw11, cdw12, data, 0);
    }

    /** A capsule with header and data digests: in-capsule {@code data}, or {@code c2h} bytes expected back. */
    private byte[] command(int opcode, int fctype, int cdw10, int cdw11, int cdw12, byte[] data, int c2h) {
        int dataLength = data == null ? 0 : data.length;
        byte[] pdu = new byte[CapsuleCmdPdu.HLEN + 2 * Pdu.DIGEST_LENGTH + dataLength];
        UnsafeBuffer b = new UnsafeBuffer(pdu);
        capsule.wrap(b, 0, true, true, dataLength);
        Sqe.Encoder sqe = capsule.sqe().opcode(opcode).cid(++cid).cdw(10, cdw10).cdw(11, cdw11).cdw(12, cdw12);
        if (opcode == FabricsCommands.OPCODE) {
            sqe.fctype(fctype);
        }
        if (data != null) {
            sqe.sgl(0, dataLength, Sqe.SGL_INCAPSULE);
        } else {
            sqe.sgl(0, c2h, Sqe.SGL_TRANSPORT);
        }
        int plen = capsule.finish(crc);
        if (data != null) {
            b.putBytes(capsule.dataOffset(), data);
            b.putInt(capsule.dataOffset() + dataLength, crc.compute(b, capsule.dataOffset(), dataLength), ByteOrder.LITTLE_ENDIAN);
        }
        byte[] whole = new byte[plen];
        System.arraycopy(pdu, 0, whole, 0, plen);
        return whole;
    }

    /** Feeds one PDU and drops what the target answers (it must answer something). */
    private static void exchange(EmbeddedChannel ch, byte[] pdu) {
        ch.writeInbound(Unpooled.wrappedBuffer(pdu));
        ch.runPendingTasks();
        boolean answered = false;
        for (Object o; (o = ch.readOutbound()) != null; ) {
            answered = true;
            ((ByteBuf) o).release();
        }
        if (!answered) {
            throw new IllegalStateException("no answer to " + Pdu.typeName(pdu[0]));
        }
    }
}
