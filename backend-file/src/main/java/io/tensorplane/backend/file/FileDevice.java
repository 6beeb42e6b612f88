package io.tensorplane.backend.file;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.uring.IoUringProbe;
import io.tensorplane.uring.SharedRing;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * {@code file:<path>}: a regular file or a block device, one descriptor for the device, shared by its
 * channels.
 *
 * <p>Each channel does its I/O on io_uring ({@link UringFileChannel}): on the ring its thread lends it
 * (a ublk queue's, see {@link SharedRing}), or on a ring of its own whose descriptor wakes the
 * thread's event loop. Where io_uring is unavailable (kernel, sysctl, seccomp) channels fall back to
 * blocking system calls on the I/O thread ({@link BlockingFileChannel}) and the log says so once.
 */
public final class FileDevice implements BlockDevice {
    private static final Logger LOG = Logger.getLogger(FileDevice.class.getName());
    private static final AtomicBoolean FALLBACK_SAID = new AtomicBoolean();

    /** How channels do their I/O. */
    public enum Io {
        /** io_uring where it is available, else blocking. */
        AUTO,
        /** io_uring; opening a channel fails where it is unavailable. */
        URING,
        /** Blocking system calls on the I/O thread (positional read and write). */
        BLOCKING
    }

    private final String spec;
    private final FileTarget target;
    private final int blockSize;
    private final Capabilities capabilities;
    private final Io io;
    /** Shared by the channels: once one learns the kernel cannot do something, the others need not try. */
    final Quirks quirks = new Quirks();

    FileDevice(String spec, FileTarget target, int blockSize, Io io) {
        this.spec = spec;
        this.target = target;
        this.blockSize = blockSize;
        this.io = io;
        this.capabilities = Capabilities.builder(blockSize)
                .physicalBlockSize(Math.max(target.physicalBlockSize, blockSize))
                .readOnly(target.readOnly)
                // the page cache, and a drive's cache behind it: FLUSH makes written data durable
                .volatileWriteCache(true)
                // a hole reads as zeros; a block device's discard promises nothing about the data
                .discard(target.discard, !target.blockDevice)
                .discardGranularity(Math.max(blockSize, target.discardGranularity))
                .maxDiscardBytes(Math.min(target.maxDiscardBytes, target.size))
                .maxWriteZeroesBytes(target.size)
                .optimalIoBytes(target.optimalIoBytes)
                .build();
    }

    @Override public String spec() { return spec; }
    @Override public long sizeBytes() { return target.size; }
    @Override public int blockSize() { return blockSize; }
    @Override public Capabilities capabilities() { return capabilities; }

    /** A regular file is extended (sparse); a block device must have grown already. Whole blocks only. */
    @Override
    public void grow(long newBytes) {
        if (newBytes % blockSize != 0) {
            throw new IllegalArgumentException("the new size " + newBytes + " is not a multiple of the block size " + blockSize);
        }
        target.grow(newBytes);
    }

    /** Whether the target was opened with {@code O_DIRECT}. */
    public boolean direct() {
        return target.direct;
    }

    /** Whether the target is a block device (else a regular file). */
    public boolean blockDevice() {
        return target.blockDevice;
    }

    /** Bytes the backing file occupies on disk (its allocated blocks), or -1; for tests and tools. */
    public long allocatedBytes() {
        return target.allocatedBytes();
    }

    /** How this device's channels do their I/O: {@code io_uring} or {@code blocking}. */
    public String ioMode() {
        return useUring() ? "io_uring" : "blocking";
    }

    /**
     * On a lent ring, channels read and write registered buffers by index: a ublk request's pages, zero copy. Their
     * memory is as aligned as the block layer makes a disk's requests (512 bytes by default), so a target that needs
     * more for {@code O_DIRECT} is not offered it (its channels bounce misaligned memory instead).
     */
    @Override
    public boolean offersRegisteredBufferIo() {
        return useUring() && target.memoryAlignment <= 512;
    }

    private boolean useUring() {
        return io == Io.URING || (io == Io.AUTO && IoUringProbe.isAvailable());
    }

    @Override
    public IoChannel openChannel(ChannelHost host) {
        if (useUring()) {
            if (io == Io.URING && !IoUringProbe.isAvailable()) {
                throw new IllegalStateException("io=uring in spec '" + spec + "', but " + IoUringProbe.unavailabilityCause());
            }
            SharedRing shared = host.facility(SharedRing.class);
            return shared != null ? UringFileChannel.onSharedRing(this, target, shared) : UringFileChannel.onOwnRing(this, target);
        }
        if (io == Io.AUTO && FALLBACK_SAID.compareAndSet(false, true)) {
            LOG.warning("file backend: " + IoUringProbe.unavailabilityCause()
                    + "; files and block devices are served with blocking system calls on the I/O threads instead");
        }
        return new BlockingFileChannel(this, target);
    }

    @Override
    public void close() {
        target.close();
    }

    /** What channels have learnt the kernel cannot do for this target (plain fields: a stale read only costs a retry). */
    static final class Quirks {
        /** {@code fallocate(ZERO_RANGE)} is refused (tmpfs): zero by punching a hole and allocating it again. */
        volatile boolean noZeroRange;
        /** Hole punching is refused as well (vfat): zero by writing zeros. */
        volatile boolean noHolePunch;
        /** The io_uring discard command of block devices is refused (Linux before 6.12): use the ioctl. */
        volatile boolean noUringDiscard;
    }
}
