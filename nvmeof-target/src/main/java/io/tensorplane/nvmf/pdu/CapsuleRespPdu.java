package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.tensorplane.nvmf.pdu.Pdu.LE;

/** {@code struct nvme_tcp_rsp_pdu}: a response capsule, the common header followed by a 16-byte CQE. */
public final class CapsuleRespPdu {
    /** Offset of {@code struct nvme_completion} in the PDU. */
    public static final int CQE = 8;
    public static final int HLEN = CQE + Cqe.SIZE;

    private CapsuleRespPdu() {
    }

    public static final class Encoder {
        private MutableDirectBuffer b;
        private int at;
        private boolean hdgst;

        public Encoder wrap(MutableDirectBuffer buffer, int offset, boolean headerDigest) {
            b = buffer;
            at = offset;
            hdgst = headerDigest;
            Pdu.putHeader(b, at, Pdu.RSP, headerDigest ? Pdu.F_HDGST : 0, HLEN, 0, length());
            return this;
        }

        public Encoder result(long v) {
            b.putLong(at + CQE + Cqe.RESULT, v, LE);
            return this;
        }

        public Encoder sqHead(int v) {
            b.putShort(at + CQE + Cqe.SQ_HEAD, (short) v, LE);
            return this;
        }

        public Encoder sqId(int v) {
            b.putShort(at + CQE + Cqe.SQ_ID, (short) v, LE);
            return this;
        }

        public Encoder cid(int v) {
            b.putShort(at + CQE + Cqe.COMMAND_ID, (short) v, LE);
            return this;
        }

        /** The NVMe status ({@code SCT << 8 | SC}, DNR); the phase tag is 0 on fabrics. */
        public Encoder status(int v) {
            b.putShort(at + CQE + Cqe.STATUS, (short) (v << 1), LE);
            return this;
        }

        public int length() {
            return HLEN + (hdgst ? Pdu.DIGEST_LENGTH : 0);
        }

        /** Writes the header digest if enabled; returns the PDU's length. */
        public int finish(Crc32c crc) {
            if (hdgst) {
                Pdu.putHeaderDigest(b, at, HLEN, crc);
            }
            return length();
        }
    }

    public static final class Decoder {
        private DirectBuffer b;
        private int at;

        public Decoder wrap(DirectBuffer buffer, int offset) {
            b = buffer;
            at = offset;
            return this;
        }

        public long result() {
            return b.getLong(at + CQE + Cqe.RESULT, LE);
        }

        public int sqHead() {
            return b.getShort(at + CQE + Cqe.SQ_HEAD, LE) & 0xffff;
        }

        public int sqId() {
            return b.getShort(at + CQE + Cqe.SQ_ID, LE) & 0xffff;
        }

        public int cid() {
            return b.getShort(at + CQE + Cqe.COMMAND_ID, LE) & 0xffff;
        }

        /** The status without the phase tag. */
        public int status() {
            return (b.getShort(at + CQE + Cqe.STATUS, LE) & 0xffff) >>> 1;
        }
    }
}
