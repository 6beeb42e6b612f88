package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.tensorplane.nvmf.pdu.Pdu.LE;

/** {@code struct nvme_tcp_data_pdu}: the header of H2CData and C2HData PDUs (24 bytes), then the data. */
public final class DataPdu {
    public static final int CCCID = 8;
    public static final int TTAG = 10;
    public static final int DATAO = 12;
    public static final int DATAL = 16;
    public static final int HLEN = 24;

    private DataPdu() {
    }

    /**
     * Writes a data PDU header: {@link #wrap} sets the common header (the data follows the header digest, PDO
     * {@code 24 + HDGST}) and DATAL; the caller writes the data at {@link #dataOffset()} and its digest after it.
     */
    public static final class Encoder {
        private MutableDirectBuffer b;
        private int at;
        private boolean hdgst;
        private int pdo;
        private int plen;

        /**
         * @param type  {@link Pdu#H2C_DATA} or {@link Pdu#C2H_DATA}
         * @param flags {@link Pdu#F_DATA_LAST}, {@link Pdu#F_DATA_SUCCESS}; the digest flags are added here
         */
        public Encoder wrap(MutableDirectBuffer buffer, int offset, int type, int flags, boolean headerDigest,
                            boolean dataDigest, int dataLength) {
            b = buffer;
            at = offset;
            hdgst = headerDigest;
            pdo = HLEN + (headerDigest ? Pdu.DIGEST_LENGTH : 0);
            plen = pdo + dataLength + (dataDigest ? Pdu.DIGEST_LENGTH : 0);
            Pdu.putHeader(b, at, type, flags | (headerDigest ? Pdu.F_HDGST : 0) | (dataDigest ? Pdu.F_DDGST : 0),
                    HLEN, pdo, plen);
            b.putInt(at + DATAL, dataLength, LE);
            b.putInt(at + 20, 0, LE);
            return this;
        }

        public Encoder cccid(int v) {
            b.putShort(at + CCCID, (short) v, LE);
            return this;
        }

        public Encoder ttag(int v) {
            b.putShort(at + TTAG, (short) v, LE);
            return this;
        }

        public Encoder datao(int v) {
            b.putInt(at + DATAO, v, LE);
            return this;
        }

        public int dataOffset() {
            return at + pdo;
        }

        /** The PDU's whole length (PLEN): header, digests and data. */
        public int length() {
            return plen;
        }

        /** Writes the header digest if enabled; returns PLEN. */
        public int finish(Crc32c crc) {
            if (hdgst) {
                Pdu.putHeaderDigest(b, at, HLEN, crc);
            }
            return plen;
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

        public int cccid() {
            return b.getShort(at + CCCID, LE) & 0xffff;
        }

        public int ttag() {
            return b.getShort(at + TTAG, LE) & 0xffff;
        }

        public int datao() {
            return b.getInt(at + DATAO, LE);
        }

        public int datal() {
            return b.getInt(at + DATAL, LE);
        }
    }
}
