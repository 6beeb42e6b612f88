package io.tensorplane.backend.file;

import io.tensorplane.engine.Errno;
import io.tensorplane.uring.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.agrona.UnsafeApi;

/**
 * An open regular file or block device and what it is: its size, its block sizes, whether it can
 * discard, whether it had to be opened read-only. All of it is read once, at open, from the kernel
 * ({@code statx}, the block-device ioctls, sysfs), never guessed.
 */
final class FileTarget {
    final Path path;
    final int fd;
    final boolean blockDevice;
    final boolean direct;
    final boolean readOnly;
    /** Volatile: a live resize ({@link #grow}) publishes the new size to the channels' threads. */
    volatile long size;
    /** The smallest I/O the target takes: a block device's logical block size, O_DIRECT's offset alignment. */
    final int minBlockSize;
    final int physicalBlockSize;
    /** Alignment of memory for O_DIRECT (1 without it). */
    final int memoryAlignment;
    final int optimalIoBytes;
    final boolean discard;
    final int discardGranularity;
    final long maxDiscardBytes;
    /** "major:minor" of a block device, for sysfs. */
    final String devNumber;

    private FileTarget(Path path, int fd, boolean blockDevice, boolean direct, boolean readOnly, long size, int minBlockSize,
                       int physicalBlockSize, int memoryAlignment, int optimalIoBytes, boolean discard, int discardGranularity,
                       long maxDiscardBytes, String devNumber) {
        this.path = path;
        this.fd = fd;
        this.blockDevice = blockDevice;
        this.direct = direct;
        this.readOnly = readOnly;
        this.size = size;
        this.minBlockSize = minBlockSize;
        this.physicalBlockSize = physicalBlockSize;
        this.memoryAlignment = memoryAlignment;
        this.optimalIoBytes = optimalIoBytes;
        this.discard = discard;
        this.discardGranularity = discardGranularity;
        this.maxDiscardBytes = maxDiscardBytes;
        this.devNumber = devNumber;
    }

    /**
     * Opens and describes the target. A file or device that refuses writing (a read-only file, a file
     * system mounted read-only, a write-protected device) is opened read-only.
     *
     * @throws IllegalArgumentException with the reason, naming {@code spec}
     */
    static FileTarget open(String spec, Path path, boolean direct) {
        String p = path.toString();
        int flags = LibC.O_CLOEXEC | (direct ? LibC.O_DIRECT : 0);
        boolean readOnly = false;
        int fd = LibC.open(p, LibC.O_RDWR | flags, 0);
        if (fd < 0) {
            int e = LibC.errno();
            if (e == Errno.EACCES || e == Errno.EROFS || e == Errno.EPERM) {
                fd = LibC.open(p, LibC.O_RDONLY | flags, 0);
                readOnly = fd >= 0;
            }
            if (fd < 0) {
                int e2 = LibC.errno();
                String why = LibC.strerror(e2);
                if (direct && e2 == Errno.EINVAL) {
                    why += " (the file system does not support O_DIRECT; drop ',direct')";
                }
                throw new IllegalArgumentException("cannot open '" + path + "' for spec '" + spec + "': " + why);
            }
        }
        long sx = UnsafeApi.allocateMemory(LibC.STATX_SIZE);
        try {
            UnsafeApi.setMemory(sx, LibC.STATX_SIZE, (byte) 0);
            if (LibC.statx(fd, "", LibC.AT_EMPTY_PATH, LibC.STATX_BASIC_STATS | LibC.STATX_DIOALIGN, sx) < 0) {
                throw new IllegalArgumentException("cannot stat '" + path + "' for spec '" + spec + "': " + LibC.strerror(LibC.errno()));
            }
            int mode = UnsafeApi.getShort(sx + LibC.STATX_MODE) & 0xffff;
            boolean blk = (mode & LibC.S_IFMT) == LibC.S_IFBLK;
            if (!blk && (mode & LibC.S_IFMT) != LibC.S_IFREG) {
                throw new IllegalArgumentException("'" + path + "' in spec '" + spec + "' is neither a regular file nor a block device");
            }
            FileTarget t = blk ? describeBlockDevice(spec, path, fd, direct, readOnly, sx) : describeFile(spec, path, fd, direct, readOnly, sx);
            fd = -1; // owned by t now
            return t;
        } finally {
            UnsafeApi.freeMemory(sx);
            if (fd >= 0) {
                LibC.close(fd);
            }
        }
    }

    private static FileTarget describeFile(String spec, Path path, int fd, boolean direct, boolean readOnly, long sx) {
        long size = UnsafeApi.getLong(sx + LibC.STATX_SIZE_BYTES);
        int blksize = UnsafeApi.getInt(sx + LibC.STATX_BLKSIZE);
        int min = 1;
        int memAlign = 1;
        if (direct) {
            boolean dio = (UnsafeApi.getInt(sx + LibC.STATX_MASK) & LibC.STATX_DIOALIGN) != 0;
            int offAlign = dio ? UnsafeApi.getInt(sx + LibC.STATX_DIO_OFFSET_ALIGN) : 0;
            int mAlign = dioMemAlign(sx);
            if (dio && offAlign == 0) {
                throw new IllegalArgumentException("the file system of '" + path + "' does not support O_DIRECT for spec '"
                        + spec + "'; drop ',direct'");
            }
            // Before Linux 6.1 statx cannot tell: the file system's block size is the safe assumption.
            min = offAlign > 0 ? offAlign : Math.max(512, Math.min(4096, blksize));
            memAlign = mAlign > 0 ? Math.max(mAlign, 512) : min;
        }
        // Punching a hole past the end of the file changes nothing, and tells whether the file system can.
        boolean discard = !readOnly && LibC.fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, Math.max(size, 0), 4096) == 0;
        return new FileTarget(path, fd, false, direct, readOnly, size, min, Math.max(512, Math.min(blksize, 65536)), memAlign,
                0, discard, Math.max(4096, Math.min(blksize, 1 << 20)), Long.MAX_VALUE, null);
    }

    private static FileTarget describeBlockDevice(String spec, Path path, int fd, boolean direct, boolean readOnly, long sx) {
        long arg = UnsafeApi.allocateMemory(8);
        try {
            UnsafeApi.putLong(arg, 0);
            if (LibC.ioctl(fd, LibC.BLKGETSIZE64, arg) < 0) {
                throw new IllegalArgumentException("cannot read the size of block device '" + path + "' for spec '" + spec + "': "
                        + LibC.strerror(LibC.errno()));
            }
            long size = UnsafeApi.getLong(arg);
            int logical = intIoctl(fd, LibC.BLKSSZGET, arg, 512);
            int physical = intIoctl(fd, LibC.BLKPBSZGET, arg, logical);
            int opt = intIoctl(fd, LibC.BLKIOOPT, arg, 0);
            boolean ro = readOnly || intIoctl(fd, LibC.BLKROGET, arg, 0) != 0;
            String dev = (UnsafeApi.getInt(sx + LibC.STATX_RDEV_MAJOR)) + ":" + UnsafeApi.getInt(sx + LibC.STATX_RDEV_MINOR);
            long maxDiscard = sysfsLong(dev, "queue/discard_max_bytes");
            long granularity = sysfsLong(dev, "queue/discard_granularity");
            boolean discard = !ro && maxDiscard > 0;
            // O_DIRECT on a block device needs its memory aligned to the queue's DMA alignment only (Linux 6.0+), which
            // statx tells from 6.1 on (512 for null_blk, 4 for NVMe): a 4 KiB-sector drive then takes a ublk request's
            // 512-byte-aligned pages as they are (zero copy). Before that, the logical block size is the safe assumption.
            int dioMem = dioMemAlign(sx);
            int memAlign = !direct ? 1 : dioMem > 0 ? Math.min(logical, Math.max(dioMem, 512)) : logical;
            return new FileTarget(path, fd, true, direct, ro, size, logical, physical, memAlign, opt,
                    discard, (int) Math.max(logical, Math.min(granularity, 1 << 30)), discard ? maxDiscard : 0, dev);
        } finally {
            UnsafeApi.freeMemory(arg);
        }
    }

    /** O_DIRECT's memory alignment as statx reported it (STATX_DIOALIGN, Linux 6.1+), or 0 if it could not tell. */
    private static int dioMemAlign(long sx) {
        boolean dio = (UnsafeApi.getInt(sx + LibC.STATX_MASK) & LibC.STATX_DIOALIGN) != 0;
        return dio ? UnsafeApi.getInt(sx + LibC.STATX_DIO_MEM_ALIGN) : 0;
    }

    private static int intIoctl(int fd, long request, long arg, int fallback) {
        UnsafeApi.putLong(arg, 0);
        return LibC.ioctl(fd, request, arg) < 0 ? fallback : UnsafeApi.getInt(arg);
    }

    private static long sysfsLong(String dev, String attribute) {
        try {
            return Long.parseLong(Files.readString(Path.of("/sys/dev/block/" + dev + "/" + attribute)).trim());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * Grows the target to {@code newBytes}: a regular file is extended (sparse), a block device must already be that
     * large (grown underneath, e.g. a logical volume); then channels take I/O up to the new end.
     */
    synchronized void grow(long newBytes) {
        if (newBytes < size) {
            throw new IllegalArgumentException("'" + path + "' is " + size + " bytes; a live device only grows (asked for " + newBytes + ")");
        }
        if (readOnly) {
            throw new IllegalArgumentException("'" + path + "' is read-only and cannot grow");
        }
        if (blockDevice) {
            long now = blockDeviceSize();
            if (now < newBytes) {
                throw new IllegalArgumentException("block device '" + path + "' has " + now + " bytes, fewer than the " + newBytes
                        + " asked for; grow it first");
            }
        } else if (currentSize() < newBytes && LibC.ftruncate(fd, newBytes) < 0) {
            throw new IllegalArgumentException("cannot extend '" + path + "' to " + newBytes + " bytes: " + LibC.strerror(LibC.errno()));
        }
        size = newBytes;
    }

    private long blockDeviceSize() {
        long arg = UnsafeApi.allocateMemory(8);
        try {
            UnsafeApi.putLong(arg, 0);
            return LibC.ioctl(fd, LibC.BLKGETSIZE64, arg) < 0 ? -1 : UnsafeApi.getLong(arg);
        } finally {
            UnsafeApi.freeMemory(arg);
        }
    }

    /** The file's size now (it may have shrunk since open), or -1. */
    long currentSize() {
        if (blockDevice) {
            return size;
        }
        long sx = UnsafeApi.allocateMemory(LibC.STATX_SIZE);
        try {
            return LibC.statx(fd, "", LibC.AT_EMPTY_PATH, LibC.STATX_BASIC_STATS, sx) < 0 ? -1 : UnsafeApi.getLong(sx + LibC.STATX_SIZE_BYTES);
        } finally {
            UnsafeApi.freeMemory(sx);
        }
    }

    /** 512-byte blocks the file occupies on disk (what {@code du} counts), or -1. */
    long allocatedBytes() {
        long sx = UnsafeApi.allocateMemory(LibC.STATX_SIZE);
        try {
            return LibC.statx(fd, "", LibC.AT_EMPTY_PATH, LibC.STATX_BASIC_STATS, sx) < 0 ? -1 : UnsafeApi.getLong(sx + LibC.STATX_BLOCKS) * 512;
        } finally {
            UnsafeApi.freeMemory(sx);
        }
    }

    void close() {
        LibC.close(fd);
    }
}
