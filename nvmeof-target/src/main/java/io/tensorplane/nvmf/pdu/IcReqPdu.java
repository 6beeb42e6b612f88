package io.tensorplane.nvmf.pdu;

/** {@code struct nvme_tcp_icreq_pdu}: the host's Initialize Connection Request (128 bytes). */
public final class IcReqPdu {
    public static final int PFV = 8;
    public static final int HPDA = 10;
    public static final int DIGEST = 11;
    public static final int MAXR2T = 12;
    public static final int SIZE = 128;

    private IcReqPdu() {
    }
}
