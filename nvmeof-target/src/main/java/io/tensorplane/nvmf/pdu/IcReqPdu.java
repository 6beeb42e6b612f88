package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.tensorplane.nvmf.pdu.Pdu.LE;

/** {@code struct nvme_tcp_icreq_pdu}: the host's Initialize Connection Request (128 bytes). */
public final class IcReqPdu {
    public static final int PFV = 8;
    public static final int HPDA = 10;
    public static final int DIGEST = 11;
    public static final int MAXR2T = 12;
    public static final int SIZE = 128;

    private IcReqPdu() {
    }

    /** Writes an ICReq; {@link #wrap} clears the PDU and writes its common header. */
    public static final class Encoder {
        private MutableDirectBuffer b;
        private int at;

        public Encoder wrap(MutableDirectBuffer buffer, int offset) {
            b = buffer;
            at = offset;
            b.setMemory(at, SIZE, (byte) 0);
            Pdu.putHeader(b, at, Pdu.ICREQ, 0, SIZE, 0, SIZE);
            return this;
        }

        public Encoder pfv(int v) {
            b.putShort(at + PFV, (short) v, LE);
            return this;
        }

        public Encoder hpda(int v) {
            b.putByte(at + HPDA, (byte) v);
            return this;
        }

        /** {@link Pdu#HDR_DIGEST_ENABLE} | {@link Pdu#DATA_DIGEST_ENABLE}. */
        public Encoder digest(int v) {
            b.putByte(at + DIGEST, (byte) v);
            return this;
        }

        public Encoder maxr2t(int v) {
            b.putInt(at + MAXR2T, v, LE);
            return this;
        }

        public int length() {
            return SIZE;
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

        public int pfv() {
            return b.getShort(at + PFV, LE) & 0xffff;
        }

        public int hpda() {
            return b.getByte(at + HPDA) & 0xff;
        }

        public int digest() {
            return b.getByte(at + DIGEST) & 0xff;
        }

        public int maxr2t() {
            return b.getInt(at + MAXR2T, LE);
        }
    }
}
