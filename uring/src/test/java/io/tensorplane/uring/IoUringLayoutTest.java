package io.tensorplane.uring;

import static io.tensorplane.uring.IoUringLayout.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Values printed by a C program compiled against Linux 6.12's {@code include/uapi/linux/io_uring.h}. */
class IoUringLayoutTest {

    @Test
    void sqeMatchesHeader() {
        assertEquals(64, SQE_SIZE);
        assertEquals(0, SQE_OPCODE);
        assertEquals(1, SQE_FLAGS);
        assertEquals(2, SQE_IOPRIO);
        assertEquals(4, SQE_FD);
        assertEquals(8, SQE_OFF);
        assertEquals(8, SQE_CMD_OP);
        assertEquals(16, SQE_ADDR);
        assertEquals(24, SQE_LEN);
        assertEquals(28, SQE_OP_FLAGS);
        assertEquals(32, SQE_USER_DATA);
        assertEquals(40, SQE_BUF_INDEX);
        assertEquals(42, SQE_PERSONALITY);
        assertEquals(44, SQE_SPLICE_FD_IN);
        assertEquals(48, SQE_ADDR3);
        assertEquals(48, SQE_CMD);
    }

    /** Printed from Debian's linux-libc-dev 7.3.4 {@code linux/io_uring.h} (the same since 5.19). */
    @Test
    void bufferTableStructsMatchHeader() {
        assertEquals(15, IORING_REGISTER_BUFFERS2);
        assertEquals(16, IORING_REGISTER_BUFFERS_UPDATE);
        assertEquals(1, IORING_RSRC_REGISTER_SPARSE);
        assertEquals(32, RSRC_REGISTER_SIZE);
        assertEquals(0, RSRC_REGISTER_NR);
        assertEquals(4, RSRC_REGISTER_FLAGS);
        assertEquals(16, RSRC_REGISTER_DATA);
        assertEquals(32, RSRC_UPDATE2_SIZE);
        assertEquals(0, RSRC_UPDATE2_OFFSET);
        assertEquals(8, RSRC_UPDATE2_DATA);
        assertEquals(24, RSRC_UPDATE2_NR);
    }

    /** Printed from Debian's linux-libc-dev 7.3.4 {@code linux/io_uring.h}: provided-buffer rings and multishot commands. */
    @Test
    void providedBufferRingMatchesHeader() {
        assertEquals(22, IORING_REGISTER_PBUF_RING);
        assertEquals(23, IORING_UNREGISTER_PBUF_RING);
        assertEquals(2, IOU_PBUF_RING_INC);
        assertEquals(40, BUF_REG_SIZE);
        assertEquals(0, BUF_REG_RING_ADDR);
        assertEquals(8, BUF_REG_RING_ENTRIES);
        assertEquals(12, BUF_REG_BGID);
        assertEquals(14, BUF_REG_FLAGS);
        assertEquals(16, BUF_SIZE);
        assertEquals(0, BUF_ADDR);
        assertEquals(8, BUF_LEN);
        assertEquals(12, BUF_BID);
        assertEquals(14, BUF_RING_TAIL);
        assertEquals(32, IOSQE_BUFFER_SELECT);
        assertEquals(1, IORING_CQE_F_BUFFER);
        assertEquals(16, IORING_CQE_BUFFER_SHIFT);
        assertEquals(16, IORING_CQE_F_BUF_MORE);
        assertEquals(2, IORING_URING_CMD_MULTISHOT);
    }

    @Test
    void cqeAndParamsMatchHeader() {
        assertEquals(16, CQE_SIZE);
        assertEquals(0, CQE_USER_DATA);
        assertEquals(8, CQE_RES);
        assertEquals(12, CQE_FLAGS);
        assertEquals(120, PARAMS_SIZE);
        assertEquals(0, PARAMS_SQ_ENTRIES);
        assertEquals(4, PARAMS_CQ_ENTRIES);
        assertEquals(8, PARAMS_FLAGS);
        assertEquals(12, PARAMS_SQ_THREAD_CPU);
        assertEquals(16, PARAMS_SQ_THREAD_IDLE);
        assertEquals(20, PARAMS_FEATURES);
        assertEquals(24, PARAMS_WQ_FD);
        assertEquals(40, PARAMS_SQ_OFF);
        assertEquals(80, PARAMS_CQ_OFF);
        assertEquals(0, SQ_OFF_HEAD);
        assertEquals(4, SQ_OFF_TAIL);
        assertEquals(8, SQ_OFF_RING_MASK);
        assertEquals(12, SQ_OFF_RING_ENTRIES);
        assertEquals(16, SQ_OFF_FLAGS);
        assertEquals(20, SQ_OFF_DROPPED);
        assertEquals(24, SQ_OFF_ARRAY);
        assertEquals(0, CQ_OFF_HEAD);
        assertEquals(4, CQ_OFF_TAIL);
        assertEquals(8, CQ_OFF_RING_MASK);
        assertEquals(12, CQ_OFF_RING_ENTRIES);
        assertEquals(16, CQ_OFF_OVERFLOW);
        assertEquals(20, CQ_OFF_CQES);
        assertEquals(24, CQ_OFF_FLAGS);
    }

    @Test
    void constantsMatchHeader() {
        assertEquals(46, IORING_OP_URING_CMD);
        assertEquals(0, IORING_OP_NOP);
        assertEquals(22, IORING_OP_READ);
        assertEquals(0x400, IORING_SETUP_SQE128);
        assertEquals(0x800, IORING_SETUP_CQE32);
        assertEquals(0x1000, IORING_SETUP_SINGLE_ISSUER);
        assertEquals(0x100, IORING_SETUP_COOP_TASKRUN);
        assertEquals(0x2000, IORING_SETUP_DEFER_TASKRUN);
        assertEquals(0x10000000L, IORING_OFF_SQES);
        assertEquals(0x8000000L, IORING_OFF_CQ_RING);
        assertEquals(1, IORING_FEAT_SINGLE_MMAP);
        assertEquals(2, IORING_REGISTER_FILES);
    }

    /** Values of Linux 6.1's headers (io_uring.h, fs.h, stat.h, falloc.h), printed by a C program compiled against them. */
    @Test
    void opcodesFlagsAndFileConstantsMatchHeaders() {
        assertEquals(3, IORING_OP_FSYNC);
        assertEquals(4, IORING_OP_READ_FIXED);
        assertEquals(5, IORING_OP_WRITE_FIXED);
        assertEquals(6, IORING_OP_POLL_ADD);
        assertEquals(7, IORING_OP_POLL_REMOVE);
        assertEquals(17, IORING_OP_FALLOCATE);
        assertEquals(22, IORING_OP_READ);
        assertEquals(23, IORING_OP_WRITE);
        assertEquals(46, IORING_OP_URING_CMD);
        assertEquals(1, IORING_FSYNC_DATASYNC);
        assertEquals(1, IORING_POLL_ADD_MULTI);
        assertEquals(4, IOSQE_IO_LINK);
        assertEquals(16, IOSQE_ASYNC);
        assertEquals(64, IOSQE_CQE_SKIP_SUCCESS);
        assertEquals(2, IORING_CQE_F_MORE);
        assertEquals(0, IORING_REGISTER_BUFFERS);
        assertEquals(8, IORING_REGISTER_PROBE);
        assertEquals(16, PROBE_SIZE);
        assertEquals(8, PROBE_OP_SIZE);
        assertEquals(2, RWF_DSYNC);
        assertEquals(1, POLLIN);
        assertEquals(1, LibC.FALLOC_FL_KEEP_SIZE);
        assertEquals(2, LibC.FALLOC_FL_PUNCH_HOLE);
        assertEquals(16, LibC.FALLOC_FL_ZERO_RANGE);
        assertEquals(0x80081272L, LibC.BLKGETSIZE64);
        assertEquals(0x1268, LibC.BLKSSZGET);
        assertEquals(0x127b, LibC.BLKPBSZGET);
        assertEquals(0x1277, LibC.BLKDISCARD);
        assertEquals(0x127f, LibC.BLKZEROOUT);
        assertEquals(0x125e, LibC.BLKROGET);
        assertEquals(0x1279, LibC.BLKIOOPT);
        assertEquals(0x1200, LibC.BLOCK_URING_CMD_DISCARD, "_IO(0x12, 0) of Linux 6.12's linux/blkdev.h");
        assertEquals(256, LibC.STATX_SIZE);
        assertEquals(4, LibC.STATX_BLKSIZE);
        assertEquals(28, LibC.STATX_MODE);
        assertEquals(40, LibC.STATX_SIZE_BYTES);
        assertEquals(48, LibC.STATX_BLOCKS);
        assertEquals(128, LibC.STATX_RDEV_MAJOR);
        assertEquals(152, LibC.STATX_DIO_MEM_ALIGN);
        assertEquals(156, LibC.STATX_DIO_OFFSET_ALIGN);
        assertEquals(0x2000, LibC.STATX_DIOALIGN);
        assertEquals(0x7ff, LibC.STATX_BASIC_STATS);
    }
}
