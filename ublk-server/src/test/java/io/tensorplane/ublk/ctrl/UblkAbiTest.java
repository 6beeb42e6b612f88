package io.tensorplane.ublk.ctrl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Every size, offset and number below was printed by a C program compiled against the
 * {@code include/uapi/linux/ublk_cmd.h} of Debian's linux-headers-6.12.117 (sizeof/offsetof and
 * the {@code UBLK_U_*} macros), so these tests compare our layouts with the kernel's own.
 */
class UblkAbiTest {

    @Test
    void ctrlCmdMatchesHeader() {
        assertEquals(32, CtrlCmd.SIZE);
        assertEquals(0, CtrlCmd.DEV_ID);
        assertEquals(4, CtrlCmd.QUEUE_ID);
        assertEquals(6, CtrlCmd.LEN);
        assertEquals(8, CtrlCmd.ADDR);
        assertEquals(16, CtrlCmd.DATA);
        assertEquals(24, CtrlCmd.DEV_PATH_LEN);
        assertEquals(26, CtrlCmd.PAD);
        assertEquals(28, CtrlCmd.RESERVED);
    }

    @Test
    void devInfoMatchesHeader() {
        assertEquals(64, DevInfo.SIZE);
        assertEquals(0, DevInfo.NR_HW_QUEUES);
        assertEquals(2, DevInfo.QUEUE_DEPTH);
        assertEquals(4, DevInfo.STATE);
        assertEquals(8, DevInfo.MAX_IO_BUF_BYTES);
        assertEquals(12, DevInfo.DEV_ID);
        assertEquals(16, DevInfo.UBLKSRV_PID);
        assertEquals(24, DevInfo.FLAGS);
        assertEquals(32, DevInfo.UBLKSRV_FLAGS);
        assertEquals(40, DevInfo.OWNER_UID);
        assertEquals(44, DevInfo.OWNER_GID);
        assertEquals(48, DevInfo.RESERVED1);
        assertEquals(56, DevInfo.RESERVED2);
    }

    @Test
    void ioDescAndIoCmdMatchHeader() {
        assertEquals(24, IoDesc.SIZE);
        assertEquals(0, IoDesc.OP_FLAGS);
        assertEquals(4, IoDesc.NR_SECTORS);
        assertEquals(8, IoDesc.START_SECTOR);
        assertEquals(16, IoDesc.ADDR);
        assertEquals(16, IoCmd.SIZE);
        assertEquals(0, IoCmd.Q_ID);
        assertEquals(2, IoCmd.TAG);
        assertEquals(4, IoCmd.RESULT);
        assertEquals(8, IoCmd.ADDR);
    }

    @Test
    void paramsMatchHeader() {
        assertEquals(112, Params.SIZE);
        assertEquals(0, Params.LEN);
        assertEquals(4, Params.TYPES);
        assertEquals(8, Params.BASIC);
        assertEquals(40, Params.DISCARD);
        assertEquals(60, Params.DEVT);
        assertEquals(76, Params.ZONED);
        assertEquals(Params.BASIC + Params.Basic.SIZE, Params.DISCARD);
        assertEquals(Params.DISCARD + Params.Discard.SIZE, Params.DEVT);
        assertEquals(Params.DEVT + Params.Devt.SIZE, Params.ZONED);
        assertEquals(Params.SIZE, (Params.ZONED + Params.Zoned.SIZE + 7) / 8 * 8);

        assertEquals(32, Params.Basic.SIZE);
        assertEquals(0, Params.Basic.ATTRS);
        assertEquals(4, Params.Basic.LOGICAL_BS_SHIFT);
        assertEquals(5, Params.Basic.PHYSICAL_BS_SHIFT);
        assertEquals(6, Params.Basic.IO_OPT_SHIFT);
        assertEquals(7, Params.Basic.IO_MIN_SHIFT);
        assertEquals(8, Params.Basic.MAX_SECTORS);
        assertEquals(12, Params.Basic.CHUNK_SECTORS);
        assertEquals(16, Params.Basic.DEV_SECTORS);
        assertEquals(24, Params.Basic.VIRT_BOUNDARY_MASK);

        assertEquals(20, Params.Discard.SIZE);
        assertEquals(0, Params.Discard.DISCARD_ALIGNMENT);
        assertEquals(4, Params.Discard.DISCARD_GRANULARITY);
        assertEquals(8, Params.Discard.MAX_DISCARD_SECTORS);
        assertEquals(12, Params.Discard.MAX_WRITE_ZEROES_SECTORS);
        assertEquals(16, Params.Discard.MAX_DISCARD_SEGMENTS);
        assertEquals(18, Params.Discard.RESERVED0);

        assertEquals(16, Params.Devt.SIZE);
        assertEquals(0, Params.Devt.CHAR_MAJOR);
        assertEquals(4, Params.Devt.CHAR_MINOR);
        assertEquals(8, Params.Devt.DISK_MAJOR);
        assertEquals(12, Params.Devt.DISK_MINOR);

        assertEquals(32, Params.Zoned.SIZE);
        assertEquals(0, Params.Zoned.MAX_OPEN_ZONES);
        assertEquals(4, Params.Zoned.MAX_ACTIVE_ZONES);
        assertEquals(8, Params.Zoned.MAX_ZONE_APPEND_SECTORS);
        assertEquals(12, Params.Zoned.RESERVED);
    }

    @Test
    void commandNumbersMatchHeader() {
        assertEquals(0x80207501, UblkAbi.UBLK_U_CMD_GET_QUEUE_AFFINITY);
        assertEquals(0x80207502, UblkAbi.UBLK_U_CMD_GET_DEV_INFO);
        assertEquals(0xc0207504, UblkAbi.UBLK_U_CMD_ADD_DEV);
        assertEquals(0xc0207505, UblkAbi.UBLK_U_CMD_DEL_DEV);
        assertEquals(0xc0207506, UblkAbi.UBLK_U_CMD_START_DEV);
        assertEquals(0xc0207507, UblkAbi.UBLK_U_CMD_STOP_DEV);
        assertEquals(0xc0207508, UblkAbi.UBLK_U_CMD_SET_PARAMS);
        assertEquals(0x80207509, UblkAbi.UBLK_U_CMD_GET_PARAMS);
        assertEquals(0xc0207510, UblkAbi.UBLK_U_CMD_START_USER_RECOVERY);
        assertEquals(0xc0207511, UblkAbi.UBLK_U_CMD_END_USER_RECOVERY);
        assertEquals(0x80207512, UblkAbi.UBLK_U_CMD_GET_DEV_INFO2);
        assertEquals(0x80207513, UblkAbi.UBLK_U_CMD_GET_FEATURES);
        assertEquals(0x80207514, UblkAbi.UBLK_U_CMD_DEL_DEV_ASYNC);
        assertEquals(0xc0107520, UblkAbi.UBLK_U_IO_FETCH_REQ);
        assertEquals(0xc0107521, UblkAbi.UBLK_U_IO_COMMIT_AND_FETCH_REQ);
        assertEquals(0xc0107522, UblkAbi.UBLK_U_IO_NEED_GET_DATA);
    }

    /** Values printed by a C program compiled against Debian's linux-libc-dev 7.3.4 {@code linux/ublk_cmd.h}. */
    @Test
    void commandNumbersOf73MatchHeader() {
        assertEquals(3223352597L, UblkAbi.UBLK_U_CMD_UPDATE_SIZE & 0xffffffffL);
        assertEquals(3223352598L, UblkAbi.UBLK_U_CMD_QUIESCE_DEV & 0xffffffffL);
        assertEquals(3223352599L, UblkAbi.UBLK_U_CMD_TRY_STOP_DEV & 0xffffffffL);
        assertEquals(3222304035L, UblkAbi.UBLK_U_IO_REGISTER_IO_BUF & 0xffffffffL);
        assertEquals(3222304036L, UblkAbi.UBLK_U_IO_UNREGISTER_IO_BUF & 0xffffffffL);
        assertEquals(131072, UblkAbi.UBLK_IO_F_NEED_REG_BUF);
        assertEquals(524288, UblkAbi.UBLK_IO_F_SHMEM_ZC);
        assertEquals(1, UblkAbi.UBLK_AUTO_BUF_REG_FALLBACK);
        // ublk_auto_buf_reg_to_sqe_addr(): index in bits 0-15, flags in bits 16-23
        assertEquals(0x1_0007L, UblkAbi.autoBufReg(7, UblkAbi.UBLK_AUTO_BUF_REG_FALLBACK));
        assertEquals(0xffffL, UblkAbi.autoBufReg(0xffff, 0));
    }

    /** Printed from Debian's linux-libc-dev 7.3.4 {@code linux/ublk_cmd.h}: UBLK_F_BATCH_IO's commands and structs. */
    @Test
    void batchCommandsMatchHeader() {
        assertEquals(0xc0107525, UblkAbi.UBLK_U_IO_PREP_IO_CMDS);
        assertEquals(0xc0107526, UblkAbi.UBLK_U_IO_COMMIT_IO_CMDS);
        assertEquals(0xc0107527, UblkAbi.UBLK_U_IO_FETCH_IO_CMDS);
        assertEquals(16, BatchIo.SIZE);
        assertEquals(0, BatchIo.Q_ID);
        assertEquals(2, BatchIo.FLAGS);
        assertEquals(4, BatchIo.NR_ELEM);
        assertEquals(6, BatchIo.ELEM_BYTES);
        assertEquals(8, BatchIo.ELEM_HEADER_SIZE);
        assertEquals(0, BatchIo.ELEM_TAG);
        assertEquals(2, BatchIo.ELEM_BUF_INDEX);
        assertEquals(4, BatchIo.ELEM_RESULT);
        assertEquals(1, BatchIo.F_HAS_ZONE_LBA);
        assertEquals(2, BatchIo.F_HAS_BUF_ADDR);
        assertEquals(4, BatchIo.F_AUTO_BUF_REG_FALLBACK);
        assertEquals(1L << 15, UblkAbi.UBLK_F_BATCH_IO);
    }

    @Test
    void offsetsAndFlagsMatchHeader() {
        assertEquals(0x80000000L, UblkAbi.UBLKSRV_IO_BUF_OFFSET);
        assertEquals(25, UblkAbi.UBLK_TAG_OFF);
        assertEquals(41, UblkAbi.UBLK_QID_OFF);
        assertEquals(4096, UblkAbi.UBLK_MAX_QUEUE_DEPTH);
        assertEquals(4096, UblkAbi.UBLK_MAX_NR_QUEUES);
        assertEquals(1L << 7, UblkAbi.UBLK_F_USER_COPY);
        assertEquals(1L << 3, UblkAbi.UBLK_F_USER_RECOVERY);
        assertEquals(1 << 13, UblkAbi.UBLK_IO_F_FUA);
        assertEquals(5, UblkAbi.UBLK_IO_OP_WRITE_ZEROES);
        assertEquals(-19, UblkAbi.UBLK_IO_RES_ABORT);
        // queue 1's descriptors start after a whole UBLK_MAX_QUEUE_DEPTH array, page aligned
        assertEquals(4096L * 24, IoDesc.mmapOffset(1, 4096));
        assertEquals(4096, IoDesc.mmapLength(128, 4096));
        assertEquals(8192, IoDesc.mmapLength(171, 4096));
        assertEquals(0x80000000L + (3L << 41) + (7L << 25), IoDesc.userCopyOffset(3, 7));
        assertEquals(java.util.List.of("USER_RECOVERY", "CMD_IOCTL_ENCODE", "USER_COPY"),
                UblkAbi.featureNames(UblkAbi.UBLK_F_USER_RECOVERY | UblkAbi.UBLK_F_CMD_IOCTL_ENCODE | UblkAbi.UBLK_F_USER_COPY));
    }

    /**
     * The UBLK_F_* lines of Debian's linux-libc-dev 7.3.4 {@code linux/ublk_cmd.h}, as written there (name, bit).
     * The test bed keeps that header ({@code TP_UAPI_INCLUDE}); UblkLifecycleIT compares the running kernel's names
     * with it.
     */
    private static final String[][] HEADER_7_3 = {
        {"SUPPORT_ZERO_COPY", "0"}, {"URING_CMD_COMP_IN_TASK", "1"}, {"NEED_GET_DATA", "2"}, {"USER_RECOVERY", "3"},
        {"USER_RECOVERY_REISSUE", "4"}, {"UNPRIVILEGED_DEV", "5"}, {"CMD_IOCTL_ENCODE", "6"}, {"USER_COPY", "7"},
        {"ZONED", "8"}, {"USER_RECOVERY_FAIL_IO", "9"}, {"UPDATE_SIZE", "10"}, {"AUTO_BUF_REG", "11"},
        {"QUIESCE", "12"}, {"PER_IO_DAEMON", "13"}, {"BUF_REG_OFF_DAEMON", "14"}, {"BATCH_IO", "15"},
        {"INTEGRITY", "16"}, {"SAFE_STOP_DEV", "17"}, {"NO_AUTO_PART_SCAN", "18"}, {"SHMEM_ZC", "19"},
        {"IO_DESC_SIZE", "20"},
    };

    @Test
    void everyFeatureBitOf73IsNamedAsInTheHeader() throws ReflectiveOperationException {
        assertEquals(HEADER_7_3.length, UblkAbi.FEATURE_NAMES.length);
        for (String[] f : HEADER_7_3) {
            int bit = Integer.parseInt(f[1]);
            assertEquals(f[0], UblkAbi.FEATURE_NAMES[bit], "name of bit " + bit);
            assertEquals(1L << bit, UblkAbi.class.getField("UBLK_F_" + f[0]).getLong(null), "UBLK_F_" + f[0]);
        }
        // what Linux 7.3.4's driver reports: every bit named, none as BIT_n
        java.util.List<String> names = UblkAbi.featureNames(0x1fffffL);
        assertEquals(21, names.size());
        assertEquals("SHMEM_ZC", names.get(19));
        assertEquals("IO_DESC_SIZE", names.get(20));
        assertEquals(java.util.List.of("BIT_21"), UblkAbi.featureNames(1L << 21));
    }
}
