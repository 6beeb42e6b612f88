package io.tensorplane.nvmf.pdu;

/** {@code struct nvme_completion}: the 16-byte completion queue entry. */
public final class Cqe {
    /** {@code union nvme_result}: 64 bits (u16/u32/u64). */
    public static final int RESULT = 0;
    public static final int SQ_HEAD = 8;
    public static final int SQ_ID = 10;
    public static final int COMMAND_ID = 12;
    /** Status field: the status code shifted left by one, bit 0 is the phase tag. */
    public static final int STATUS = 14;
    public static final int SIZE = 16;

    private Cqe() {
    }
}
