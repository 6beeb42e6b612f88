package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.tensorplane.nvmf.pdu.Pdu.LE;

/** {@code struct nvme_tcp_r2t_pdu}: Ready to Transfer (24 bytes). */
public final class R2TPdu {
    public static final int CCCID = 8;
    public static final int TTAG = 10;
    public static final int R2TO = 12;
    public static final int R2TL = 16;
    public static final int HLEN = 24;

    private R2TPdu() {
    }

    public static final class Encoder {
        private MutableDirectBuffer b;
        private int at;
        private boolean hdgst;

        public Encoder wrap(MutableDirectBuffer buffer, int offset, boolean headerDigest) {
            b = buffer;
            at = offset;
            hdgst = headerDigest;
            Pdu.putHeader(b, at, Pdu.R2T, headerDigest ? Pdu.F_HDGST : 0, HLEN, 0, length());
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

        public Encoder r2to(int v) {
            b.putInt(at + R2TO, v, LE);
            return this;
        }

        public Encoder r2tl(int v) {
            b.putInt(at + R2TL, v, LE);
            return this;
        }

        public int length() {
            return HLEN + (hdgst ? Pdu.DIGEST_LENGTH : 0);
        }

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

        public int cccid() {
            return b.getShort(at + CCCID, LE) & 0xffff;
        }

        public int ttag() {
            return b.getShort(at + TTAG, LE) & 0xffff;
        }

        public int r2to() {
            return b.getInt(at + R2TO, LE);
        }

        public int r2tl() {
            return b.getInt(at + R2TL, LE);
        }
    }
}
