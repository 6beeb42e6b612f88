package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code file:<path>[,direct][,create=<size>]}: a regular file or a block device.
 *
 * <p>Each channel opens its own {@link FileChannel} on the file, so that an interrupt of one I/O
 * thread (which closes an interruptible channel) cannot take the device away from the others, and
 * does positional I/O ({@code pread}/{@code pwrite}) through one reusable direct {@link ByteBuffer}
 * whose address is pointed at the caller's memory for each I/O: no allocation per I/O.
 *
 * <p>Flush is {@code fdatasync} ({@link FileChannel#force(boolean) force(false)}); a write with
 * {@link IoChannel#FLAG_FUA} is a write followed by {@code fdatasync}. With {@code direct} the file is
 * opened with {@code O_DIRECT}: offsets and lengths are aligned by the block size check ({@code bs} must
 * be at least the file system's block size), and a buffer whose address is not aligned (a Netty
 * buffer, say) goes through a per-channel aligned bounce buffer that grows to the largest such I/O.
 *
 * <p>Discard: pure Java cannot punch holes, so discard is accepted as a hint and does nothing, and
 * {@link #discardZeroes()} is false. Write-zeroes writes zeros.
 *
 * <p>Completion is inline: the I/O thread blocks in the system call (a page-cache hit takes a few
 * microseconds). This backend is for persistence and real drives, not for the lowest latency.
 */
public final class FileDevice implements BlockDevice {
    private static final long ADDRESS_OFFSET = BufferUtil.BYTE_BUFFER_ADDRESS_FIELD_OFFSET;
    private static final long CAPACITY_OFFSET = UnsafeApi.objectFieldOffset(Buffer.class, "capacity");
    private static final int ZERO_BYTES = 1 << 20;

    private final String spec;
    private final Path path;
    private final long size;
    private final int blockSize;
    private final boolean direct;
    private final int alignment;
    private final OpenOption[] options;
    /** Kept open for the device's lifetime, so that the file stays reachable and for size checks. */
    private final FileChannel anchor;

    private FileDevice(String spec, Path path, long size, int blockSize, boolean direct, int alignment,
                       OpenOption[] options, FileChannel anchor) {
        this.spec = spec;
        this.path = path;
        this.size = size;
        this.blockSize = blockSize;
        this.direct = direct;
        this.alignment = alignment;
        this.options = options;
        this.anchor = anchor;
    }

    /**
     * Opens a file device.
     *
     * @param createBytes if the file does not exist, create it (sparse) with this size; 0 to require it
     * @throws IllegalArgumentException with a clear message if the file cannot be used
     */
    public static FileDevice open(String spec, Path path, int blockSize, boolean direct, long createBytes) {
        boolean created = false;
        if (createBytes > 0 && !Files.exists(path)) {
            try {
                try (FileChannel c = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    c.write(ByteBuffer.allocate(1), createBytes - 1); // sparse: only the last block is allocated
                    created = true;
                }
            } catch (FileAlreadyExistsException e) {
                // created by someone else meanwhile: use it as it is
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot create '" + path + "' for spec '" + spec + "': " + reason(e));
            }
        }
        OpenOption[] options = direct
                ? new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT}
                : new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
        FileChannel anchor;
        try {
            anchor = FileChannel.open(path, options);
        } catch (IOException | UnsupportedOperationException e) {
            String why = reason(e);
            if (direct && e instanceof IOException && !(e instanceof NoSuchFileException) && !(e instanceof AccessDeniedException)) {
                why += " (the file system may not support O_DIRECT; drop ',direct')";
            }
            throw new IllegalArgumentException("cannot open '" + path + "' for spec '" + spec + "': " + why);
        }
        try {
            long size = anchor.size();
            if (size == 0 && !Files.isRegularFile(path)) {
                size = blockDeviceSize(path);
            }
            if (size == 0) {
                throw new IllegalArgumentException("'" + path + "' in spec '" + spec + "' has size 0");
            }
            if (size % blockSize != 0) {
                throw new IllegalArgumentException("size " + size + " of '" + path + "' in spec '" + spec
                        + "' is not a multiple of the block size " + blockSize);
            }
            int alignment = 1;
            if (direct) {
                try {
                    alignment = (int) Math.max(512, Math.min(4096, Files.getFileStore(path).getBlockSize()));
                } catch (IOException | UnsupportedOperationException e) {
                    alignment = 4096;
                }
                if (alignment > blockSize) {
                    throw new IllegalArgumentException("O_DIRECT on '" + path + "' needs I/O aligned to " + alignment
                            + " bytes; use bs=4096 in spec '" + spec + "'");
                }
            }
            return new FileDevice(spec, path, size, blockSize, direct, alignment, options, anchor);
        } catch (RuntimeException e) {
            closeQuietly(anchor);
            if (created) {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // best effort
                }
            }
            throw e;
        } catch (IOException e) {
            closeQuietly(anchor);
            throw new IllegalArgumentException("cannot read the size of '" + path + "' for spec '" + spec + "': " + reason(e));
        }
    }

    /** Size of a block device from sysfs (fstat reports 0 for block devices). */
    private static long blockDeviceSize(Path path) {
        try {
            long rdev = ((Number) Files.getAttribute(path, "unix:rdev")).longValue();
            long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
            long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
            String sectors = Files.readString(Path.of("/sys/dev/block/" + major + ":" + minor + "/size")).trim();
            return Long.parseLong(sectors) * 512;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static String reason(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }

    @Override public String spec() { return spec; }
    @Override public long sizeBytes() { return size; }
    @Override public int blockSize() { return blockSize; }
    /** Page cache (and the drive's cache): a flush makes written data durable. */
    @Override public boolean volatileWriteCache() { return true; }
    /** Discard does not punch holes (not available from pure Java), so it does not zero. */
    @Override public boolean discardZeroes() { return false; }

    /** Whether the file was opened with {@code O_DIRECT}. */
    public boolean direct() {
        return direct;
    }

    @Override
    public IoChannel openChannel() {
        try {
            return new Channel(FileChannel.open(path, options));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open '" + path + "' for a channel of '" + spec + "': " + reason(e), e);
        }
    }

    @Override
    public void close() {
        closeQuietly(anchor);
    }

    /** Makes a channel immune to thread interrupts if the JDK allows it (needs --add-exports java.base/sun.nio.ch). */
    private static void uninterruptible(FileChannel fc) {
        try {
            Method m = fc.getClass().getMethod("setUninterruptible");
            m.invoke(fc);
        } catch (ReflectiveOperationException | RuntimeException ignored) {
            // not accessible: the channel stays interruptible, which only matters to threads that get interrupted
        }
    }

    private final class Channel implements IoChannel {
        private final FileChannel fc;
        /** A direct buffer whose address is re-pointed at the caller's memory for each I/O. */
        private final ByteBuffer view;
        /** Zeros for write-zeroes, allocated on first use. */
        private ByteBuffer zeros;

        Channel(FileChannel fc) {
            this.fc = fc;
            uninterruptible(fc);
            this.view = ByteBuffer.allocateDirect(1).duplicate(); // a duplicate owns no memory and has no cleaner
            UnsafeApi.putInt(view, CAPACITY_OFFSET, Integer.MAX_VALUE);
            view.clear();
        }

        private ByteBuffer at(long address, int length) {
            UnsafeApi.putLong(view, ADDRESS_OFFSET, address);
            view.limit(length).position(0);
            return view;
        }

        private boolean misaligned(long address) {
            return direct && (address & (alignment - 1)) != 0;
        }

        /** An aligned buffer for O_DIRECT I/O from or to misaligned memory; grows only at a new maximum. */
        private ByteBuffer bounce;
        private long bounceAddress;

        private long bounce(int length) {
            if (bounce == null || bounce.capacity() < length) {
                int bytes = Math.max(length, 64 * 1024);
                bounce = ByteBuffer.allocateDirect(bytes + alignment).alignedSlice(alignment);
                bounceAddress = BufferUtil.address(bounce);
            }
            return bounceAddress;
        }

        @Override
        public void read(long offset, int length, long address, IoCompletion done, long tag) {
            if (Bounds.invalid(offset, length, size, blockSize)) {
                done.complete(tag, -Errno.EINVAL);
                return;
            }
            boolean viaBounce = misaligned(address);
            long target = viaBounce ? bounce(length) : address;
            int result = read(offset, length, target);
            if (viaBounce && result > 0) {
                UnsafeApi.copyMemory(target, address, length);
            }
            done.complete(tag, result);
        }

        private int read(long offset, int length, long address) {
            int result;
            try {
                ByteBuffer b = at(address, length);
                while (b.hasRemaining()) {
                    if (fc.read(b, offset + b.position()) < 0) {
                        // the file shrank under us: what is past the end reads as zeros
                        UnsafeApi.setMemory(address + b.position(), b.remaining(), (byte) 0);
                        break;
                    }
                }
                result = length;
            } catch (IOException e) {
                result = errno(e);
            }
            return result;
        }

        @Override
        public void write(long offset, int length, long address, int flags, IoCompletion done, long tag) {
            if (Bounds.invalid(offset, length, size, blockSize)) {
                done.complete(tag, -Errno.EINVAL);
                return;
            }
            if (misaligned(address)) {
                long aligned = bounce(length);
                UnsafeApi.copyMemory(address, aligned, length);
                address = aligned;
            }
            int result;
            try {
                ByteBuffer b = at(address, length);
                while (b.hasRemaining()) {
                    fc.write(b, offset + b.position());
                }
                if ((flags & FLAG_FUA) != 0) {
                    fc.force(false);
                }
                result = length;
            } catch (IOException e) {
                result = errno(e);
            }
            done.complete(tag, result);
        }

        @Override
        public void flush(IoCompletion done, long tag) {
            int result = 0;
            try {
                fc.force(false);
            } catch (IOException e) {
                result = errno(e);
            }
            done.complete(tag, result);
        }

        @Override
        public void discard(long offset, long length, IoCompletion done, long tag) {
            done.complete(tag, Bounds.invalid(offset, length, size, blockSize) ? -Errno.EINVAL : 0);
        }

        @Override
        public void writeZeroes(long offset, long length, IoCompletion done, long tag) {
            if (Bounds.invalid(offset, length, size, blockSize)) {
                done.complete(tag, -Errno.EINVAL);
                return;
            }
            if (zeros == null) {
                zeros = ByteBuffer.allocateDirect(ZERO_BYTES + 4096).alignedSlice(4096);
            }
            int result = 0;
            try {
                long pos = offset;
                long end = offset + length;
                while (pos < end) {
                    int n = (int) Math.min(ZERO_BYTES, end - pos);
                    zeros.limit(n).position(0);
                    while (zeros.hasRemaining()) {
                        pos += fc.write(zeros, pos);
                    }
                }
            } catch (IOException e) {
                result = errno(e);
            }
            done.complete(tag, result);
        }

        private int errno(IOException e) {
            String m = e.getMessage();
            if (m != null && m.contains("No space left")) {
                return -Errno.ENOSPC;
            }
            if (m != null && (m.contains("not a multiple") || m.contains("aligned"))) {
                return -Errno.EINVAL;
            }
            return -Errno.EIO;
        }

        @Override public int poll() { return 0; }
        @Override public int inFlight() { return 0; }

        @Override
        public void close() {
            closeQuietly(fc);
        }
    }
}
