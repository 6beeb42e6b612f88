package io.tensorplane.nvmf.subsystem;

/** Transport and controller limits shared by every subsystem of a target. Validated by {@link #validate()}. */
public final class TargetOptions {
    /** In-capsule data accepted per command (IOCCSZ = (64 + this) / 16). At least 8 KiB. */
    public int inlineDataSize = 8192;
    /** MDTS as a power of two of 4 KiB pages: 7 = 512 KiB. */
    public int mdts = 7;
    /** MAXH2CDATA announced in the ICResp; 0 means the MDTS in bytes. */
    public int maxH2cData;
    /** I/O queues a controller may have. */
    public int maxIoQueues = 16;
    /** Largest queue size a host may ask for (CAP.MQES + 1). */
    public int maxQueueSize = 1024;
    /** Keep-alive timeout of discovery controllers whose host asked for none, in ms. */
    public int discoveryKatoMs = 120_000;

    public int mdtsBytes() {
        return 4096 << mdts;
    }

    /** The largest data transfer of one command. */
    public int maxTransferBytes() {
        return mdtsBytes();
    }

    public TargetOptions validate() {
        if (inlineDataSize < 8192 || inlineDataSize % 16 != 0 || inlineDataSize > (1 << 20)) {
            throw new IllegalArgumentException("inline data size " + inlineDataSize + " must be a multiple of 16 between 8192 and 1 MiB");
        }
        if (mdts < 1 || mdts > 10) {
            throw new IllegalArgumentException("mdts " + mdts + " must be between 1 (8 KiB) and 10 (4 MiB)");
        }
        if (maxH2cData == 0) {
            maxH2cData = mdtsBytes();
        }
        if (maxH2cData < 4096 || maxH2cData % 4 != 0) {
            throw new IllegalArgumentException("maxh2cdata " + maxH2cData + " must be at least 4096 and a multiple of 4");
        }
        if (maxIoQueues < 1 || maxIoQueues > 1024) {
            throw new IllegalArgumentException("max I/O queues " + maxIoQueues + " must be between 1 and 1024");
        }
        if (maxQueueSize < 32 || maxQueueSize > 65536) {
            throw new IllegalArgumentException("max queue size " + maxQueueSize + " must be between 32 and 65536");
        }
        return this;
    }
}
