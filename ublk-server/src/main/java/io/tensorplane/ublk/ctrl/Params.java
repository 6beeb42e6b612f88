package io.tensorplane.ublk.ctrl;

import org.agrona.UnsafeApi;

/**
 * {@code struct ublk_params} with its parts {@code ublk_param_basic}, {@code ublk_param_discard},
 * {@code ublk_param_devt} and {@code ublk_param_zoned} (112 bytes on Linux 6.12; newer kernels
 * append more parts and accept a shorter {@code len}).
 */
public final class Params {
    public static final int SIZE = 112;
    public static final int LEN = 0;          // __u32
    public static final int TYPES = 4;        // __u32
    public static final int BASIC = 8;        // struct ublk_param_basic
    public static final int DISCARD = 40;     // struct ublk_param_discard
    public static final int DEVT = 60;        // struct ublk_param_devt
    public static final int ZONED = 76;       // struct ublk_param_zoned

    /** {@code struct ublk_param_basic} (32 bytes), offsets relative to {@link #BASIC}. */
    public static final class Basic {
        private Basic() {
        }

        public static final int SIZE = 32;
        public static final int ATTRS = 0;              // __u32
        public static final int LOGICAL_BS_SHIFT = 4;   // __u8
        public static final int PHYSICAL_BS_SHIFT = 5;  // __u8
        public static final int IO_OPT_SHIFT = 6;       // __u8
        public static final int IO_MIN_SHIFT = 7;       // __u8
        public static final int MAX_SECTORS = 8;        // __u32
        public static final int CHUNK_SECTORS = 12;     // __u32
        public static final int DEV_SECTORS = 16;       // __u64
        public static final int VIRT_BOUNDARY_MASK = 24; // __u64
    }

    /** {@code struct ublk_param_discard} (20 bytes), offsets relative to {@link #DISCARD}. */
    public static final class Discard {
        private Discard() {
        }

        public static final int SIZE = 20;
        public static final int DISCARD_ALIGNMENT = 0;         // __u32
        public static final int DISCARD_GRANULARITY = 4;       // __u32
        public static final int MAX_DISCARD_SECTORS = 8;       // __u32
        public static final int MAX_WRITE_ZEROES_SECTORS = 12; // __u32
        public static final int MAX_DISCARD_SEGMENTS = 16;     // __u16
        public static final int RESERVED0 = 18;                // __u16
    }

    /** {@code struct ublk_param_devt} (16 bytes, read-only), offsets relative to {@link #DEVT}. */
    public static final class Devt {
        private Devt() {
        }

        public static final int SIZE = 16;
        public static final int CHAR_MAJOR = 0;
        public static final int CHAR_MINOR = 4;
        public static final int DISK_MAJOR = 8;
        public static final int DISK_MINOR = 12;
    }

    /** {@code struct ublk_param_zoned} (32 bytes), offsets relative to {@link #ZONED}. */
    public static final class Zoned {
        private Zoned() {
        }

        public static final int SIZE = 32;
        public static final int MAX_OPEN_ZONES = 0;
        public static final int MAX_ACTIVE_ZONES = 4;
        public static final int MAX_ZONE_APPEND_SECTORS = 8;
        public static final int RESERVED = 12; // __u8[20]
    }

    public int types;
    // basic
    public int attrs;
    public int logicalBsShift;
    public int physicalBsShift;
    public int ioOptShift;
    public int ioMinShift;
    public int maxSectors;
    public int chunkSectors;
    public long devSectors;
    public long virtBoundaryMask;
    // discard
    public int discardAlignment;
    public int discardGranularity;
    public int maxDiscardSectors;
    public int maxWriteZeroesSectors;
    public int maxDiscardSegments;
    // devt (read-only)
    public int charMajor;
    public int charMinor;
    public int diskMajor;
    public int diskMinor;

    /** Writes the struct at {@code addr} with {@code len = SIZE}. */
    public void encode(long addr) {
        UnsafeApi.setMemory(addr, SIZE, (byte) 0);
        UnsafeApi.putInt(addr + LEN, SIZE);
        UnsafeApi.putInt(addr + TYPES, types);
        long b = addr + BASIC;
        UnsafeApi.putInt(b + Basic.ATTRS, attrs);
        UnsafeApi.putByte(b + Basic.LOGICAL_BS_SHIFT, (byte) logicalBsShift);
        UnsafeApi.putByte(b + Basic.PHYSICAL_BS_SHIFT, (byte) physicalBsShift);
        UnsafeApi.putByte(b + Basic.IO_OPT_SHIFT, (byte) ioOptShift);
        UnsafeApi.putByte(b + Basic.IO_MIN_SHIFT, (byte) ioMinShift);
        UnsafeApi.putInt(b + Basic.MAX_SECTORS, maxSectors);
        UnsafeApi.putInt(b + Basic.CHUNK_SECTORS, chunkSectors);
        UnsafeApi.putLong(b + Basic.DEV_SECTORS, devSectors);
        UnsafeApi.putLong(b + Basic.VIRT_BOUNDARY_MASK, virtBoundaryMask);
        long d = addr + DISCARD;
        UnsafeApi.putInt(d + Discard.DISCARD_ALIGNMENT, discardAlignment);
        UnsafeApi.putInt(d + Discard.DISCARD_GRANULARITY, discardGranularity);
        UnsafeApi.putInt(d + Discard.MAX_DISCARD_SECTORS, maxDiscardSectors);
        UnsafeApi.putInt(d + Discard.MAX_WRITE_ZEROES_SECTORS, maxWriteZeroesSectors);
        UnsafeApi.putShort(d + Discard.MAX_DISCARD_SEGMENTS, (short) maxDiscardSegments);
    }

    /** Reads the struct at {@code addr}. */
    public static Params decode(long addr) {
        Params p = new Params();
        p.types = UnsafeApi.getInt(addr + TYPES);
        long b = addr + BASIC;
        p.attrs = UnsafeApi.getInt(b + Basic.ATTRS);
        p.logicalBsShift = UnsafeApi.getByte(b + Basic.LOGICAL_BS_SHIFT) & 0xff;
        p.physicalBsShift = UnsafeApi.getByte(b + Basic.PHYSICAL_BS_SHIFT) & 0xff;
        p.ioOptShift = UnsafeApi.getByte(b + Basic.IO_OPT_SHIFT) & 0xff;
        p.ioMinShift = UnsafeApi.getByte(b + Basic.IO_MIN_SHIFT) & 0xff;
        p.maxSectors = UnsafeApi.getInt(b + Basic.MAX_SECTORS);
        p.chunkSectors = UnsafeApi.getInt(b + Basic.CHUNK_SECTORS);
        p.devSectors = UnsafeApi.getLong(b + Basic.DEV_SECTORS);
        p.virtBoundaryMask = UnsafeApi.getLong(b + Basic.VIRT_BOUNDARY_MASK);
        long d = addr + DISCARD;
        p.discardAlignment = UnsafeApi.getInt(d + Discard.DISCARD_ALIGNMENT);
        p.discardGranularity = UnsafeApi.getInt(d + Discard.DISCARD_GRANULARITY);
        p.maxDiscardSectors = UnsafeApi.getInt(d + Discard.MAX_DISCARD_SECTORS);
        p.maxWriteZeroesSectors = UnsafeApi.getInt(d + Discard.MAX_WRITE_ZEROES_SECTORS);
        p.maxDiscardSegments = Short.toUnsignedInt(UnsafeApi.getShort(d + Discard.MAX_DISCARD_SEGMENTS));
        long v = addr + DEVT;
        p.charMajor = UnsafeApi.getInt(v + Devt.CHAR_MAJOR);
        p.charMinor = UnsafeApi.getInt(v + Devt.CHAR_MINOR);
        p.diskMajor = UnsafeApi.getInt(v + Devt.DISK_MAJOR);
        p.diskMinor = UnsafeApi.getInt(v + Devt.DISK_MINOR);
        return p;
    }
}
