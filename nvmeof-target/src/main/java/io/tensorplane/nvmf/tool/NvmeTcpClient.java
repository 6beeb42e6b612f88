package io.tensorplane.nvmf.tool;

import io.tensorplane.nvmf.fabrics.ConnectData;
import io.tensorplane.nvmf.fabrics.FabricsCommands;
import io.tensorplane.nvmf.pdu.CapsuleCmdPdu;
import io.tensorplane.nvmf.pdu.DataPdu;
import io.tensorplane.nvmf.pdu.IcReqPdu;
import io.tensorplane.nvmf.pdu.IcRespPdu;
import io.tensorplane.nvmf.pdu.Pdu;
import io.tensorplane.nvmf.pdu.R2TPdu;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.pdu.TermReqPdu;

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
import java.util.zip.CRC32C;

/**
 * A minimal blocking NVMe/TCP host: one command at a time, for tests, the fuzzer and the
 * {@code nvmf probe} tool (a host that connects and then goes silent). Not a data path.
 */
public final class NvmeTcpClient implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
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
        ByteBuffer b = le(IcReqPdu.SIZE);
        header(b, Pdu.ICREQ, 0, IcReqPdu.SIZE, 0, IcReqPdu.SIZE);
        b.putShort(IcReqPdu.PFV, (short) 0);
        b.put(IcReqPdu.HPDA, (byte) 0);
        b.put(IcReqPdu.DIGEST, (byte) ((headerDigest ? Pdu.HDR_DIGEST_ENABLE : 0) | (dataDigest ? Pdu.DATA_DIGEST_ENABLE : 0)));
        b.putInt(IcReqPdu.MAXR2T, 0);
        send(b.array());
        byte[] h = readExactly(8);
        if (h[0] != Pdu.ICRESP) {
            throw new IOException("expected ICResp, got " + Pdu.typeName(h[0]));
        }
        ByteBuffer r = ByteBuffer.wrap(concat(h, readExactly(IcRespPdu.SIZE - 8))).order(ByteOrder.LITTLE_ENDIAN);
        int digest = r.get(IcRespPdu.DIGEST);
        hdgst = (digest & Pdu.HDR_DIGEST_ENABLE) != 0;
        ddgst = (digest & Pdu.DATA_DIGEST_ENABLE) != 0;
        maxH2cData = r.getInt(IcRespPdu.MAXDATA);
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

    /** Builds a CapsuleCmd PDU with the negotiated digests. */
    public byte[] capsule(byte[] sqe, byte[] data) {
        int hd = hdgst ? 4 : 0;
        int dd = ddgst && data != null ? 4 : 0;
        int pdo = data == null ? 0 : CapsuleCmdPdu.HLEN + hd;
        int plen = CapsuleCmdPdu.HLEN + hd + (data == null ? 0 : data.length + dd);
        ByteBuffer b = le(plen);
        header(b, Pdu.CMD, (hdgst ? Pdu.F_HDGST : 0) | (dd != 0 ? Pdu.F_DDGST : 0), CapsuleCmdPdu.HLEN, pdo, plen);
        b.position(8);
        b.put(sqe);
        if (hdgst) {
            b.putInt(crc(b.array(), 0, CapsuleCmdPdu.HLEN));
        }
        if (data != null) {
            b.put(data);
            if (dd != 0) {
                b.putInt(crc(data, 0, data.length));
            }
        }
        return b.array();
    }

    private Completion await(int id, byte[] r2tData) throws IOException {
        Completion c = new Completion();
        ByteArrayOutputStream c2h = new ByteArrayOutputStream();
        for (;;) {
            byte[] h = readExactly(8);
            ByteBuffer hb = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
            int type = h[0] & 0xff;
            int flags = h[1] & 0xff;
            int hlen = h[2] & 0xff;
            int pdo = h[3] & 0xff;
            int plen = hb.getInt(4);
            byte[] rest = readExactly(plen - 8);
            ByteBuffer p = ByteBuffer.wrap(concat(h, rest)).order(ByteOrder.LITTLE_ENDIAN);
            boolean hasHd = (flags & Pdu.F_HDGST) != 0;
            if (hasHd && p.getInt(hlen) != crc(p.array(), 0, hlen)) {
                throw new IOException("bad header digest from target in " + Pdu.typeName(type));
            }
            switch (type) {
                case Pdu.C2H_TERM:
                    c.termFes = p.getShort(TermReqPdu.FES) & 0xffff;
                    return c;
                case Pdu.R2T: {
                    int off = p.getInt(R2TPdu.R2TO);
                    int len = p.getInt(R2TPdu.R2TL);
                    int ttag = p.getShort(R2TPdu.TTAG) & 0xffff;
                    if (r2tData == null) {
                        throw new IOException("unexpected R2T");
                    }
                    sendH2C(id, ttag, r2tData, off, len);
                    break;
                }
                case Pdu.C2H_DATA: {
                    int dlen = p.getInt(DataPdu.DATAL);
                    if ((flags & Pdu.F_DDGST) != 0 && p.getInt(pdo + dlen) != crc(p.array(), pdo, dlen)) {
                        throw new IOException("bad data digest from target");
                    }
                    c2h.write(p.array(), pdo, dlen);
                    if ((flags & Pdu.F_DATA_SUCCESS) != 0) {
                        c.dataSuccess = true;
                        c.data = c2h.toByteArray();
                        c.cid = p.getShort(DataPdu.CCCID) & 0xffff;
                        return c;
                    }
                    break;
                }
                case Pdu.RSP:
                    c.result = p.getLong(8);
                    c.sqHead = p.getShort(16) & 0xffff;
                    c.cid = p.getShort(20) & 0xffff;
                    c.status = (p.getShort(22) & 0xffff) >>> 1;
                    c.data = c2h.toByteArray();
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
            int hd = hdgst ? 4 : 0;
            int dd = ddgst ? 4 : 0;
            int pdo = DataPdu.HLEN + hd;
            int plen = pdo + n + dd;
            ByteBuffer b = le(plen);
            header(b, Pdu.H2C_DATA, (last ? Pdu.F_DATA_LAST : 0) | (hdgst ? Pdu.F_HDGST : 0) | (ddgst ? Pdu.F_DDGST : 0),
                    DataPdu.HLEN, pdo, plen);
            b.putShort(DataPdu.CCCID, (short) id);
            b.putShort(DataPdu.TTAG, (short) ttag);
            b.putInt(DataPdu.DATAO, off + sent);
            b.putInt(DataPdu.DATAL, n);
            if (hdgst) {
                b.putInt(DataPdu.HLEN, crc(b.array(), 0, DataPdu.HLEN));
            }
            System.arraycopy(data, off + sent, b.array(), pdo, n);
            if (ddgst) {
                b.putInt(pdo + n, crc(data, off + sent, n));
            }
            send(b.array());
            sent += n;
        }
    }

    public ByteBuffer sqe(int opcode, int nsid) {
        ByteBuffer b = le(Sqe.SIZE);
        b.put(Sqe.OPCODE, (byte) opcode);
        b.putInt(Sqe.NSID, nsid);
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
        byte[] h = readExactly(8);
        int plen = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
        if (plen < 8 || plen > (64 << 20)) {
            throw new IOException("bad plen " + plen);
        }
        return concat(h, readExactly(plen - 8));
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

    public static void header(ByteBuffer b, int type, int flags, int hlen, int pdo, int plen) {
        b.put(0, (byte) type);
        b.put(1, (byte) flags);
        b.put(2, (byte) hlen);
        b.put(3, (byte) pdo);
        b.putInt(4, plen);
    }

    public static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
