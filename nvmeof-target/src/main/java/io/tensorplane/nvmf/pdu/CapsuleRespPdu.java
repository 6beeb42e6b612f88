package io.tensorplane.nvmf.pdu;

/** {@code struct nvme_tcp_rsp_pdu}: a response capsule, the common header followed by a 16-byte CQE. */
public final class CapsuleRespPdu {
    /** Offset of {@code struct nvme_completion} in the PDU. */
    public static final int CQE = 8;
    public static final int HLEN = CQE + Cqe.SIZE;

    private CapsuleRespPdu() {
    }
}
