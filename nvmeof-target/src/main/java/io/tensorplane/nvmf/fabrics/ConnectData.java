package io.tensorplane.nvmf.fabrics;

/** {@code struct nvmf_connect_data}: the 1024 bytes of in-capsule data of a Connect. */
public final class ConnectData {
    public static final int HOSTID = 0;
    public static final int CNTLID = 16;
    public static final int SUBSYSNQN = 256;
    public static final int HOSTNQN = 512;
    public static final int NQN_SIZE = 256;
    public static final int SIZE = 1024;
    /** NVME_CNTLID_DYNAMIC. */
    public static final int CNTLID_DYNAMIC = 0xffff;

    private ConnectData() {
    }
}
