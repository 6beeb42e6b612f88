package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Bounds;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import org.agrona.UnsafeApi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code mem:<size>[,limit=<size>]}: sparse off-heap memory.
 *
 * <p>The device is cut into chunks of {@link #CHUNK_BYTES} that are allocated off-heap on their first
 * write and installed with a CAS into a two-level table (leaves of {@link #LEAF_CHUNKS} chunk
 * addresses, themselves installed with a CAS), so a 1 TiB device costs only what is written. A chunk
 * carries a bitmap of written blocks in front of its data, so its memory needs no zeroing when
 * allocated (the kernel faults in only the pages that are written) and reads of unwritten blocks
 * return zeros. Discard and write-zeroes free whole chunks and clear the bits of partial ones. With
 * a limit (or when malloc fails), a write that needs a new chunk completes with {@code -ENOSPC}
 * before any of its data is copied.
 *
 * <p><b>Concurrency.</b> The I/O path takes no lock and allocates nothing in steady state. Freeing
 * a chunk while another thread copies from it must not crash the JVM (1 MiB allocations are mmapped
 * and unmapped by malloc), so chunks are reclaimed with a grace period: each channel publishes an
 * operation sequence that is odd while it is inside an operation ({@code enter}: a volatile store,
 * ordered before the volatile chunk-table loads that follow; {@code exit}: a release store). A
 * discarding channel first unlinks the chunks with a CAS, leaves its own operation, then waits until
 * every other channel that was inside an operation has left it, and only then frees the memory.
 * The wait is bounded by one in-progress copy of another channel.
 */
public final class MemDevice implements BlockDevice {
    /** Chunk size: the unit of allocation and of freeing. */
    public static final int CHUNK_SHIFT = 20;
    public static final long CHUNK_BYTES = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_BYTES - 1;
    /** Chunks per leaf of the chunk table (a leaf covers 4 GiB). */
    public static final int LEAF_SHIFT = 12;
    public static final int LEAF_CHUNKS = 1 << LEAF_SHIFT;
    private static final int LEAF_MASK = LEAF_CHUNKS - 1;
    /** Chunks unlinked by one channel before it waits for the grace period and frees them. */
    private static final int RETIRE_BATCH = 64;

    private static final VarHandle LEAF = MethodHandles.arrayElementVarHandle(long[][].class);
    private static final VarHandle ADDRESS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle SEQ;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            SEQ = lookup.findVarHandle(SeqField.class, "seq", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String spec;
    private final long size;
    private final int blockSize;
    private final long limit;
    /** log2 of the block size: the granule of the written-block bitmap. */
    private final int blockShift;
    /** Bytes of the bitmap header in front of each chunk's data (a multiple of 64). */
    private final long header;
    private final long[][] leaves;
    private final AtomicLong allocated = new AtomicLong();
    /** Open channels, copy-on-write under {@code this}; read by reclaimers. */
    private volatile Channel[] channels = new Channel[0];
    private volatile boolean closed;
    private final Capabilities capabilities;

    /**
     * @param limit memory cap in bytes ({@link Long#MAX_VALUE} for none)
     */
    public MemDevice(String spec, long size, int blockSize, long limit) {
        if (size <= 0 || size % blockSize != 0) {
            throw new IllegalArgumentException("size " + size + " of '" + spec + "' is not a positive multiple of the block size " + blockSize);
        }
        if (limit <= 0) {
            throw new IllegalArgumentException("limit of '" + spec + "' must be positive");
        }
        this.spec = spec;
        this.size = size;
        this.blockSize = blockSize;
        this.limit = limit;
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.header = (((CHUNK_BYTES >>> blockShift) / 8) + 63) & ~63L;
        long chunks = (size + CHUNK_MASK) >>> CHUNK_SHIFT;
        long leafCount = (chunks + LEAF_MASK) >>> LEAF_SHIFT;
        if (leafCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("size of '" + spec + "' is too large for a mem device");
        }
        this.leaves = new long[(int) leafCount][];
        this.capabilities = Capabilities.builder(blockSize).maxDiscardBytes(size).maxWriteZeroesBytes(size).build();
    }

    @Override public String spec() { return spec; }
    @Override public long sizeBytes() { return size; }
    @Override public int blockSize() { return blockSize; }
    /** RAM: no write cache to flush; discard frees whole chunks and zeroes the blocks of partial ones. */
    @Override public Capabilities capabilities() { return capabilities; }

    /** Off-heap bytes currently allocated for data (a multiple of the chunk size, except a short last chunk). */
    public long allocatedBytes() {
        return allocated.get();
    }

    /** The memory cap, {@link Long#MAX_VALUE} if none. */
    public long limitBytes() {
        return limit;
    }

    @Override
    public IoChannel openChannel(ChannelHost host) {
        if (closed) {
            throw new IllegalStateException("device '" + spec + "' is closed");
        }
        Channel c = new Channel();
        synchronized (this) {
            Channel[] old = channels;
            Channel[] now = Arrays.copyOf(old, old.length + 1);
            now[old.length] = c;
            channels = now;
        }
        return c;
    }

    private synchronized void remove(Channel c) {
        Channel[] old = channels;
        Channel[] now = new Channel[old.length];
        int n = 0;
        for (Channel o : old) {
            if (o != c) {
                now[n++] = o;
            }
        }
        channels = Arrays.copyOf(now, n);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (long[] leaf : leaves) {
            if (leaf == null) {
                continue;
            }
            for (int i = 0; i < leaf.length; i++) {
                long a = (long) ADDRESS.getAndSet(leaf, i, 0L);
                if (a != 0) {
                    UnsafeApi.freeMemory(a);
                }
            }
        }
        allocated.set(0);
    }

    private long chunkBytes(long chunk) {
        return Math.min(CHUNK_BYTES, size - (chunk << CHUNK_SHIFT));
    }

    /**
     * The address of a chunk or 0 if it holds only zeros. Volatile loads: they pair with the CAS that
     * installed or unlinked the chunk, and together with the volatile store of {@code enter} they make
     * the reclamation protocol sequentially consistent (on x86 and Arm these are plain and
     * load-acquire instructions respectively).
     */
    private long chunkAddress(long chunk) {
        long[] leaf = (long[]) LEAF.getVolatile(leaves, (int) (chunk >>> LEAF_SHIFT));
        return leaf == null ? 0 : (long) ADDRESS.getVolatile(leaf, (int) chunk & LEAF_MASK);
    }

    private long[] leafFor(long chunk) {
        int index = (int) (chunk >>> LEAF_SHIFT);
        long[] leaf = (long[]) LEAF.getAcquire(leaves, index);
        if (leaf == null) {
            long[] fresh = new long[LEAF_CHUNKS]; // once per 4 GiB of device, never in steady state
            leaf = (long[]) LEAF.compareAndExchange(leaves, index, (long[]) null, fresh);
            if (leaf == null) {
                leaf = fresh;
            }
        }
        return leaf;
    }

    /** The address of a chunk, allocating and installing it if needed; 0 if the limit forbids it. */
    private long ensureChunk(long chunk) {
        long a = chunkAddress(chunk);
        if (a != 0) {
            return a;
        }
        long bytes = chunkBytes(chunk);
        if (allocated.addAndGet(bytes) > limit) {
            allocated.addAndGet(-bytes);
            return 0;
        }
        long fresh;
        try {
            fresh = UnsafeApi.allocateMemory(header + bytes);
        } catch (OutOfMemoryError e) {
            // malloc failed: the device is full as far as this process can tell, the JVM lives on
            allocated.addAndGet(-bytes);
            return 0;
        }
        UnsafeApi.setMemory(fresh, header, (byte) 0); // the data is not touched: no page is faulted in here
        long[] leaf = leafFor(chunk);
        long won = (long) ADDRESS.compareAndExchange(leaf, (int) chunk & LEAF_MASK, 0L, fresh);
        if (won != 0) {
            // Another writer installed this chunk first: ours was never visible, free it at once.
            UnsafeApi.freeMemory(fresh);
            allocated.addAndGet(-bytes);
            return won;
        }
        return fresh;
    }

    // ---- Per-chunk data and the written-block bitmap -------------------------------------------
    // A chunk is [header: one bit per block, 1 = written][data]. Memory is not zeroed when allocated
    // (that would fault in all 256 pages of a chunk on the first 4 KiB write); instead a block reads
    // as zeros until its bit is set, and discarding part of a chunk clears bits. Bits are set after
    // the data is copied (CAS: a full fence) and read with volatile loads before data is copied out.

    /** Mask of {@code count} bits starting at {@code bit} (count in 1..64, bit + count <= 64). */
    private static long mask(int bit, long count) {
        return (count == 64 ? -1L : (1L << count) - 1) << bit;
    }

    /** Whether every block in [first, end) of the chunk at base is written. */
    private static boolean allWritten(long base, long first, long end) {
        for (long b = first; b < end; ) {
            int bit = (int) (b & 63);
            long count = Math.min(64 - bit, end - b);
            long m = mask(bit, count);
            if ((UnsafeApi.getLongVolatile(null, base + ((b >>> 6) << 3)) & m) != m) {
                return false;
            }
            b += count;
        }
        return true;
    }

    private static boolean written(long base, long block) {
        return (UnsafeApi.getLongVolatile(null, base + ((block >>> 6) << 3)) & (1L << (block & 63))) != 0;
    }

    /** Sets (or clears) the bits of blocks [first, end); words already in that state cost one load. */
    private static void mark(long base, long first, long end, boolean set) {
        for (long b = first; b < end; ) {
            int bit = (int) (b & 63);
            long count = Math.min(64 - bit, end - b);
            long m = mask(bit, count);
            long address = base + ((b >>> 6) << 3);
            while (true) {
                long word = UnsafeApi.getLongVolatile(null, address);
                long next = set ? word | m : word & ~m;
                if (next == word || UnsafeApi.compareAndSetLong(null, address, word, next)) {
                    break;
                }
            }
            b += count;
        }
    }

    /** Copies {@code n} bytes at {@code within} of a chunk (0: never written) to {@code dst}. */
    private void readChunk(long base, long within, long n, long dst) {
        if (base == 0) {
            UnsafeApi.setMemory(dst, n, (byte) 0);
            return;
        }
        long first = within >>> blockShift;
        long end = (within + n) >>> blockShift;
        if (allWritten(base, first, end)) {
            UnsafeApi.copyMemory(base + header + within, dst, n);
            return;
        }
        long runStart = first;
        boolean runWritten = written(base, first);
        for (long b = first + 1; b <= end; b++) {
            boolean w = b < end && written(base, b);
            if (b == end || w != runWritten) {
                long from = runStart << blockShift;
                long len = (b - runStart) << blockShift;
                if (runWritten) {
                    UnsafeApi.copyMemory(base + header + from, dst + (from - within), len);
                } else {
                    UnsafeApi.setMemory(dst + (from - within), len, (byte) 0);
                }
                runStart = b;
                runWritten = w;
            }
        }
    }

    /** Copies {@code n} bytes from {@code src} into a chunk at {@code within} and marks the blocks written. */
    private void writeChunk(long base, long within, long n, long src) {
        UnsafeApi.copyMemory(src, base + header + within, n);
        mark(base, within >>> blockShift, (within + n) >>> blockShift, true);
    }

    /** Makes {@code n} bytes of a chunk at {@code within} read as zeros. */
    private void zeroChunk(long base, long within, long n) {
        mark(base, within >>> blockShift, (within + n) >>> blockShift, false);
    }

    /** Padding before the sequence, so that it shares no cache line with other objects' fields. */
    abstract static class SeqPadBefore {
        long p01, p02, p03, p04, p05, p06, p07, p08;
    }

    /** The channel's operation sequence: odd while inside an operation. Written only by its owner. */
    abstract static class SeqField extends SeqPadBefore {
        long seq;
    }

    /** Padding after the sequence. */
    abstract static class SeqPadAfter extends SeqField {
        long p11, p12, p13, p14, p15, p16, p17, p18;
    }

    private final class Channel extends SeqPadAfter implements IoChannel {
        /** Chunks unlinked by this channel and waiting for the grace period. */
        private final long[] retired = new long[RETIRE_BATCH];
        private final long[] retiredBytes = new long[RETIRE_BATCH];
        private int retiredCount;
        /** Snapshot of other channels' sequences taken by {@link #awaitGrace()}. */
        private long[] seen = new long[4];
        private boolean closedChannel;

        /** Enters an operation: a volatile store, so later loads of chunk addresses cannot move before it. */
        private void enter() {
            SEQ.setVolatile(this, seq + 1);
        }

        /** Leaves an operation: a release store, so the copies before it are done when others see it. */
        private void exit() {
            SEQ.setRelease(this, seq + 1);
        }

        @Override
        public void read(long offset, int length, long address, IoCompletion done, long tag) {
            if (Bounds.invalid(offset, length, size, blockSize)) {
                done.complete(tag, -Errno.EINVAL);
                return;
            }
            enter();
            long first = offset >>> CHUNK_SHIFT;
            if (length > 0 && first == (offset + length - 1) >>> CHUNK_SHIFT) {
                readChunk(chunkAddress(first), offset & CHUNK_MASK, length, address);
                exit();
                done.complete(tag, length);
                return;
            }
            long pos = offset;
            long dst = address;
            long remaining = length;
            while (remaining > 0) {
                long chunk = pos >>> CHUNK_SHIFT;
                long within = pos & CHUNK_MASK;
                long n = Math.min(remaining, CHUNK_BYTES - within);
                readChunk(chunkAddress(chunk), within, n, dst);
                pos += n;
                dst += n;
                remaining -= n;
            }
            exit();
            done.complete(tag, length);
        }

        @Override
        public void write(long offset, int length, long address, int flags, IoCompletion done, long tag) {
            if (Bounds.invalid(offset, length, size, blockSize)) {
                done.complete(tag, -Errno.EINVAL);
                return;
            }
            enter();
            long first = offset >>> CHUNK_SHIFT;
            if (length > 0 && first == (offset + length - 1) >>> CHUNK_SHIFT) {
                // Fast path: the I/O lies in one chunk (all I/O up to 1 MiB that does not cross a boundary).
                long base = chunkAddress(first);
                if (base == 0 && (base = ensureChunk(first)) == 0) {
                    exit();
                    done.complete(tag, -Errno.ENOSPC);
                    return;
                }
                writeChunk(base, offset & CHUNK_MASK, length, address);
                exit();
                done.complete(tag, length);
                return;
            }
            if (length > 0) {
                // First make sure every chunk exists, so that -ENOSPC leaves the device's data untouched.
                long last = (offset + length - 1) >>> CHUNK_SHIFT;
                for (long chunk = offset >>> CHUNK_SHIFT; chunk <= last; chunk++) {
                    if (ensureChunk(chunk) == 0) {
                        exit();
                        done.complete(tag, -Errno.ENOSPC);
                        return;
                    }
                }
            }
            long pos = offset;
            long src = address;
            long remaining = length;
            while (remaining > 0) {
                long chunk = pos >>> CHUNK_SHIFT;
                long within = pos & CHUNK_MASK;
                long n = Math.min(remaining, CHUNK_BYTES - within);
                long base = chunkAddress(chunk);
                if (base == 0) {
                    // A concurrent discard freed the chunk between the two passes; its data is gone anyway.
                    base = ensureChunk(chunk);
                    if (base == 0) {
                        exit();
                        done.complete(tag, -Errno.ENOSPC);
                        return;
                    }
                }
                writeChunk(base, within, n, src);
                pos += n;
                src += n;
                remaining -= n;
            }
            exit();
            done.complete(tag, length);
        }

        @Override
        public void flush(IoCompletion done, long tag) {
            done.complete(tag, 0); // memory has no volatile cache to flush
        }

        @Override
        public void discard(long offset, long length, IoCompletion done, long tag) {
            done.complete(tag, zero(offset, length));
        }

        @Override
        public void writeZeroes(long offset, long length, IoCompletion done, long tag) {
            done.complete(tag, zero(offset, length));
        }

        /** Frees the whole chunks of a range and zeroes the partial ones. */
        private int zero(long offset, long length) {
            if (Bounds.invalid(offset, length, size, blockSize)) {
                return -Errno.EINVAL;
            }
            enter();
            long pos = offset;
            long remaining = length;
            while (remaining > 0) {
                long chunk = pos >>> CHUNK_SHIFT;
                if (LEAF.getAcquire(leaves, (int) (chunk >>> LEAF_SHIFT)) == null) {
                    // Nothing was ever written in this leaf's 4 GiB: skip it (mkfs discards whole devices).
                    long leafEnd = ((chunk >>> LEAF_SHIFT) + 1) << (LEAF_SHIFT + CHUNK_SHIFT);
                    long n = Math.min(remaining, leafEnd - pos);
                    pos += n;
                    remaining -= n;
                    continue;
                }
                long within = pos & CHUNK_MASK;
                long bytes = chunkBytes(chunk);
                long n = Math.min(remaining, bytes - within);
                long base = chunkAddress(chunk);
                if (base != 0) {
                    if (n == bytes) {
                        long[] leaf = (long[]) LEAF.getAcquire(leaves, (int) (chunk >>> LEAF_SHIFT));
                        if (ADDRESS.compareAndSet(leaf, (int) chunk & LEAF_MASK, base, 0L)) {
                            retired[retiredCount] = base;
                            retiredBytes[retiredCount] = bytes;
                            if (++retiredCount == RETIRE_BATCH) {
                                exit();
                                reclaim();
                                enter();
                            }
                        }
                    } else {
                        zeroChunk(base, within, n);
                    }
                }
                pos += n;
                remaining -= n;
            }
            exit();
            if (retiredCount > 0) {
                reclaim();
            }
            return 0;
        }

        /** Waits for the grace period of the retired chunks, then frees them. Called outside an operation. */
        private void reclaim() {
            awaitGrace();
            long freed = 0;
            for (int i = 0; i < retiredCount; i++) {
                UnsafeApi.freeMemory(retired[i]);
                freed += retiredBytes[i];
                retired[i] = 0;
            }
            retiredCount = 0;
            allocated.addAndGet(-freed);
        }

        /** Returns once every other channel that was inside an operation has left it. */
        private void awaitGrace() {
            Channel[] all = channels;
            if (seen.length < all.length) {
                seen = new long[all.length * 2]; // grows with the number of channels, not per I/O
            }
            for (int i = 0; i < all.length; i++) {
                seen[i] = all[i] == this ? 0 : (long) SEQ.getVolatile(all[i]);
            }
            for (int i = 0; i < all.length; i++) {
                long s = seen[i];
                if ((s & 1) == 0) {
                    continue;
                }
                int spins = 0;
                while ((long) SEQ.getVolatile(all[i]) == s) {
                    if (++spins < 1000) {
                        Thread.onSpinWait();
                    } else {
                        Thread.yield();
                    }
                }
            }
        }

        @Override public int poll() { return 0; }
        @Override public int inFlight() { return 0; }

        @Override
        public void close() {
            if (closedChannel) {
                return;
            }
            closedChannel = true;
            if (retiredCount > 0) {
                reclaim();
            }
            remove(this);
        }
    }
}
