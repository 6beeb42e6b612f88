package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** {@code struct nvme_tcp_icresp_pdu}: the controller's Initialize Connection Response (128 bytes). */
public final class IcRespPdu {
    public static final int PFV = 8;
    public static final int CPDA = 10;
    public static final int DIGEST = 11;
    /** MAXH2CDATA: the largest H2CData payload the host may send, at least 4096 and a multiple of 4. */
    public static final int MAXDATA = 12;
    public static final int SIZE = 128;

    private IcRespPdu() {
    }

    public static final class Encoder extends FieldWriter {

        public Encoder wrap(MutableDirectBuffer buffer, int offset) {
            start(buffer, offset);
            clear(SIZE);
            Pdu.putHeader(b, at, Pdu.ICRESP, 0, SIZE, 0, SIZE);
            return this;
        }

        public Encoder pfv(int v) {
            u16(PFV, v);
            return this;
        }

        public Encoder cpda(int v) {
            u8(CPDA, v);
            return this;
        }

        public Encoder digest(int v) {
            u8(DIGEST, v);
            return this;
        }

        public Encoder maxdata(int v) {
            u32(MAXDATA, v);
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

        public int cpda() {
            return u8(CPDA);
        }

        public int digest() {
            return u8(DIGEST);
        }

        public int maxdata() {
            return i32(MAXDATA);
        }
    }
}
