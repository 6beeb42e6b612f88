package io.tensorplane.nvmf.pdu;

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
}
