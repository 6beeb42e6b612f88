package io.tensorplane.nvmf.pdu;

/**
 * {@code struct nvme_command} (include/linux/nvme.h): the 64-byte submission queue entry, with the
 * offsets of the common fields, the read/write fields and the fabrics command type.
 */
public final class Sqe {
    public static final int OPCODE = 0;
    public static final int FLAGS = 1;
    public static final int COMMAND_ID = 2;
    public static final int NSID = 4;
    /** Fabrics commands: {@code fctype} sits where the NSID is in other commands. */
    public static final int FCTYPE = 4;
    public static final int CDW2 = 8;
    public static final int CDW3 = 12;
    public static final int METADATA = 16;
    /** {@code union nvme_data_ptr dptr}: one SGL descriptor on fabrics. */
    public static final int DPTR = 24;
    public static final int CDW10 = 40;
    public static final int CDW11 = 44;
    public static final int CDW12 = 48;
    public static final int CDW13 = 52;
    public static final int CDW14 = 56;
    public static final int CDW15 = 60;
    public static final int SIZE = 64;

    // struct nvme_rw_command
    public static final int RW_SLBA = 40;
    public static final int RW_LENGTH = 48;
    public static final int RW_CONTROL = 50;
    /** NVME_RW_FUA in the control field. */
    public static final int RW_FUA = 1 << 14;

    // struct nvme_sgl_desc inside dptr
    public static final int SGL_ADDR = DPTR;
    public static final int SGL_LENGTH = DPTR + 8;
    public static final int SGL_TYPE = DPTR + 15;

    /** (NVME_SGL_FMT_DATA_DESC << 4) | NVME_SGL_FMT_OFFSET: data in the capsule. */
    public static final int SGL_INCAPSULE = 0x01;
    /** (NVME_TRANSPORT_SGL_DATA_DESC << 4) | NVME_SGL_FMT_TRANSPORT_A: data via R2T/H2CData or C2HData. */
    public static final int SGL_TRANSPORT = 0x5A;

    private Sqe() {
    }
}
