package io.tensorplane.ublk.ctrl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

/** The batch command header and elements land at ublk_cmd.h's offsets, with the sizes the kernel checks. */
class BatchIoTest {

    @Test
    void elementSizeFollowsTheFlags() {
        // ublk_check_batch_cmd_flags(): the header, plus 8 bytes for each optional field
        assertEquals(8, BatchIo.elemBytes(0));
        assertEquals(16, BatchIo.elemBytes(BatchIo.F_HAS_BUF_ADDR));
        assertEquals(16, BatchIo.elemBytes(BatchIo.F_HAS_ZONE_LBA));
        assertEquals(24, BatchIo.elemBytes(BatchIo.F_HAS_BUF_ADDR | BatchIo.F_HAS_ZONE_LBA));
        assertEquals(8, BatchIo.elemBytes(BatchIo.F_AUTO_BUF_REG_FALLBACK));
    }

    @Test
    void headerAtItsOffsets() {
        long cmd = UnsafeApi.allocateMemory(BatchIo.SIZE);
        try {
            UnsafeApi.setMemory(cmd, BatchIo.SIZE, (byte) 0x5a);
            BatchIo.putHeader(cmd, 3, BatchIo.F_HAS_BUF_ADDR, 128, 16);
            assertEquals(3, UnsafeApi.getShort(cmd));
            assertEquals(2, UnsafeApi.getShort(cmd + 2));
            assertEquals(128, UnsafeApi.getShort(cmd + 4));
            assertEquals(16, UnsafeApi.getByte(cmd + 6));
            // reserved and reserved2 are not touched (the SQE comes zeroed)
            assertEquals(0x5a, UnsafeApi.getByte(cmd + 7));
            assertEquals(0x5a5a5a5a5a5a5a5aL, UnsafeApi.getLong(cmd + 8));
        } finally {
            UnsafeApi.freeMemory(cmd);
        }
    }

    @Test
    void commitElementsWithBufferAddresses() {
        int flags = BatchIo.F_HAS_BUF_ADDR;
        long buf = UnsafeApi.allocateMemory(3 * 16);
        try {
            UnsafeApi.setMemory(buf, 3 * 16, (byte) 0);
            BatchIo.putElem(buf, 0, flags, 5, 0, 4096, 0x7f00_0000_1000L);
            BatchIo.putElem(buf, 1, flags, 0xfffe, 0, -5, 0x7f00_0000_2000L);
            BatchIo.putElem(buf, 2, flags, 9, 0, 0, 0x7f00_0000_3000L);
            // element 1 starts at byte 16: tag, buf_index, result, then the address
            assertEquals((short) 0xfffe, UnsafeApi.getShort(buf + 16));
            assertEquals(0, UnsafeApi.getShort(buf + 18));
            assertEquals(-5, UnsafeApi.getInt(buf + 20));
            assertEquals(0x7f00_0000_2000L, UnsafeApi.getLong(buf + 24));
            assertEquals(4096, UnsafeApi.getInt(buf + 4));
            assertEquals(5, BatchIo.elemTag(buf, 0, flags));
            assertEquals(0xfffe, BatchIo.elemTag(buf, 1, flags));
            assertEquals(9, BatchIo.elemTag(buf, 2, flags));
            assertEquals(0x7f00_0000_3000L, UnsafeApi.getLong(buf + 40));
        } finally {
            UnsafeApi.freeMemory(buf);
        }
    }

    @Test
    void userCopyElementsAreHeadersOnly() {
        long buf = UnsafeApi.allocateMemory(2 * 8 + 8);
        try {
            UnsafeApi.setMemory(buf, 24, (byte) 0);
            BatchIo.putElem(buf, 0, 0, 1, 0, 512, 0x1234L);
            BatchIo.putElem(buf, 1, 0, 2, 0, 1024, 0x1234L);
            assertEquals(2, UnsafeApi.getShort(buf + 8));
            assertEquals(1024, UnsafeApi.getInt(buf + 12));
            // no address written anywhere, and nothing past the second element
            assertEquals(0, UnsafeApi.getLong(buf + 16));
            assertEquals(1, BatchIo.elemTag(buf, 0, 0));
        } finally {
            UnsafeApi.freeMemory(buf);
        }
    }

    @Test
    void fetchedTagsAreUnsigned16BitValues() {
        long buf = UnsafeApi.allocateMemory(6);
        try {
            UnsafeApi.putShort(buf, (short) 7);
            UnsafeApi.putShort(buf + 2, (short) 4095);
            UnsafeApi.putShort(buf + 4, (short) 0xffff);
            assertEquals(7, BatchIo.fetchedTag(buf, 0));
            assertEquals(4095, BatchIo.fetchedTag(buf, 2));
            assertEquals(0xffff, BatchIo.fetchedTag(buf, 4));
        } finally {
            UnsafeApi.freeMemory(buf);
        }
    }
}
