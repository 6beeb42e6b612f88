package io.tensorplane.ublk.uring;

import static io.tensorplane.ublk.uring.IoUringLayout.*;
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
}
