package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@code struct nvme_tcp_cmd_pdu}: a command capsule, the common header followed by a 64-byte SQE, then (after the
 * header digest) the in-capsule data and its data digest.
 */
public final class CapsuleCmdPdu {
    /** Offset of {@code struct nvme_command} in the PDU. */
    public static final int SQE = 8;
    public static final int HLEN = SQE + Sqe.SIZE;

    private CapsuleCmdPdu() {
    }

    /**
     * Writes a capsule header: {@link #wrap} sets the common header from the digests and the in-capsule data length,
     * {@link #sqe()} writes the command, {@link #finish} adds the header digest. The caller writes the data at
     * {@link #dataOffset()} and, with a data digest, the digest after it.
     */
    public static final class Encoder extends FieldWriter {
        private final Sqe.Encoder sqe = new Sqe.Encoder();
        private boolean hdgst;
        private int pdo;
        private int plen;

        public Encoder wrap(MutableDirectBuffer buffer, int offset, boolean headerDigest, boolean dataDigest, int dataLength) {
            start(buffer, offset);
            hdgst = headerDigest;
            int hd = headerDigest ? Pdu.DIGEST_LENGTH : 0;
            boolean dd = dataDigest && dataLength > 0;
            pdo = dataLength > 0 ? HLEN + hd : 0;
            plen = HLEN + hd + (dataLength > 0 ? dataLength + (dd ? Pdu.DIGEST_LENGTH : 0) : 0);
            Pdu.putHeader(b, at, Pdu.CMD, (headerDigest ? Pdu.F_HDGST : 0) | (dd ? Pdu.F_DDGST : 0), HLEN, pdo, plen);
            sqe.wrap(b, at + SQE);
            return this;
        }

        public Sqe.Encoder sqe() {
            return sqe;
        }

        /** Offset of the in-capsule data in the buffer. */
        public int dataOffset() {
            return at + pdo;
        }

        /** Writes the header digest if enabled; returns the PDU's whole length (PLEN). */
        public int finish(Crc32c crc) {
            return digestHeader(hdgst, HLEN, plen, crc);
        }
    }

    public static final class Decoder {
        private final Sqe.Decoder sqe = new Sqe.Decoder();

        public Decoder wrap(DirectBuffer buffer, int offset) {
            sqe.wrap(buffer, offset + SQE);
            return this;
        }

        public Sqe.Decoder sqe() {
            return sqe;
        }
    }
}
