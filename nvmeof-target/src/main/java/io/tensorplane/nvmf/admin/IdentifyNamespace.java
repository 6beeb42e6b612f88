package io.tensorplane.nvmf.admin;

/** {@code struct nvme_id_ns}: offsets of the fields the target fills (4096 bytes). */
public final class IdentifyNamespace {
    public static final int NSZE = 0;
    public static final int NCAP = 8;
    public static final int NUSE = 16;
    public static final int NSFEAT = 24;
    public static final int NLBAF = 25;
    public static final int FLBAS = 26;
    public static final int NMIC = 30;
    public static final int DLFEAT = 33;
    /** Namespace Attributes; bit 0: the namespace is write protected. */
    public static final int NSATTR = 99;
    public static final int NSATTR_WRITE_PROTECTED = 1;
    public static final int NGUID = 104;
    public static final int EUI64 = 120;
    public static final int LBAF = 128;
    /** {@code struct nvme_lbaf}: ms (le16), ds (u8), rp (u8). */
    public static final int LBAF_DS = 2;
    public static final int SIZE = 4096;

    /** {@code struct nvme_ns_id_desc}: nidt, nidl, 2 reserved bytes, then the identifier. */
    public static final int DESC_HEADER = 4;
    public static final int NIDT_EUI64 = 1;
    public static final int NIDT_NGUID = 2;
    public static final int NIDT_UUID = 3;
    public static final int NIDT_CSI = 4;

    private IdentifyNamespace() {
    }
}
