package io.tensorplane.engine.trace;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.CompletionSlots;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.engine.IoOp;
import io.tensorplane.engine.emulation.EmulatedLatency;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Records every I/O of any device into a trace directory ({@code trace=DIR} in a spec): per I/O its
 * submission time, completion latency, operation, offset, length, flags, result, the latency an
 * emulation model below drew, and (with {@code trace-data=checksum|full}) a 64-bit checksum of the data
 * and the written data itself. Each channel's records carry the front door's name for it (the opening
 * thread's name, e.g. {@code ublk0-q1}).
 *
 * <p>The I/O thread only appends, to a ring of its own: a lock-free single-producer single-consumer
 * ring (Agrona's {@link OneToOneRingBuffer}, off-heap, 4 MiB, 16 MiB with data, sized when the channel opens) that a writer
 * thread ({@link TraceWriter}) drains into the Chronicle Queue. Chronicle's appender itself is not fit
 * for the I/O thread: it takes the queue's write lock for every excerpt, and each time the queue grows
 * past a mapped chunk it maps the next one (a system call, and page faults that can wait for the disk
 * when dirty pages are throttled), so a slow disk would slow the I/O. A full ring (a writer that cannot
 * keep up) or a full disk drops records and counts them; the I/O never waits. Each time its records
 * cross an eighth of the ring, the I/O thread looks at its fill: a quarter full wakes a sleeping writer, and
 * half full moves a writer in {@code SCHED_IDLE} ({@link TraceWriter}) back to the ordinary class (one
 * system call each, at most once per sleep or per starvation). With
 * {@code trace-data=full}, a write larger than 2 MiB (the largest ring message) is recorded without its data.
 *
 * <p>In steady state nothing here allocates: in-flight I/O lives in pre-allocated slot arrays that only
 * grow at a new high-water mark, and completions of all three kinds (inline, from {@code poll()},
 * through a lent ring) arrive at the same {@link IoCompletion}.
 */
public final class TraceDevice implements BlockDevice {
    private static final VarHandle DROPPED;

    static {
        try {
            DROPPED = MethodHandles.lookup().findVarHandle(Channel.class, "dropped", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Message type of a record in a channel's ring. */
    static final int MSG_IO = 1;
    private static final int INITIAL_SLOTS = 256;
    /** 58 000 records of 72 bytes (64 and the ring's header); the writer is woken when one is a quarter full. */
    private static final int RING_BYTES = 4 << 20;
    /** With write data recorded: room for a burst of 512 KiB writes, and messages up to 2 MiB. */
    private static final int DATA_RING_BYTES = 16 << 20;

    private final BlockDevice inner;
    private final Path dir;
    private final int dataMode;
    private final TraceWriter writer;
    private int channelsOpened;

    /**
     * Starts a trace of {@code inner} in {@code dir}.
     *
     * @param dataMode {@link TraceFormat#DATA_NONE}, {@link TraceFormat#DATA_CHECKSUM} or {@link TraceFormat#DATA_FULL}
     * @throws IllegalArgumentException if the directory cannot hold a trace
     */
    TraceDevice(BlockDevice inner, Path dir, int dataMode) {
        this.inner = inner;
        this.dir = dir;
        this.dataMode = dataMode;
        this.writer = TraceWriter.start(dir, inner.spec(), inner.sizeBytes(), inner.blockSize(), dataMode);
    }

    /** Where the trace is written. */
    public Path dir() { return dir; }
    public BlockDevice inner() { return inner; }
    TraceWriter writer() { return writer; }
    /** Records written to the trace so far. */
    public long recorded() { return writer.recorded(); }
    /** Records dropped so far (ring full, disk full or the trace failed). */
    public long dropped() { return writer.dropped(); }

    @Override public String spec() { return inner.spec(); }
    @Override public long sizeBytes() { return inner.sizeBytes(); }
    @Override public int blockSize() { return inner.blockSize(); }
    @Override public Capabilities capabilities() { return inner.capabilities(); }

    /** Drains what the channels recorded, ends the trace, then closes the device. Channels must be closed first. */
    @Override
    public void close() {
        try {
            writer.close();
        } finally {
            inner.close();
        }
    }

    @Override
    public IoChannel openChannel(ChannelHost host) {
        int id;
        synchronized (this) {
            id = channelsOpened++;
        }
        Channel c = new Channel(id, Thread.currentThread().getName(), inner.openChannel(host));
        writer.add(c);
        return c;
    }

    @Override
    public String toString() {
        return "trace(" + inner + " -> " + dir + ")";
    }

    /** One I/O thread's channel: slot bookkeeping, then one record per completion into its ring. */
    final class Channel implements IoChannel, IoCompletion {
        final int id;
        final String origin;
        final long opened = writer.now();
        final RingBuffer ring;
        private final UnsafeBuffer buf;
        private final IoChannel inner;
        private final EmulatedLatency emulated;
        private final Checksum checksum = new Checksum();
        private final boolean checksums = dataMode != TraceFormat.DATA_NONE;
        private final boolean payloads = dataMode == TraceFormat.DATA_FULL;
        private final long base = writer.base();
        private final int maxPayload;
        /** log2 of an eighth of the ring: the I/O thread checks on the writer each time its records cross one. */
        private final int eighthShift;
        private int eighth;
        /** Records this thread could not append (ring full); written opaque, read by the writer. */
        @SuppressWarnings("unused") // through DROPPED
        private long dropped;
        private long droppedPlain;
        private volatile boolean closed;
        private long nextSeq;

        private final CompletionSlots slots = new CompletionSlots(INITIAL_SLOTS);
        private long[] seqs = new long[INITIAL_SLOTS];
        private long[] submitted = new long[INITIAL_SLOTS];
        private long[] offsets = new long[INITIAL_SLOTS];
        private long[] lengths = new long[INITIAL_SLOTS];
        private long[] addresses = new long[INITIAL_SLOTS];
        private long[] drawn = new long[INITIAL_SLOTS];
        private int[] opFlags = new int[INITIAL_SLOTS];

        Channel(int id, String origin, IoChannel inner) {
            this.id = id;
            this.origin = origin;
            this.inner = inner;
            this.emulated = inner instanceof EmulatedLatency ? (EmulatedLatency) inner : null;
            int capacity = payloads ? DATA_RING_BYTES : RING_BYTES;
            ByteBuffer memory = BufferUtil.allocateDirectAligned(capacity + RingBufferDescriptor.TRAILER_LENGTH, 64);
            this.buf = new UnsafeBuffer(memory);
            this.ring = new OneToOneRingBuffer(buf);
            this.maxPayload = ring.maxMsgLength() - TraceRecord.SIZE;
            this.eighthShift = Integer.numberOfTrailingZeros(ring.capacity() / 8);
        }

        long droppedByThread() {
            return (long) DROPPED.getOpaque(this);
        }

        boolean isClosed() {
            return closed;
        }

        private int begin(IoOp op, long offset, long length, long address, int flags, IoCompletion completion, long tag) {
            int s = slots.take(completion, tag);
            if (s >= seqs.length) {
                grow(slots.capacity());
            }
            seqs[s] = nextSeq++;
            offsets[s] = offset;
            lengths[s] = length;
            addresses[s] = address;
            drawn[s] = -1;
            opFlags[s] = op.ordinal() | (flags & TraceRecord.F_IO_MASK) << 8;
            submitted[s] = System.nanoTime();
            return s;
        }

        /** The emulation below drew its latency during the submit call; it never completes inline. */
        private void afterSubmit(int s) {
            if (emulated != null) {
                drawn[s] = emulated.lastEmulatedNanos();
            }
        }

        private void grow(int n) {
            seqs = Arrays.copyOf(seqs, n);
            submitted = Arrays.copyOf(submitted, n);
            offsets = Arrays.copyOf(offsets, n);
            lengths = Arrays.copyOf(lengths, n);
            addresses = Arrays.copyOf(addresses, n);
            drawn = Arrays.copyOf(drawn, n);
            opFlags = Arrays.copyOf(opFlags, n);
        }

        /** The inner channel completed slot {@code slot}: append its record, then complete the caller's I/O. */
        @Override
        public void complete(long slot, int result) {
            int s = (int) slot;
            long now = System.nanoTime();
            int opf = opFlags[s];
            int op = opf & 0xff;
            boolean write = op == IoOp.WRITE.ordinal();
            boolean data = (write || op == IoOp.READ.ordinal()) && checksums;
            long length = lengths[s];
            // A write too large for a ring message is recorded without its data (replay writes a pattern).
            int payload = payloads && write && length <= maxPayload ? (int) length : 0;
            int index = ring.tryClaim(MSG_IO, TraceRecord.SIZE + payload);
            if (index < 0) {
                // The writer is behind (or the message can never fit): drop, never wait.
                DROPPED.setOpaque(this, ++droppedPlain);
                writer.filledAnEighth(ring);
            } else {
                if (index >>> eighthShift != eighth) {
                    eighth = index >>> eighthShift;
                    writer.filledAnEighth(ring);
                }
                int flags = opf >>> 8;
                long sum = 0;
                if (data) {
                    long n = write ? length : Math.max(result, 0);
                    sum = checksum.of(addresses[s], n);
                    flags |= TraceRecord.F_CHECKSUM;
                }
                if (payload > 0) {
                    UnsafeApi.copyMemory(addresses[s], buf.addressOffset() + index + TraceRecord.SIZE, payload);
                    flags |= TraceRecord.F_PAYLOAD;
                }
                buf.putLong(index + TraceRecord.SEQ, seqs[s]);
                buf.putLong(index + TraceRecord.SUBMIT, submitted[s] - base);
                buf.putLong(index + TraceRecord.LATENCY, now - submitted[s]);
                buf.putLong(index + TraceRecord.OFFSET, offsets[s]);
                buf.putLong(index + TraceRecord.LENGTH, length);
                buf.putLong(index + TraceRecord.CHECKSUM, sum);
                buf.putLong(index + TraceRecord.EMULATED, drawn[s]);
                buf.putInt(index + TraceRecord.RESULT, result);
                buf.putByte(index + TraceRecord.OP, (byte) op);
                buf.putByte(index + TraceRecord.FLAGS, (byte) flags);
                buf.putShort(index + TraceRecord.FLAGS + 1, (short) 0);
                ring.commit(index);
            }
            slots.complete(s, result);
        }

        @Override
        public void read(long offset, int length, long address, IoCompletion completion, long tag) {
            int s = begin(IoOp.READ, offset, length, address, 0, completion, tag);
            inner.read(offset, length, address, this, s);
            afterSubmit(s);
        }

        @Override
        public void write(long offset, int length, long address, int flags, IoCompletion completion, long tag) {
            int s = begin(IoOp.WRITE, offset, length, address, flags, completion, tag);
            inner.write(offset, length, address, flags, this, s);
            afterSubmit(s);
        }

        @Override
        public void flush(IoCompletion completion, long tag) {
            int s = begin(IoOp.FLUSH, 0, 0, 0, 0, completion, tag);
            inner.flush(this, s);
            afterSubmit(s);
        }

        @Override
        public void discard(long offset, long length, IoCompletion completion, long tag) {
            int s = begin(IoOp.DISCARD, offset, length, 0, 0, completion, tag);
            inner.discard(offset, length, this, s);
            afterSubmit(s);
        }

        @Override
        public void writeZeroes(long offset, long length, IoCompletion completion, long tag) {
            int s = begin(IoOp.WRITE_ZEROES, offset, length, 0, 0, completion, tag);
            inner.writeZeroes(offset, length, this, s);
            afterSubmit(s);
        }

        @Override
        public int poll() {
            return inner.poll();
        }

        @Override
        public int inFlight() {
            return slots.inFlight();
        }

        @Override
        public int completionFd() {
            return inner.completionFd();
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            inner.close();
            closed = true;
        }
    }
}
