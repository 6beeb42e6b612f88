package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** {@code struct nvme_tcp_r2t_pdu}: Ready to Transfer (24 bytes). */
public final class R2TPdu {
    public static final int CCCID = 8;
    public static final int TTAG = 10;
    public static final int R2TO = 12;
    public static final int R2TL = 16;
    public static final int HLEN = 24;

    private R2TPdu() {
    }

    public static final class Encoder extends FieldWriter {
        private boolean hdgst;

        public Encoder wrap(MutableDirectBuffer buffer, int offset, boolean headerDigest) {
            start(buffer, offset);
            hdgst = headerDigest;
            Pdu.putHeader(b, at, Pdu.R2T, headerDigest ? Pdu.F_HDGST : 0, HLEN, 0, length());
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

        public Encoder r2to(int v) {
            u32(R2TO, v);
            return this;
        }

        public Encoder r2tl(int v) {
            u32(R2TL, v);
            return this;
        }

        public int length() {
            return HLEN + (hdgst ? Pdu.DIGEST_LENGTH : 0);
        }

        public int finish(Crc32c crc) {
            return digestHeader(hdgst, HLEN, length(), crc);
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

        public int r2to() {
            return i32(R2TO);
        }

        public int r2tl() {
            return i32(R2TL);
        }
    }
}
