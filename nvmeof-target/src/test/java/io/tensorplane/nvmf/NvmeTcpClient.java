package io.tensorplane.nvmf;

import io.tensorplane.nvmf.fabrics.ConnectData;
import io.tensorplane.nvmf.fabrics.FabricsCommands;
import io.tensorplane.nvmf.pdu.CapsuleCmdPdu;
import io.tensorplane.nvmf.pdu.CapsuleRespPdu;
import io.tensorplane.nvmf.pdu.Crc32c;
import io.tensorplane.nvmf.pdu.DataPdu;
import io.tensorplane.nvmf.pdu.IcReqPdu;
import io.tensorplane.nvmf.pdu.IcRespPdu;
import io.tensorplane.nvmf.pdu.Pdu;
import io.tensorplane.nvmf.pdu.R2TPdu;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.pdu.TermReqPdu;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A minimal blocking NVMe/TCP host for the tests and the fuzzer: one command at a time, every PDU written and read
 * through the same codec (the flyweight encoders and decoders of {@code io.tensorplane.nvmf.pdu}) as the target.
 * Not a data path.
 */
public final class NvmeTcpClient implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final Crc32c crc = new Crc32c();
    private final CapsuleCmdPdu.Encoder capsule = new CapsuleCmdPdu.Encoder();
    private final DataPdu.Encoder h2c = new DataPdu.Encoder();
    private final CapsuleRespPdu.Decoder resp = new CapsuleRespPdu.Decoder();
    private final DataPdu.Decoder c2h = new DataPdu.Decoder();
    private final R2TPdu.Decoder r2t = new R2TPdu.Decoder();
    private final TermReqPdu.Decoder term = new TermReqPdu.Decoder();
    private boolean hdgst;
    private boolean ddgst;
    private int maxH2cData;
    private int cid;
    private int inlineLimit = 8192;

    /** A completion, the C2H data that preceded it, or the TermReq that ended the connection. */
    public static final class Completion {
        public int status;
        public long result;
        public int cid;
        public int sqHead;
        public byte[] data = new byte[0];
        public boolean dataSuccess;
        public int termFes = -1;

        public int sc() {
            return status & 0x7ff;
        }

        public boolean ok() {
            return termFes < 0 && (status & 0x7ff) == 0;
        }

        @Override
        public String toString() {
            return termFes >= 0 ? "TermReq fes " + termFes
                    : String.format("status 0x%x result 0x%x data %d bytes", status, result, data.length);
        }
    }

    public NvmeTcpClient(InetSocketAddress target, int timeoutMs) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(target, timeoutMs);
        socket.setSoTimeout(timeoutMs);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public Socket socket() {
        return socket;
    }

    public void inlineLimit(int bytes) {
        inlineLimit = bytes;
    }

    public int maxH2cData() {
        return maxH2cData;
    }

    /** ICReq/ICResp; returns the digests the controller enabled. */
    public int initialize(boolean headerDigest, boolean dataDigest) throws IOException {
        UnsafeBuffer b = new UnsafeBuffer(new byte[IcReqPdu.SIZE]);
        new IcReqPdu.Encoder().wrap(b, 0).pfv(Pdu.PFV_1_0).hpda(0).maxr2t(0)
                .digest((headerDigest ? Pdu.HDR_DIGEST_ENABLE : 0) | (dataDigest ? Pdu.DATA_DIGEST_ENABLE : 0));
        send(b.byteArray());
        byte[] p = readPdu();
        if (p[0] != Pdu.ICRESP) {
            throw new IOException("expected ICResp, got " + Pdu.typeName(p[0]));
        }
        IcRespPdu.Decoder r = new IcRespPdu.Decoder().wrap(new UnsafeBuffer(p), 0);
        int digest = r.digest();
        hdgst = (digest & Pdu.HDR_DIGEST_ENABLE) != 0;
        ddgst = (digest & Pdu.DATA_DIGEST_ENABLE) != 0;
        maxH2cData = r.maxdata();
        return digest;
    }

    /** Fabrics Connect. */
    public Completion connect(int qid, int sqsize, int cntlid, String subnqn, String hostnqn, int katoMs, int cattr)
            throws IOException {
        ByteBuffer sqe = sqe(FabricsCommands.OPCODE, 0);
        sqe.put(Sqe.FCTYPE, (byte) FabricsCommands.CONNECT);
        sqe.putShort(40, (short) 0);
        sqe.putShort(42, (short) qid);
        sqe.putShort(44, (short) sqsize);
        sqe.put(46, (byte) cattr);
        sqe.putInt(48, katoMs);
        ByteBuffer d = le(ConnectData.SIZE);
        d.putShort(ConnectData.CNTLID, (short) cntlid);
        byte[] s = subnqn.getBytes(StandardCharsets.UTF_8);
        byte[] h = hostnqn.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(s, 0, d.array(), ConnectData.SUBSYSNQN, Math.min(s.length, 255));
        System.arraycopy(h, 0, d.array(), ConnectData.HOSTNQN, Math.min(h.length, 255));
        return execute(sqe, d.array(), 0);
    }

    public Completion propertyGet(int offset, boolean size8) throws IOException {
        ByteBuffer sqe = sqe(FabricsCommands.OPCODE, 0);
        sqe.put(Sqe.FCTYPE, (byte) FabricsCommands.PROPERTY_GET);
        sqe.put(40, (byte) (size8 ? 1 : 0));
        sqe.putInt(44, offset);
        return execute(sqe, null, 0);
    }

    public Completion propertySet(int offset, int value) throws IOException {
        ByteBuffer sqe = sqe(FabricsCommands.OPCODE, 0);
        sqe.put(Sqe.FCTYPE, (byte) FabricsCommands.PROPERTY_SET);
        sqe.put(40, (byte) 0);
        sqe.putInt(44, offset);
        sqe.putLong(48, value & 0xffffffffL);
        return execute(sqe, null, 0);
    }

    /** Connects the admin queue and enables the controller: returns the controller id. */
    public int connectAdminAndEnable(String subnqn, String hostnqn, int katoMs) throws IOException {
        Completion c = connect(0, 31, 0xffff, subnqn, hostnqn, katoMs, 0);
        if (!c.ok()) {
            throw new IOException("connect failed: " + c);
        }
        int cntlid = (int) (c.result & 0xffff);
        Completion cc = propertySet(0x14, (6 << 16) | (4 << 20) | 1);
        if (!cc.ok()) {
            throw new IOException("enable failed: " + cc);
        }
        Completion csts = propertyGet(0x1c, false);
        if (!csts.ok() || (csts.result & 1) == 0) {
            throw new IOException("controller not ready: " + csts);
        }
        return cntlid;
    }

    /** An admin or I/O command without host data; {@code dataLength} bytes of controller data expected. */
    public Completion command(int opcode, int nsid, int[] cdw10to15, int dataLength) throws IOException {
        ByteBuffer sqe = sqe(opcode, nsid);
        for (int i = 0; i < cdw10to15.length; i++) {
            sqe.putInt(Sqe.CDW10 + 4 * i, cdw10to15[i]);
        }
        return execute(sqe, null, dataLength);
    }

    public Completion read(int nsid, long slba, int nlb, int blockSize) throws IOException {
        return command(0x02, nsid, new int[] {(int) slba, (int) (slba >>> 32), nlb - 1}, nlb * blockSize);
    }

    public Completion write(int nsid, long slba, byte[] data, int blockSize) throws IOException {
        ByteBuffer sqe = sqe(0x01, nsid);
        sqe.putInt(Sqe.CDW10, (int) slba);
        sqe.putInt(Sqe.CDW11, (int) (slba >>> 32));
        sqe.putInt(Sqe.CDW12, data.length / blockSize - 1);
        return execute(sqe, data, 0);
    }

    /** Sends a prepared SQE with optional host data (in-capsule up to the inline limit, else R2T) and waits. */
    public Completion execute(ByteBuffer sqe, byte[] hostData, int c2hLength) throws IOException {
        int id = nextCid();
        sqe.putShort(Sqe.COMMAND_ID, (short) id);
        boolean inline = hostData != null && hostData.length <= inlineLimit;
        if (hostData != null) {
            sqe.putLong(Sqe.SGL_ADDR, 0);
            sqe.putInt(Sqe.SGL_LENGTH, hostData.length);
            sqe.put(Sqe.SGL_TYPE, (byte) (inline ? Sqe.SGL_INCAPSULE : Sqe.SGL_TRANSPORT));
        } else {
            sqe.putInt(Sqe.SGL_LENGTH, c2hLength);
            sqe.put(Sqe.SGL_TYPE, (byte) Sqe.SGL_TRANSPORT);
        }
        send(capsule(sqe.array(), inline ? hostData : null));
        return await(id, inline ? null : hostData);
    }

    /** Builds a CapsuleCmd PDU with the negotiated digests, through the codec's encoder. */
    public byte[] capsule(byte[] sqe, byte[] data) {
        int dataLength = data == null ? 0 : data.length;
        UnsafeBuffer b = new UnsafeBuffer(new byte[CapsuleCmdPdu.HLEN + 2 * Pdu.DIGEST_LENGTH + dataLength]);
        capsule.wrap(b, 0, hdgst, ddgst, dataLength);
        b.putBytes(CapsuleCmdPdu.SQE, sqe);
        int plen = capsule.finish(crc);
        if (data != null) {
            b.putBytes(capsule.dataOffset(), data);
            if (ddgst) {
                b.putInt(capsule.dataOffset() + dataLength, crc.compute(b, capsule.dataOffset(), dataLength), ByteOrder.LITTLE_ENDIAN);
            }
        }
        byte[] pdu = new byte[plen];
        b.getBytes(0, pdu);
        return pdu;
    }

    private Completion await(int id, byte[] r2tData) throws IOException {
        Completion c = new Completion();
        ByteArrayOutputStream c2hData = new ByteArrayOutputStream();
        for (;;) {
            byte[] raw = readPdu();
            UnsafeBuffer p = new UnsafeBuffer(raw);
            int type = Pdu.type(p, 0);
            int flags = Pdu.flags(p, 0);
            int hlen = Pdu.hlen(p, 0);
            int pdo = Pdu.pdo(p, 0);
            if ((flags & Pdu.F_HDGST) != 0 && p.getInt(hlen, ByteOrder.LITTLE_ENDIAN) != crc.compute(p, 0, hlen)) {
                throw new IOException("bad header digest from target in " + Pdu.typeName(type));
            }
            switch (type) {
                case Pdu.C2H_TERM:
                    c.termFes = term.wrap(p, 0).fes();
                    return c;
                case Pdu.R2T: {
                    r2t.wrap(p, 0);
                    if (r2tData == null) {
                        throw new IOException("unexpected R2T");
                    }
                    sendH2C(id, r2t.ttag(), r2tData, r2t.r2to(), r2t.r2tl());
                    break;
                }
                case Pdu.C2H_DATA: {
                    c2h.wrap(p, 0);
                    int dlen = c2h.datal();
                    if ((flags & Pdu.F_DDGST) != 0
                            && p.getInt(pdo + dlen, ByteOrder.LITTLE_ENDIAN) != crc.compute(p, pdo, dlen)) {
                        throw new IOException("bad data digest from target");
                    }
                    if (c2h.datao() != c2hData.size()) {
                        throw new IOException("C2HData at offset " + c2h.datao() + ", expected " + c2hData.size());
                    }
                    c2hData.write(raw, pdo, dlen);
                    if ((flags & Pdu.F_DATA_SUCCESS) != 0) {
                        c.dataSuccess = true;
                        c.data = c2hData.toByteArray();
                        c.cid = c2h.cccid();
                        return c;
                    }
                    break;
                }
                case Pdu.RSP:
                    resp.wrap(p, 0);
                    c.result = resp.result();
                    c.sqHead = resp.sqHead();
                    c.cid = resp.cid();
                    c.status = resp.status();
                    c.data = c2hData.toByteArray();
                    if (c.cid != id) {
                        throw new IOException("completion for cid " + c.cid + ", expected " + id);
                    }
                    return c;
                default:
                    throw new IOException("unexpected PDU " + Pdu.typeName(type));
            }
        }
    }

    /** Sends the R2T's range in H2CData PDUs of at most MAXH2CDATA bytes. */
    private void sendH2C(int id, int ttag, byte[] data, int off, int len) throws IOException {
        int sent = 0;
        while (sent < len) {
            int n = Math.min(len - sent, maxH2cData);
            boolean last = sent + n == len;
            UnsafeBuffer b = new UnsafeBuffer(new byte[DataPdu.HLEN + 2 * Pdu.DIGEST_LENGTH + n]);
            h2c.wrap(b, 0, Pdu.H2C_DATA, last ? Pdu.F_DATA_LAST : 0, hdgst, ddgst, n).cccid(id).ttag(ttag).datao(off + sent)
                    .finish(crc);
            b.putBytes(h2c.dataOffset(), data, off + sent, n);
            if (ddgst) {
                b.putInt(h2c.dataOffset() + n, crc.compute(b, h2c.dataOffset(), n), ByteOrder.LITTLE_ENDIAN);
            }
            out.write(b.byteArray(), 0, h2c.length());
            out.flush();
            sent += n;
        }
    }

    public ByteBuffer sqe(int opcode, int nsid) {
        ByteBuffer b = le(Sqe.SIZE);
        new Sqe.Encoder().wrap(new UnsafeBuffer(b.array()), 0).opcode(opcode).nsid(nsid);
        return b;
    }

    public int nextCid() {
        cid = (cid + 1) & 0xffff;
        return cid;
    }

    public boolean headerDigest() {
        return hdgst;
    }

    public boolean dataDigest() {
        return ddgst;
    }

    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public byte[] readExactly(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** Reads one whole PDU (header, digests and data), raw. */
    public byte[] readPdu() throws IOException {
        byte[] h = readExactly(Pdu.COMMON_HEADER_SIZE);
        long plen = Pdu.plen(new UnsafeBuffer(h), 0);
        if (plen < Pdu.COMMON_HEADER_SIZE || plen > (64 << 20)) {
            throw new IOException("bad plen " + plen);
        }
        byte[] p = new byte[(int) plen];
        System.arraycopy(h, 0, p, 0, h.length);
        in.readFully(p, h.length, p.length - h.length);
        return p;
    }

    /** True if the target closed the connection (reads EOF within the socket timeout). */
    public boolean closedByPeer() {
        try {
            while (in.read() >= 0) {
                // drain whatever is left
            }
            return true;
        } catch (EOFException e) {
            return true;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    public static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Writes a common header (for hand-built, possibly malformed PDUs). */
    public static void header(ByteBuffer b, int type, int flags, int hlen, int pdo, int plen) {
        Pdu.putHeader(new UnsafeBuffer(b.array()), 0, type, flags, hlen, pdo, plen);
    }

    public static int crc(byte[] b, int off, int len) {
        return new Crc32c().compute(new UnsafeBuffer(b), off, len);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
