package io.tensorplane.backend.file;

import io.tensorplane.engine.Bounds;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.IoChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import org.agrona.UnsafeApi;

/**
 * What the io_uring and the blocking channel of a {@link FileDevice} share: the checks every I/O
 * passes before it reaches the kernel, and the aligned bounce memory that O_DIRECT needs when the
 * caller's buffer is not aligned (a Netty buffer, say).
 */
abstract class FileChannelBase implements IoChannel {
    private static final Logger LOG = Logger.getLogger(FileDevice.class.getName());
    private static final AtomicBoolean SHRINK_SAID = new AtomicBoolean();

    final FileDevice device;
    final FileTarget target;
    final int fd;
    final int blockSize;
    private final long alignMask;

    FileChannelBase(FileDevice device, FileTarget target) {
        this.device = device;
        this.target = target;
        this.fd = target.fd;
        this.blockSize = device.blockSize();
        this.alignMask = target.memoryAlignment - 1L;
    }

    /**
     * The error an I/O gets before it is tried, or 0: out of range or misaligned ({@code -EINVAL}),
     * a write to a read-only target ({@code -EROFS}).
     */
    final int reject(long offset, long length, boolean writes) {
        // the target's size, not a copy: a live resize grows it (a volatile load, a plain one on x86)
        if (Bounds.invalid(offset, length, target.size, blockSize)) {
            return -Errno.EINVAL;
        }
        return writes && target.readOnly ? -Errno.EROFS : 0;
    }

    /** Whether O_DIRECT I/O from or to {@code address} needs a bounce buffer. */
    final boolean misaligned(long address) {
        return (address & alignMask) != 0;
    }

    /**
     * A read found the end of the file before the end of the device: someone shrank the backing file.
     * The read fails with EIO (zeros would be silent data loss); the log says why, once.
     */
    final int shrunk(long offset) {
        if (SHRINK_SAID.compareAndSet(false, true)) {
            LOG.warning("file backend: '" + target.path + "' is now " + target.currentSize() + " bytes, smaller than the "
                    + target.size + "-byte device it backs (it was shrunk while served): reads past its end fail with EIO");
        }
        return -Errno.EIO;
    }

    /** Aligned native memory that grows to the largest I/O it has served; freed by {@link #free()}. */
    static final class Bounce {
        private final int alignment;
        private long raw;
        private long aligned;
        private long capacity;

        Bounce(int alignment) {
            this.alignment = Math.max(alignment, 4096);
        }

        long address(long length) {
            if (length > capacity) {
                free();
                long cap = Math.max(length, 64 * 1024);
                raw = UnsafeApi.allocateMemory(cap + alignment);
                aligned = (raw + alignment - 1) & -(long) alignment;
                capacity = cap;
            }
            return aligned;
        }

        void free() {
            if (raw != 0) {
                UnsafeApi.freeMemory(raw);
                raw = 0;
                aligned = 0;
                capacity = 0;
            }
        }
    }
}
