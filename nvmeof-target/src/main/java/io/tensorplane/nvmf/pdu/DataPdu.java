package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

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
    public static final class Encoder extends FieldWriter {
        private boolean hdgst;
        private int pdo;
        private int plen;

        /**
         * @param type  {@link Pdu#H2C_DATA} or {@link Pdu#C2H_DATA}
         * @param flags {@link Pdu#F_DATA_LAST}, {@link Pdu#F_DATA_SUCCESS}; the digest flags are added here
         */
        public Encoder wrap(MutableDirectBuffer buffer, int offset, int type, int flags, boolean headerDigest,
                            boolean dataDigest, int dataLength) {
            start(buffer, offset);
            hdgst = headerDigest;
            pdo = HLEN + (headerDigest ? Pdu.DIGEST_LENGTH : 0);
            plen = pdo + dataLength + (dataDigest ? Pdu.DIGEST_LENGTH : 0);
            Pdu.putHeader(b, at, type, flags | (headerDigest ? Pdu.F_HDGST : 0) | (dataDigest ? Pdu.F_DDGST : 0),
                    HLEN, pdo, plen);
            u32(DATAL, dataLength);
            u32(20, 0);
            return this;
        }

        public Encoder cccid(int v) {
            u16(CCCID, v);
            return this;
        }

        public Encoder ttag(int v) {
            u16(TTAG, v);
            return this;
        }

        public Encoder datao(int v) {
            u32(DATAO, v);
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
            return digestHeader(hdgst, HLEN, plen, crc);
        }
    }

    public static final class Decoder extends FieldReader {

        public Decoder wrap(DirectBuffer buffer, int offset) {
            start(buffer, offset);
            return this;
        }

        public int cccid() {
            return u16(CCCID);
        }

        public int ttag() {
            return u16(TTAG);
        }

        public int datao() {
            return i32(DATAO);
        }

        public int datal() {
            return i32(DATAL);
        }
    }
}
