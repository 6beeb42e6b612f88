package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@code struct nvme_tcp_term_pdu}: H2C/C2H Terminate Connection Request (24-byte header).
 *
 * <p>FEI: the NVMe/TCP specification puts the 4-byte Fatal Error Information at bytes 13:10; the
 * kernel struct, compiled with natural alignment, would place its {@code __le32 fei} at 12. The
 * Linux host reads only FES, so the target writes FEI at the specification's offset.
 */
public final class TermReqPdu {
    public static final int FES = 8;
    public static final int FEI = 10;
    public static final int HLEN = 24;
    /** A TermReq may carry up to 152 bytes of the PDU header in error after its own header. */
    public static final int MAX_ERROR_DATA = 152;

    // enum nvme_tcp_fatal_error_status
    public static final int FES_INVALID_PDU_HDR = 0x01;
    public static final int FES_PDU_SEQ_ERR = 0x02;
    public static final int FES_HDR_DIGEST_ERR = 0x03;
    public static final int FES_DATA_OUT_OF_RANGE = 0x04;
    public static final int FES_DATA_LIMIT_EXCEEDED = 0x05;
    public static final int FES_UNSUPPORTED_PARAM = 0x06;

    private TermReqPdu() {
    }

    public static String fesName(int fes) {
        switch (fes) {
            case FES_INVALID_PDU_HDR: return "invalid PDU header field";
            case FES_PDU_SEQ_ERR: return "PDU sequence error";
            case FES_HDR_DIGEST_ERR: return "header digest error";
            case FES_DATA_OUT_OF_RANGE: return "data transfer out of range";
            case FES_DATA_LIMIT_EXCEEDED: return "data transfer limit exceeded";
            case FES_UNSUPPORTED_PARAM: return "unsupported parameter";
            default: return "fatal error status 0x" + Integer.toHexString(fes);
        }
    }

    /** Writes a TermReq without error data: C2H from the controller, H2C from the host. */
    public static final class Encoder extends FieldWriter {

        public Encoder wrap(MutableDirectBuffer buffer, int offset, boolean fromController) {
            start(buffer, offset);
            clear(HLEN);
            Pdu.putHeader(b, at, fromController ? Pdu.C2H_TERM : Pdu.H2C_TERM, 0, HLEN, 0, HLEN);
            return this;
        }

        public Encoder fes(int v) {
            u16(FES, v);
            return this;
        }

        public Encoder fei(int v) {
            u32(FEI, v);
            return this;
        }

        public int length() {
            return HLEN;
        }
    }

    public static final class Decoder extends FieldReader {

        public Decoder wrap(DirectBuffer buffer, int offset) {
            start(buffer, offset);
            return this;
        }

        public int fes() {
            return u16(FES);
        }

        public int fei() {
            return i32(FEI);
        }
    }
}
