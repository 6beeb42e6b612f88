package io.tensorplane.ublk.ctrl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

/** The encoders write each field at its header offset, and decoding gives back what was written. */
class StructCodecTest {

    @Test
    void devInfoRoundTripsAtHeaderOffsets() {
        long a = UnsafeApi.allocateMemory(DevInfo.SIZE);
        try {
            DevInfo d = new DevInfo();
            d.nrHwQueues = 4;
            d.queueDepth = 128;
            d.maxIoBufBytes = 512 * 1024;
            d.devId = 7;
            d.ublksrvPid = 4242;
            d.flags = UblkAbi.UBLK_F_USER_COPY;
            d.encode(a);
            assertEquals(4, UnsafeApi.getShort(a));
            assertEquals(128, UnsafeApi.getShort(a + 2));
            assertEquals(512 * 1024, UnsafeApi.getInt(a + 8));
            assertEquals(7, UnsafeApi.getInt(a + 12));
            assertEquals(4242, UnsafeApi.getInt(a + 16));
            assertEquals(1L << 7, UnsafeApi.getLong(a + 24));
            DevInfo back = DevInfo.decode(a);
            assertEquals(4, back.nrHwQueues);
            assertEquals(128, back.queueDepth);
            assertEquals(7, back.devId);
            assertEquals(4242, back.ublksrvPid);
            assertEquals(1L << 7, back.flags);
        } finally {
            UnsafeApi.freeMemory(a);
        }
    }

    @Test
    void paramsEncodeAtHeaderOffsets() {
        long a = UnsafeApi.allocateMemory(Params.SIZE);
        try {
            Params p = new Params();
            p.types = UblkAbi.UBLK_PARAM_TYPE_BASIC | UblkAbi.UBLK_PARAM_TYPE_DISCARD;
            p.attrs = UblkAbi.UBLK_ATTR_VOLATILE_CACHE | UblkAbi.UBLK_ATTR_FUA;
            p.logicalBsShift = 9;
            p.physicalBsShift = 12;
            p.ioOptShift = 12;
            p.ioMinShift = 9;
            p.maxSectors = 1024;
            p.devSectors = 1L << 33;
            p.discardGranularity = 4096;
            p.maxDiscardSectors = 0x7ffffff8;
            p.maxWriteZeroesSectors = 2048;
            p.maxDiscardSegments = 1;
            p.encode(a);
            assertEquals(112, UnsafeApi.getInt(a));
            assertEquals(3, UnsafeApi.getInt(a + 4));
            assertEquals(12, UnsafeApi.getInt(a + 8));
            assertEquals(9, UnsafeApi.getByte(a + 12));
            assertEquals(12, UnsafeApi.getByte(a + 13));
            assertEquals(1024, UnsafeApi.getInt(a + 16));
            assertEquals(1L << 33, UnsafeApi.getLong(a + 24));
            assertEquals(4096, UnsafeApi.getInt(a + 44));
            assertEquals(0x7ffffff8, UnsafeApi.getInt(a + 48));
            assertEquals(2048, UnsafeApi.getInt(a + 52));
            assertEquals(1, UnsafeApi.getShort(a + 56));
            UnsafeApi.putInt(a + 68, 259);
            UnsafeApi.putInt(a + 72, 3);
            Params back = Params.decode(a);
            assertEquals(1L << 33, back.devSectors);
            assertEquals(2048, back.maxWriteZeroesSectors);
            assertEquals(259, back.diskMajor);
            assertEquals(3, back.diskMinor);
        } finally {
            UnsafeApi.freeMemory(a);
        }
    }
}
