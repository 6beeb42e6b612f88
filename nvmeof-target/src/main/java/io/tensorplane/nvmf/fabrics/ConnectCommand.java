package io.tensorplane.nvmf.fabrics;

/** {@code struct nvmf_connect_command}: offsets within the 64-byte SQE. */
public final class ConnectCommand {
    public static final int FCTYPE = 4;
    public static final int RECFMT = 40;
    public static final int QID = 42;
    public static final int SQSIZE = 44;
    public static final int CATTR = 46;
    public static final int KATO = 48;
    public static final int SIZE = 64;
    /** NVME_CONNECT_DISABLE_SQFLOW in cattr. */
    public static final int CATTR_DISABLE_SQFLOW = 1 << 2;

    private ConnectCommand() {
    }
}
