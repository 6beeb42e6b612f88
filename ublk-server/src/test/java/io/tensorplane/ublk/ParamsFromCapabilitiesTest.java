package io.tensorplane.ublk;

import static io.tensorplane.ublk.ctrl.UblkAbi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.ublk.ctrl.Params;
import org.junit.jupiter.api.Test;

/** What the kernel is told about a disk comes from the backend's capabilities, and promises nothing more. */
class ParamsFromCapabilitiesTest {

    private static BlockDevice device(long size, Capabilities c) {
        return new BlockDevice() {
            @Override public String spec() { return "test"; }
            @Override public long sizeBytes() { return size; }
            @Override public int blockSize() { return c.logicalBlockSize(); }
            @Override public Capabilities capabilities() { return c; }
            @Override public IoChannel openChannel(ChannelHost host) { throw new UnsupportedOperationException(); }
            @Override public void close() { }
        };
    }

    @Test
    void aRamDiskWithDiscardAndNoCache() {
        Params p = UblkServer.params(device(1L << 30, Capabilities.builder(512).maxDiscardBytes(1L << 30).build()), 512 * 1024);
        assertEquals(UBLK_PARAM_TYPE_BASIC | UBLK_PARAM_TYPE_DISCARD, p.types);
        assertEquals(0, p.attrs, "no write cache, writable");
        assertEquals(9, p.logicalBsShift);
        assertEquals(9, p.physicalBsShift);
        assertEquals(1024, p.maxSectors);
        assertEquals((1L << 30) >> 9, p.devSectors);
        assertEquals(2097152, p.maxDiscardSectors);
        assertEquals(1, p.maxDiscardSegments);
        assertEquals(4096, p.discardGranularity);
        assertTrue(p.maxWriteZeroesSectors > 0);
    }

    @Test
    void aFileOnAFileSystemWithoutHolesIsToldNoDiscardButKeepsWriteZeroes() {
        Capabilities c = Capabilities.builder(4096).volatileWriteCache(true).discard(false, false).physicalBlockSize(4096)
                .optimalIoBytes(65536).maxWriteZeroesBytes(1L << 30).build();
        Params p = UblkServer.params(device(1L << 30, c), 512 * 1024);
        assertEquals(UBLK_ATTR_VOLATILE_CACHE | UBLK_ATTR_FUA, p.attrs);
        assertEquals(0, p.maxDiscardSectors, "no discard advertised");
        assertEquals(0, p.maxDiscardSegments);
        assertTrue(p.discardGranularity > 0, "the kernel refuses discard parameters with a zero granularity");
        assertEquals((1L << 30) >> 9, p.maxWriteZeroesSectors & 0xffffffffL);
        assertEquals(12, p.logicalBsShift);
        assertEquals(16, p.ioOptShift);
    }

    @Test
    void aReadOnlyBackendGivesAReadOnlyDisk() {
        Capabilities c = Capabilities.builder(512).readOnly(true).discard(false, false).physicalBlockSize(4096).build();
        Params p = UblkServer.params(device(1L << 20, c), 512 * 1024);
        assertEquals(UBLK_ATTR_READ_ONLY, p.attrs & UBLK_ATTR_READ_ONLY);
        assertEquals(12, p.physicalBsShift, "the physical block size is passed on");
    }

    @Test
    void hugeDevicesClampTheirLimitsToThe32BitSectorCounts() {
        long size = 1L << 50; // 1 PiB
        Capabilities c = Capabilities.builder(4096).maxDiscardBytes(size).maxWriteZeroesBytes(size).build();
        Params p = UblkServer.params(device(size, c), 512 * 1024);
        assertEquals(0xfffffff8L, p.maxDiscardSectors & 0xffffffffL, "2^32 - 1 sectors, rounded down to whole 4 KiB blocks");
        assertEquals(0xfffffff8L, p.maxWriteZeroesSectors & 0xffffffffL);
    }
}
