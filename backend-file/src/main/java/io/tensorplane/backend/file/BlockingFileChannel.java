package io.tensorplane.backend.file;

import io.tensorplane.engine.Errno;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.uring.LibC;
import org.agrona.UnsafeApi;

/**
 * The fallback where io_uring is unavailable: every I/O is a blocking system call on the I/O thread
 * ({@code pread}, {@code pwrite}, {@code fdatasync}, {@code fallocate}, {@code ioctl}) and completes
 * inline. A queue served this way has one I/O in flight at a time, whatever its depth: correct, and as
 * slow as the device's latency makes it.
 */
final class BlockingFileChannel extends FileChannelBase {
    private static final int ZERO_CHUNK = 1 << 20;
    private final Bounce bounce;
    private final long range = UnsafeApi.allocateMemory(16);
    /** Zeros to write where the file system can neither zero a range nor punch a hole; made on first use. */
    private Bounce zeros;

    BlockingFileChannel(FileDevice device, FileTarget target) {
        super(device, target);
        this.bounce = new Bounce(target.memoryAlignment);
    }

    @Override
    public void read(long offset, int length, long address, IoCompletion done, long tag) {
        int r = reject(offset, length, false);
        if (r == 0) {
            long buf = misaligned(address) ? bounce.address(length) : address;
            r = transfer(false, offset, length, buf);
            if (r > 0 && buf != address) {
                UnsafeApi.copyMemory(buf, address, length);
            }
        }
        done.complete(tag, r);
    }

    @Override
    public void write(long offset, int length, long address, int flags, IoCompletion done, long tag) {
        int r = reject(offset, length, true);
        if (r == 0) {
            long buf = address;
            if (misaligned(address)) {
                buf = bounce.address(length);
                UnsafeApi.copyMemory(address, buf, length);
            }
            r = transfer(true, offset, length, buf);
            if (r > 0 && (flags & FLAG_FUA) != 0 && LibC.fdatasync(fd) < 0) {
                r = -LibC.errno();
            }
        }
        done.complete(tag, r);
    }

    /** Positional I/O until done; a read that meets the end of the file means the file shrank. */
    private int transfer(boolean write, long offset, int length, long address) {
        long doneBytes = 0;
        while (doneBytes < length) {
            long n = write
                    ? LibC.pwrite(fd, address + doneBytes, length - doneBytes, offset + doneBytes)
                    : LibC.pread(fd, address + doneBytes, length - doneBytes, offset + doneBytes);
            if (n < 0) {
                int e = LibC.errno();
                if (e == Errno.EINTR || e == Errno.EAGAIN) {
                    continue;
                }
                return -e;
            }
            if (n == 0) {
                return write ? -Errno.EIO : shrunk(offset + doneBytes);
            }
            doneBytes += n;
        }
        return length;
    }

    @Override
    public void flush(IoCompletion done, long tag) {
        done.complete(tag, LibC.fdatasync(fd) < 0 ? -LibC.errno() : 0);
    }

    @Override
    public void discard(long offset, long length, IoCompletion done, long tag) {
        int r = reject(offset, length, true);
        if (r == 0) {
            if (!device.capabilities().discard()) {
                r = -Errno.EOPNOTSUPP;
            } else if (target.blockDevice) {
                r = ioctlRange(LibC.BLKDISCARD, offset, length);
            } else {
                r = LibC.fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offset, length) < 0 ? -LibC.errno() : 0;
            }
        }
        done.complete(tag, r);
    }

    /** BLKDISCARD and BLKZEROOUT take {start, length} in bytes. */
    int ioctlRange(long request, long offset, long length) {
        UnsafeApi.putLong(range, offset);
        UnsafeApi.putLong(range + 8, length);
        return LibC.ioctl(fd, request, range) < 0 ? -LibC.errno() : 0;
    }

    @Override
    public void writeZeroes(long offset, long length, IoCompletion done, long tag) {
        int r = reject(offset, length, true);
        if (r == 0) {
            r = zero(offset, length);
        }
        done.complete(tag, r);
    }

    private int zero(long offset, long length) {
        if (!device.quirks.noZeroRange) {
            if (LibC.fallocate(fd, LibC.FALLOC_FL_ZERO_RANGE | LibC.FALLOC_FL_KEEP_SIZE, offset, length) == 0) {
                return 0;
            }
            int e = LibC.errno();
            if (e != Errno.EOPNOTSUPP || target.blockDevice) {
                return -e;
            }
            device.quirks.noZeroRange = true;
        }
        if (!device.quirks.noHolePunch) {
            // tmpfs and others: a hole reads as zeros, and allocating it again keeps the space reserved
            if (LibC.fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offset, length) == 0
                    && LibC.fallocate(fd, LibC.FALLOC_FL_KEEP_SIZE, offset, length) == 0) {
                return 0;
            }
            if (LibC.errno() != Errno.EOPNOTSUPP) {
                return -LibC.errno();
            }
            device.quirks.noHolePunch = true;
        }
        if (zeros == null) {
            zeros = new Bounce(target.memoryAlignment);
            UnsafeApi.setMemory(zeros.address(ZERO_CHUNK), ZERO_CHUNK, (byte) 0);
        }
        long zero = zeros.address(ZERO_CHUNK);
        for (long pos = offset, end = offset + length; pos < end; ) {
            int n = (int) Math.min(ZERO_CHUNK, end - pos);
            int w = transfer(true, pos, n, zero);
            if (w < 0) {
                return w;
            }
            pos += n;
        }
        return 0;
    }

    @Override public int poll() { return 0; }
    @Override public int inFlight() { return 0; }

    @Override
    public void close() {
        bounce.free();
        if (zeros != null) {
            zeros.free();
        }
        UnsafeApi.freeMemory(range);
    }
}
