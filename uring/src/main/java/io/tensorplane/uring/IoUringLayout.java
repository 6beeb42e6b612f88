package io.tensorplane.uring;

/**
 * Named offsets, sizes and constants of the io_uring ABI ({@code include/uapi/linux/io_uring.h}).
 * {@code IoUringLayoutTest} checks every value against the header.
 */
public final class IoUringLayout {
    private IoUringLayout() {
    }

    // struct io_uring_sqe (64 bytes; 128 with IORING_SETUP_SQE128, the extra 64 bytes extend cmd[])
    public static final int SQE_SIZE = 64;
    public static final int SQE128_SIZE = 128;
    public static final int SQE_OPCODE = 0;        // __u8
    public static final int SQE_FLAGS = 1;         // __u8
    public static final int SQE_IOPRIO = 2;        // __u16
    public static final int SQE_FD = 4;            // __s32
    public static final int SQE_OFF = 8;           // __u64 off / addr2
    public static final int SQE_CMD_OP = 8;        // __u32 cmd_op (URING_CMD)
    public static final int SQE_ADDR = 16;         // __u64
    public static final int SQE_LEN = 24;          // __u32
    public static final int SQE_OP_FLAGS = 28;     // __u32 rw_flags / uring_cmd_flags / ...
    public static final int SQE_USER_DATA = 32;    // __u64
    public static final int SQE_BUF_INDEX = 40;    // __u16
    public static final int SQE_PERSONALITY = 42;  // __u16
    public static final int SQE_SPLICE_FD_IN = 44; // __s32
    public static final int SQE_ADDR3 = 48;        // __u64
    public static final int SQE_CMD = 48;          // __u8 cmd[]: 16 bytes in a 64-byte SQE, 80 in a 128-byte one

    // struct io_uring_cqe (16 bytes; 32 with IORING_SETUP_CQE32)
    public static final int CQE_SIZE = 16;
    public static final int CQE_USER_DATA = 0;     // __u64
    public static final int CQE_RES = 8;           // __s32
    public static final int CQE_FLAGS = 12;        // __u32

    // struct io_uring_params (120 bytes)
    public static final int PARAMS_SIZE = 120;
    public static final int PARAMS_SQ_ENTRIES = 0;
    public static final int PARAMS_CQ_ENTRIES = 4;
    public static final int PARAMS_FLAGS = 8;
    public static final int PARAMS_SQ_THREAD_CPU = 12;
    public static final int PARAMS_SQ_THREAD_IDLE = 16;
    public static final int PARAMS_FEATURES = 20;
    public static final int PARAMS_WQ_FD = 24;
    public static final int PARAMS_SQ_OFF = 40;    // struct io_sqring_offsets
    public static final int PARAMS_CQ_OFF = 80;    // struct io_cqring_offsets

    // struct io_sqring_offsets (40 bytes), relative to PARAMS_SQ_OFF
    public static final int SQ_OFF_HEAD = 0;
    public static final int SQ_OFF_TAIL = 4;
    public static final int SQ_OFF_RING_MASK = 8;
    public static final int SQ_OFF_RING_ENTRIES = 12;
    public static final int SQ_OFF_FLAGS = 16;
    public static final int SQ_OFF_DROPPED = 20;
    public static final int SQ_OFF_ARRAY = 24;

    // struct io_cqring_offsets (40 bytes), relative to PARAMS_CQ_OFF
    public static final int CQ_OFF_HEAD = 0;
    public static final int CQ_OFF_TAIL = 4;
    public static final int CQ_OFF_RING_MASK = 8;
    public static final int CQ_OFF_RING_ENTRIES = 12;
    public static final int CQ_OFF_OVERFLOW = 16;
    public static final int CQ_OFF_CQES = 20;
    public static final int CQ_OFF_FLAGS = 24;

    // opcodes
    public static final int IORING_OP_NOP = 0;
    public static final int IORING_OP_FSYNC = 3;
    public static final int IORING_OP_READ_FIXED = 4;
    public static final int IORING_OP_WRITE_FIXED = 5;
    public static final int IORING_OP_POLL_ADD = 6;
    public static final int IORING_OP_POLL_REMOVE = 7;
    public static final int IORING_OP_FALLOCATE = 17;
    public static final int IORING_OP_READ = 22;
    public static final int IORING_OP_WRITE = 23;
    public static final int IORING_OP_URING_CMD = 46;
    /** Opcodes are below this (a probe's op table is this long). */
    public static final int IORING_OP_TABLE = 256;

    // sqe->flags
    public static final int IOSQE_FIXED_FILE = 1;
    public static final int IOSQE_IO_LINK = 1 << 2;
    public static final int IOSQE_ASYNC = 1 << 4;
    /** Take the data buffer from the provided-buffer group named in {@code sqe->buf_group} ({@link #SQE_BUF_INDEX}). */
    public static final int IOSQE_BUFFER_SELECT = 1 << 5;
    public static final int IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    // sqe->fsync_flags, sqe->len of POLL_ADD, sqe->rw_flags (RWF_*)
    public static final int IORING_FSYNC_DATASYNC = 1;
    public static final int IORING_POLL_ADD_MULTI = 1;
    public static final int RWF_DSYNC = 2;
    public static final int POLLIN = 1;

    // cqe->flags
    public static final int IORING_CQE_F_MORE = 1 << 1;
    /** The CQE used a provided buffer, whose id is in the upper 16 bits of its flags. */
    public static final int IORING_CQE_F_BUFFER = 1;
    public static final int IORING_CQE_BUFFER_SHIFT = 16;
    /** Incrementally consumed provided buffer ({@link #IOU_PBUF_RING_INC}): the buffer has room left and stays in use. */
    public static final int IORING_CQE_F_BUF_MORE = 1 << 4;
    /** {@code sqe->uring_cmd_flags}: a multishot command (needs {@link #IOSQE_BUFFER_SELECT}). */
    public static final int IORING_URING_CMD_MULTISHOT = 1 << 1;

    // io_uring_setup flags
    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    public static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9;
    public static final int IORING_SETUP_SQE128 = 1 << 10;
    public static final int IORING_SETUP_CQE32 = 1 << 11;
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;

    // sq ring flags (shared, written by the kernel)
    public static final int IORING_SQ_NEED_WAKEUP = 1 << 0;
    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;
    public static final int IORING_SQ_TASKRUN = 1 << 2;

    // features
    public static final int IORING_FEAT_SINGLE_MMAP = 1;

    // io_uring_enter flags
    public static final int IORING_ENTER_GETEVENTS = 1;

    // io_uring_register opcodes
    public static final int IORING_REGISTER_BUFFERS = 0;
    public static final int IORING_REGISTER_FILES = 2;
    public static final int IORING_REGISTER_PROBE = 8;
    public static final int IORING_REGISTER_BUFFERS2 = 15;
    public static final int IORING_REGISTER_BUFFERS_UPDATE = 16;
    public static final int IORING_REGISTER_PBUF_RING = 22;
    public static final int IORING_UNREGISTER_PBUF_RING = 23;
    /** {@code io_uring_buf_reg.flags}: each use of a buffer consumes only as many bytes as it needs. */
    public static final int IOU_PBUF_RING_INC = 2;
    /** {@code io_uring_rsrc_register.flags}: a table of empty slots, filled later (by the kernel, or an update). */
    public static final int IORING_RSRC_REGISTER_SPARSE = 1;

    // struct io_uring_rsrc_register (32 bytes), for IORING_REGISTER_BUFFERS2
    public static final int RSRC_REGISTER_SIZE = 32;
    public static final int RSRC_REGISTER_NR = 0;       // __u32
    public static final int RSRC_REGISTER_FLAGS = 4;    // __u32
    public static final int RSRC_REGISTER_DATA = 16;    // __u64
    // struct io_uring_rsrc_update2 (32 bytes), for IORING_REGISTER_BUFFERS_UPDATE
    public static final int RSRC_UPDATE2_SIZE = 32;
    public static final int RSRC_UPDATE2_OFFSET = 0;    // __u32
    public static final int RSRC_UPDATE2_DATA = 8;      // __u64
    public static final int RSRC_UPDATE2_NR = 24;       // __u32

    // struct io_uring_buf_reg (40 bytes), for IORING_(UN)REGISTER_PBUF_RING
    public static final int BUF_REG_SIZE = 40;
    public static final int BUF_REG_RING_ADDR = 0;      // __u64
    public static final int BUF_REG_RING_ENTRIES = 8;   // __u32
    public static final int BUF_REG_BGID = 12;          // __u16
    public static final int BUF_REG_FLAGS = 14;         // __u16
    // struct io_uring_buf (16 bytes), the entries of a provided-buffer ring; the ring's tail overlays entry 0's resv
    public static final int BUF_SIZE = 16;
    public static final int BUF_ADDR = 0;               // __u64
    public static final int BUF_LEN = 8;                // __u32
    public static final int BUF_BID = 12;               // __u16
    public static final int BUF_RING_TAIL = 14;         // __u16

    // struct io_uring_probe (16 bytes) followed by struct io_uring_probe_op (8 bytes) per opcode
    public static final int PROBE_SIZE = 16;
    public static final int PROBE_LAST_OP = 0;       // __u8
    public static final int PROBE_OPS_LEN = 1;       // __u8
    public static final int PROBE_OP_SIZE = 8;
    public static final int PROBE_OP_FLAGS = 2;      // __u16, relative to the op
    public static final int IO_URING_OP_SUPPORTED = 1;

    // struct iovec, for IORING_REGISTER_BUFFERS
    public static final int IOVEC_SIZE = 16;

    // mmap offsets
    public static final long IORING_OFF_SQ_RING = 0L;
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    public static final long IORING_OFF_SQES = 0x10000000L;
}
