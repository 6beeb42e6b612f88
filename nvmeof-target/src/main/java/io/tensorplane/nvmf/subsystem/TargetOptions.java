package io.tensorplane.nvmf.subsystem;

/** Transport and controller limits shared by every subsystem of a target. Validated by {@link #validate()}. */
public final class TargetOptions {
    /** In-capsule data accepted per command (IOCCSZ = (64 + this) / 16). At least 8 KiB. */
    public int inlineDataSize = 8192;
    /** MDTS as a power of two of 4 KiB pages (7 = 512 KiB); 0 = no limit, as the kernel's nvmet advertises. */
    public int mdts;
    /**
     * The largest data buffer one command holds: a longer read or write moves in pieces of this size (one R2T or one
     * C2HData PDU each, one after the other), so a queue of {@code n} commands holds at most {@code n} pieces of data
     * whatever the transfer sizes. Also the MAXH2CDATA of the ICResp.
     */
    public int pieceSize = 512 * 1024;
    /** MAXH2CDATA announced in the ICResp: the piece size. */
    public int maxH2cData;
    /** I/O queues a controller may have. */
    public int maxIoQueues = 16;
    /** Largest queue size a host may ask for (CAP.MQES + 1). */
    public int maxQueueSize = 1024;
    /** Keep-alive timeout of discovery controllers whose host asked for none, in ms. */
    public int discoveryKatoMs = 120_000;

    /** The largest data transfer of one command (MDTS in bytes), {@link Long#MAX_VALUE} without a limit. */
    public long maxTransferBytes() {
        return mdts == 0 ? Long.MAX_VALUE : 4096L << mdts;
    }

    public TargetOptions validate() {
        if (inlineDataSize < 8192 || inlineDataSize % 16 != 0 || inlineDataSize > (1 << 20)) {
            throw new IllegalArgumentException("inline data size " + inlineDataSize + " must be a multiple of 16 between 8192 and 1 MiB");
        }
        if (mdts < 0 || mdts > 10) {
            throw new IllegalArgumentException("mdts " + mdts + " must be 0 (no limit) or between 1 (8 KiB) and 10 (4 MiB)");
        }
        if (pieceSize < 4096 || pieceSize > (16 << 20) || pieceSize % 4096 != 0) {
            throw new IllegalArgumentException("piece size " + pieceSize + " must be a multiple of 4096 between 4 KiB and 16 MiB");
        }
        if (pieceSize < inlineDataSize) {
            throw new IllegalArgumentException("piece size " + pieceSize + " must be at least the inline data size " + inlineDataSize);
        }
        maxH2cData = pieceSize;
        if (maxIoQueues < 1 || maxIoQueues > 1024) {
            throw new IllegalArgumentException("max I/O queues " + maxIoQueues + " must be between 1 and 1024");
        }
        if (maxQueueSize < 32 || maxQueueSize > 65536) {
            throw new IllegalArgumentException("max queue size " + maxQueueSize + " must be between 32 and 65536");
        }
        return this;
    }
}
