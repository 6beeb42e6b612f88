package io.tensorplane.ublk.ctrl;

/**
 * Command numbers, flags and constants of the ublk ABI ({@code include/uapi/linux/ublk_cmd.h}).
 * Command numbers are ioctl-encoded ({@code _IOR}/{@code _IOWR('u', nr, struct)}), the only
 * encoding new kernels accept. {@code UblkAbiTest} checks every value against the header.
 */
public final class UblkAbi {
    private UblkAbi() {
    }

    static final int IOC_WRITE = 1;
    static final int IOC_READ = 2;

    /** {@code _IOC(dir, type, nr, size)} as the kernel's asm-generic/ioctl.h defines it. */
    public static int ioc(int dir, char type, int nr, int size) {
        return (dir << 30) | (size << 16) | (type << 8) | nr;
    }

    static int ior(int nr, int size) {
        return ioc(IOC_READ, 'u', nr, size);
    }

    static int iowr(int nr, int size) {
        return ioc(IOC_READ | IOC_WRITE, 'u', nr, size);
    }

    // ---- control commands on /dev/ublk-control (struct ublksrv_ctrl_cmd, 32 bytes) ----
    public static final int UBLK_U_CMD_GET_QUEUE_AFFINITY = ior(0x01, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_GET_DEV_INFO = ior(0x02, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_ADD_DEV = iowr(0x04, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_DEL_DEV = iowr(0x05, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_START_DEV = iowr(0x06, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_STOP_DEV = iowr(0x07, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_SET_PARAMS = iowr(0x08, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_GET_PARAMS = ior(0x09, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_START_USER_RECOVERY = iowr(0x10, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_END_USER_RECOVERY = iowr(0x11, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_GET_DEV_INFO2 = ior(0x12, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_GET_FEATURES = ior(0x13, CtrlCmd.SIZE);
    public static final int UBLK_U_CMD_DEL_DEV_ASYNC = ior(0x14, CtrlCmd.SIZE);
    /** UPDATE_SIZE (UBLK_F_UPDATE_SIZE): the new size in sectors in data[0]. */
    public static final int UBLK_U_CMD_UPDATE_SIZE = iowr(0x15, CtrlCmd.SIZE);
    /** QUIESCE_DEV (UBLK_F_QUIESCE): data[0] = how long to wait for in-flight I/O, in ms. */
    public static final int UBLK_U_CMD_QUIESCE_DEV = iowr(0x16, CtrlCmd.SIZE);
    /** TRY_STOP_DEV (UBLK_F_SAFE_STOP_DEV): stop only if nobody has the disk open (else EBUSY). */
    public static final int UBLK_U_CMD_TRY_STOP_DEV = iowr(0x17, CtrlCmd.SIZE);
    /**
     * REG_BUF (UBLK_F_SHMEM_ZC): addr points to a {@code struct ublk_shmem_buf_reg} (addr, len, flags), len is its size;
     * the result is the buffer's index (>= 0). The kernel pins the pages of that range of the caller's address space.
     */
    public static final int UBLK_U_CMD_REG_BUF = iowr(0x18, CtrlCmd.SIZE);
    /** UNREG_BUF (UBLK_F_SHMEM_ZC): data[0] = the index REG_BUF gave. */
    public static final int UBLK_U_CMD_UNREG_BUF = iowr(0x19, CtrlCmd.SIZE);
    /** {@code struct ublk_shmem_buf_reg}: __u64 addr, __u64 len, __u32 flags, __u32 reserved. */
    public static final int SHMEM_BUF_REG_SIZE = 24;
    /**
     * With UBLK_IO_F_SHMEM_ZC the descriptor's addr is (buffer index << 32) | byte offset in that buffer (bits 48..63
     * reserved).
     */
    public static int shmemZcIndex(long addr) {
        return (int) ((addr >>> 32) & 0xffff);
    }

    public static long shmemZcOffset(long addr) {
        return addr & 0xffffffffL;
    }

    // ---- I/O commands on /dev/ublkcN (struct ublksrv_io_cmd, 16 bytes) ----
    public static final int UBLK_U_IO_FETCH_REQ = iowr(0x20, IoCmd.SIZE);
    public static final int UBLK_U_IO_COMMIT_AND_FETCH_REQ = iowr(0x21, IoCmd.SIZE);
    public static final int UBLK_U_IO_NEED_GET_DATA = iowr(0x22, IoCmd.SIZE);
    /** Registers a request's pages in the ring's buffer table at index {@code addr} (zero copy, by hand). */
    public static final int UBLK_U_IO_REGISTER_IO_BUF = iowr(0x23, IoCmd.SIZE);
    public static final int UBLK_U_IO_UNREGISTER_IO_BUF = iowr(0x24, IoCmd.SIZE);

    // ---- batched I/O commands (UBLK_F_BATCH_IO, struct ublk_batch_io, 16 bytes): see BatchIo ----
    /** Hands the kernel a set of tags (and their buffers): they take requests from then on. Result 0 or -errno. */
    public static final int UBLK_U_IO_PREP_IO_CMDS = iowr(0x25, BatchIo.SIZE);
    /** Commits the results of a set of tags; result: the bytes of elements handled, or -errno when none was. */
    public static final int UBLK_U_IO_COMMIT_IO_CMDS = iowr(0x26, BatchIo.SIZE);
    /** Multishot, on a provided-buffer ring: each completion delivers the tags of ready requests. */
    public static final int UBLK_U_IO_FETCH_IO_CMDS = iowr(0x27, BatchIo.SIZE);

    /**
     * {@code struct ublk_auto_buf_reg.flags} (in bits 16-23 of a FETCH/COMMIT SQE's addr): when the kernel cannot
     * register the request's buffer, deliver the request with {@link #UBLK_IO_F_NEED_REG_BUF} instead of failing it.
     */
    public static final int UBLK_AUTO_BUF_REG_FALLBACK = 1;

    /** The SQE addr of FETCH/COMMIT with UBLK_F_AUTO_BUF_REG: register the request's buffer at {@code index}. */
    public static long autoBufReg(int index, int flags) {
        return (index & 0xffffL) | ((long) (flags & 0xff) << 16);
    }

    /** Result of an I/O command's completion: a request is ready. */
    public static final int UBLK_IO_RES_OK = 0;
    public static final int UBLK_IO_RES_NEED_GET_DATA = 1;
    /** The queue is going away: do not fetch again (-ENODEV). */
    public static final int UBLK_IO_RES_ABORT = -19;

    public static final long UBLKSRV_CMD_BUF_OFFSET = 0;
    public static final long UBLKSRV_IO_BUF_OFFSET = 0x80000000L;
    public static final int UBLK_MAX_QUEUE_DEPTH = 4096;
    public static final int UBLK_IO_BUF_BITS = 25;
    public static final int UBLK_TAG_OFF = UBLK_IO_BUF_BITS;
    public static final int UBLK_TAG_BITS = 16;
    public static final int UBLK_QID_OFF = UBLK_TAG_OFF + UBLK_TAG_BITS;
    public static final int UBLK_QID_BITS = 12;
    public static final int UBLK_MAX_NR_QUEUES = 1 << UBLK_QID_BITS;
    public static final int UBLK_FEATURES_LEN = 8;

    // ---- feature flags (ublksrv_ctrl_dev_info.flags, GET_FEATURES) ----
    public static final long UBLK_F_SUPPORT_ZERO_COPY = 1L << 0;
    public static final long UBLK_F_URING_CMD_COMP_IN_TASK = 1L << 1;
    public static final long UBLK_F_NEED_GET_DATA = 1L << 2;
    public static final long UBLK_F_USER_RECOVERY = 1L << 3;
    public static final long UBLK_F_USER_RECOVERY_REISSUE = 1L << 4;
    public static final long UBLK_F_UNPRIVILEGED_DEV = 1L << 5;
    public static final long UBLK_F_CMD_IOCTL_ENCODE = 1L << 6;
    public static final long UBLK_F_USER_COPY = 1L << 7;
    public static final long UBLK_F_ZONED = 1L << 8;
    /** 6.13+: probe with GET_FEATURES. */
    public static final long UBLK_F_USER_RECOVERY_FAIL_IO = 1L << 9;
    /** 6.14+: probe with GET_FEATURES. */
    public static final long UBLK_F_UPDATE_SIZE = 1L << 10;
    public static final long UBLK_F_AUTO_BUF_REG = 1L << 11;
    public static final long UBLK_F_QUIESCE = 1L << 12;
    public static final long UBLK_F_PER_IO_DAEMON = 1L << 13;
    public static final long UBLK_F_BUF_REG_OFF_DAEMON = 1L << 14;
    /** Linux 7.x (the numbers of bits 15-20 are those of Debian's 7.3.4 ublk_cmd.h). */
    public static final long UBLK_F_BATCH_IO = 1L << 15;
    public static final long UBLK_F_INTEGRITY = 1L << 16;
    public static final long UBLK_F_SAFE_STOP_DEV = 1L << 17;
    public static final long UBLK_F_NO_AUTO_PART_SCAN = 1L << 18;
    public static final long UBLK_F_SHMEM_ZC = 1L << 19;
    public static final long UBLK_F_IO_DESC_SIZE = 1L << 20;

    /** Names of the feature bits (UBLK_F_ without the prefix), index = bit number. */
    public static final String[] FEATURE_NAMES = {
        "SUPPORT_ZERO_COPY", "URING_CMD_COMP_IN_TASK", "NEED_GET_DATA", "USER_RECOVERY",
        "USER_RECOVERY_REISSUE", "UNPRIVILEGED_DEV", "CMD_IOCTL_ENCODE", "USER_COPY", "ZONED",
        "USER_RECOVERY_FAIL_IO", "UPDATE_SIZE", "AUTO_BUF_REG", "QUIESCE", "PER_IO_DAEMON",
        "BUF_REG_OFF_DAEMON", "BATCH_IO", "INTEGRITY", "SAFE_STOP_DEV", "NO_AUTO_PART_SCAN", "SHMEM_ZC",
        "IO_DESC_SIZE",
    };

    // ---- device states ----
    public static final int UBLK_S_DEV_DEAD = 0;
    public static final int UBLK_S_DEV_LIVE = 1;
    public static final int UBLK_S_DEV_QUIESCED = 2;
    public static final int UBLK_S_DEV_FAIL_IO = 3;

    public static String stateName(int state) {
        switch (state) {
            case UBLK_S_DEV_DEAD: return "DEAD";
            case UBLK_S_DEV_LIVE: return "LIVE";
            case UBLK_S_DEV_QUIESCED: return "QUIESCED";
            case UBLK_S_DEV_FAIL_IO: return "FAIL_IO";
            default: return "STATE_" + state;
        }
    }

    // ---- I/O ops and flags (ublksrv_io_desc.op_flags) ----
    public static final int UBLK_IO_OP_READ = 0;
    public static final int UBLK_IO_OP_WRITE = 1;
    public static final int UBLK_IO_OP_FLUSH = 2;
    public static final int UBLK_IO_OP_DISCARD = 3;
    public static final int UBLK_IO_OP_WRITE_SAME = 4;
    public static final int UBLK_IO_OP_WRITE_ZEROES = 5;
    public static final int UBLK_IO_F_FAILFAST_DEV = 1 << 8;
    public static final int UBLK_IO_F_FAILFAST_TRANSPORT = 1 << 9;
    public static final int UBLK_IO_F_FAILFAST_DRIVER = 1 << 10;
    public static final int UBLK_IO_F_META = 1 << 11;
    public static final int UBLK_IO_F_FUA = 1 << 13;
    public static final int UBLK_IO_F_NOUNMAP = 1 << 15;
    public static final int UBLK_IO_F_SWAP = 1 << 16;
    /** Automatic buffer registration failed (with {@link #UBLK_AUTO_BUF_REG_FALLBACK}): register it by hand. */
    public static final int UBLK_IO_F_NEED_REG_BUF = 1 << 17;
    public static final int UBLK_IO_F_INTEGRITY = 1 << 18;
    /** The request's pages lie in a shared-memory buffer registered with REG_BUF (addr = index and offset). */
    public static final int UBLK_IO_F_SHMEM_ZC = 1 << 19;

    // ---- ublk_param_basic.attrs ----
    public static final int UBLK_ATTR_READ_ONLY = 1 << 0;
    public static final int UBLK_ATTR_ROTATIONAL = 1 << 1;
    public static final int UBLK_ATTR_VOLATILE_CACHE = 1 << 2;
    public static final int UBLK_ATTR_FUA = 1 << 3;

    // ---- ublk_params.types ----
    public static final int UBLK_PARAM_TYPE_BASIC = 1 << 0;
    public static final int UBLK_PARAM_TYPE_DISCARD = 1 << 1;
    public static final int UBLK_PARAM_TYPE_DEVT = 1 << 2;
    public static final int UBLK_PARAM_TYPE_ZONED = 1 << 3;

    /** Decodes feature bits into names, e.g. {@code [USER_COPY, ...]}; bits newer than 7.3's header as {@code BIT_n}. */
    public static java.util.List<String> featureNames(long bits) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < 64; i++) {
            if ((bits & (1L << i)) != 0) {
                out.add(i < FEATURE_NAMES.length ? FEATURE_NAMES[i] : "BIT_" + i);
            }
        }
        return out;
    }
}
