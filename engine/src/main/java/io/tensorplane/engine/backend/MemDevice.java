package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
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
 * addresses, themselves installed with a CAS), so a 1 TiB device costs only what is written plus
 * 8 bytes per written 1 MiB. Reads of a chunk that was never written return zeros. Discard and
 * write-zeroes free whole chunks and zero partial ones. With a limit, a write that needs a chunk
 * beyond it completes with {@code -ENOSPC} (before any of its data is copied).
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
    private final long[][] leaves;
    private final AtomicLong allocated = new AtomicLong();
    /** Open channels, copy-on-write under {@code this}; read by reclaimers. */
    private volatile Channel[] channels = new Channel[0];
    private volatile boolean closed;

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
        long chunks = (size + CHUNK_MASK) >>> CHUNK_SHIFT;
        long leafCount = (chunks + LEAF_MASK) >>> LEAF_SHIFT;
        if (leafCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("size of '" + spec + "' is too large for a mem device");
        }
        this.leaves = new long[(int) leafCount][];
    }

    @Override public String spec() { return spec; }
    @Override public long sizeBytes() { return size; }
    @Override public int blockSize() { return blockSize; }
    @Override public boolean volatileWriteCache() { return false; }
    @Override public boolean discardZeroes() { return true; }

    /** Off-heap bytes currently allocated for data (a multiple of the chunk size, except a short last chunk). */
    public long allocatedBytes() {
        return allocated.get();
    }

    /** The memory cap, {@link Long#MAX_VALUE} if none. */
    public long limitBytes() {
        return limit;
    }

    @Override
    public IoChannel openChannel() {
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
        long fresh = UnsafeApi.allocateMemory(bytes);
        UnsafeApi.setMemory(fresh, bytes, (byte) 0);
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
                long base = chunkAddress(first);
                if (base == 0) {
                    UnsafeApi.setMemory(address, length, (byte) 0);
                } else {
                    UnsafeApi.copyMemory(base + (offset & CHUNK_MASK), address, length);
                }
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
                long base = chunkAddress(chunk);
                if (base == 0) {
                    UnsafeApi.setMemory(dst, n, (byte) 0);
                } else {
                    UnsafeApi.copyMemory(base + within, dst, n);
                }
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
                UnsafeApi.copyMemory(address, base + (offset & CHUNK_MASK), length);
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
                UnsafeApi.copyMemory(src, base + within, n);
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
                        UnsafeApi.setMemory(base + within, n, (byte) 0);
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
