package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

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
    public static final class Encoder extends FieldWriter {

        public Encoder wrap(MutableDirectBuffer buffer, int offset) {
            start(buffer, offset);
            clear(SIZE);
            Pdu.putHeader(b, at, Pdu.ICREQ, 0, SIZE, 0, SIZE);
            return this;
        }

        public Encoder pfv(int v) {
            u16(PFV, v);
            return this;
        }

        public Encoder hpda(int v) {
            u8(HPDA, v);
            return this;
        }

        /** {@link Pdu#HDR_DIGEST_ENABLE} | {@link Pdu#DATA_DIGEST_ENABLE}. */
        public Encoder digest(int v) {
            u8(DIGEST, v);
            return this;
        }

        public Encoder maxr2t(int v) {
            u32(MAXR2T, v);
            return this;
        }

        public int length() {
            return SIZE;
        }
    }

    public static final class Decoder extends FieldReader {

        public Decoder wrap(DirectBuffer buffer, int offset) {
            start(buffer, offset);
            return this;
        }

        public int pfv() {
            return u16(PFV);
        }

        public int hpda() {
            return u8(HPDA);
        }

        public int digest() {
            return u8(DIGEST);
        }

        public int maxr2t() {
            return i32(MAXR2T);
        }
    }
}
