package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** {@code struct nvme_tcp_rsp_pdu}: a response capsule, the common header followed by a 16-byte CQE. */
public final class CapsuleRespPdu {
    /** Offset of {@code struct nvme_completion} in the PDU. */
    public static final int CQE = 8;
    public static final int HLEN = CQE + Cqe.SIZE;

    private CapsuleRespPdu() {
    }

    public static final class Encoder extends FieldWriter {
        private boolean hdgst;

        public Encoder wrap(MutableDirectBuffer buffer, int offset, boolean headerDigest) {
            start(buffer, offset);
            hdgst = headerDigest;
            Pdu.putHeader(b, at, Pdu.RSP, headerDigest ? Pdu.F_HDGST : 0, HLEN, 0, length());
            return this;
        }

        public Encoder result(long v) {
            u64(CQE + Cqe.RESULT, v);
            return this;
        }

        public Encoder sqHead(int v) {
            u16(CQE + Cqe.SQ_HEAD, v);
            return this;
        }

        public Encoder sqId(int v) {
            u16(CQE + Cqe.SQ_ID, v);
            return this;
        }

        public Encoder cid(int v) {
            u16(CQE + Cqe.COMMAND_ID, v);
            return this;
        }

        /** The NVMe status ({@code SCT << 8 | SC}, DNR); the phase tag is 0 on fabrics. */
        public Encoder status(int v) {
            u16(CQE + Cqe.STATUS, v << 1);
            return this;
        }

        public int length() {
            return HLEN + (hdgst ? Pdu.DIGEST_LENGTH : 0);
        }

        /** Writes the header digest if enabled; returns the PDU's length. */
        public int finish(Crc32c crc) {
            return digestHeader(hdgst, HLEN, length(), crc);
        }
    }

    public static final class Decoder extends FieldReader {

        public Decoder wrap(DirectBuffer buffer, int offset) {
            start(buffer, offset);
            return this;
        }

        public long result() {
            return i64(CQE + Cqe.RESULT);
        }

        public int sqHead() {
            return u16(CQE + Cqe.SQ_HEAD);
        }

        public int sqId() {
            return u16(CQE + Cqe.SQ_ID);
        }

        public int cid() {
            return u16(CQE + Cqe.COMMAND_ID);
        }

        /** The status without the phase tag. */
        public int status() {
            return u16(CQE + Cqe.STATUS) >>> 1;
        }
    }
}
