package io.tensorplane.nvmf.pdu;

/** {@code struct nvme_tcp_cmd_pdu}: a command capsule, the common header followed by a 64-byte SQE. */
public final class CapsuleCmdPdu {
    /** Offset of {@code struct nvme_command} in the PDU. */
    public static final int SQE = 8;
    public static final int HLEN = SQE + Sqe.SIZE;

    private CapsuleCmdPdu() {
    }
}
