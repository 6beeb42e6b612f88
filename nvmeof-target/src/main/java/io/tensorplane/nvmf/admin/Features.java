package io.tensorplane.nvmf.admin;

/** Feature identifiers (include/linux/nvme.h). */
public final class Features {
    public static final int ARBITRATION = 0x01;
    public static final int POWER_MGMT = 0x02;
    public static final int TEMP_THRESH = 0x04;
    public static final int ERR_RECOVERY = 0x05;
    public static final int VOLATILE_WC = 0x06;
    public static final int NUM_QUEUES = 0x07;
    public static final int IRQ_COALESCE = 0x08;
    public static final int IRQ_CONFIG = 0x09;
    public static final int WRITE_ATOMIC = 0x0a;
    public static final int ASYNC_EVENT = 0x0b;
    public static final int KATO = 0x0f;

    private Features() {
    }
}
