package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.tensorplane.nvmf.pdu.Pdu.LE;

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

    public static final class Encoder {
        private MutableDirectBuffer b;
        private int at;

        public Encoder wrap(MutableDirectBuffer buffer, int offset) {
            b = buffer;
            at = offset;
            b.setMemory(at, SIZE, (byte) 0);
            Pdu.putHeader(b, at, Pdu.ICRESP, 0, SIZE, 0, SIZE);
            return this;
        }

        public Encoder pfv(int v) {
            b.putShort(at + PFV, (short) v, LE);
            return this;
        }

        public Encoder cpda(int v) {
            b.putByte(at + CPDA, (byte) v);
            return this;
        }

        public Encoder digest(int v) {
            b.putByte(at + DIGEST, (byte) v);
            return this;
        }

        public Encoder maxdata(int v) {
            b.putInt(at + MAXDATA, v, LE);
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

        public int cpda() {
            return b.getByte(at + CPDA) & 0xff;
        }

        public int digest() {
            return b.getByte(at + DIGEST) & 0xff;
        }

        public int maxdata() {
            return b.getInt(at + MAXDATA, LE);
        }
    }
}
