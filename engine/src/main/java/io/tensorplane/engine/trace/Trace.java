package io.tensorplane.engine.trace;

import io.tensorplane.engine.IoOp;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * A trace read back into memory: the device it was recorded on, and per channel (front door queue) its
 * records in submission order, as columns. Write data ({@code trace-data=full}) stays in the queue and
 * is fetched on demand ({@link PayloadReader}).
 */
public final class Trace {
    private final Path dir;
    private int version;
    private long wallMillis;
    private String spec = "?";
    private long size;
    private int blockSize;
    private int dataMode;
    private boolean ended;
    private long endNanos;
    private final Map<Integer, Channel> channels = new LinkedHashMap<>();

    private Trace(Path dir) {
        this.dir = dir;
    }

    public Path dir() { return dir; }
    /** Wall-clock time the trace started, in milliseconds since the epoch. */
    public long startMillis() { return wallMillis; }
    /** The spec of the recorded device (without its trace options' effect: the device under the trace). */
    public String spec() { return spec; }
    public long sizeBytes() { return size; }
    public int blockSize() { return blockSize; }
    /** {@code none}, {@code checksum} or {@code full}. */
    public String data() { return TraceFormat.dataModeName(dataMode); }
    public boolean hasChecksums() { return dataMode != TraceFormat.DATA_NONE; }
    public boolean hasPayloads() { return dataMode == TraceFormat.DATA_FULL; }
    /** Whether the trace was closed cleanly (false if the recording process died). */
    public boolean complete() { return ended; }

    /** Channels in the order they were opened (those without records included). */
    public List<Channel> channels() {
        return Collections.unmodifiableList(new ArrayList<>(channels.values()));
    }

    /** Channels that recorded I/O. */
    public List<Channel> busyChannels() {
        List<Channel> out = new ArrayList<>();
        for (Channel c : channels.values()) {
            if (c.count > 0) {
                out.add(c);
            }
        }
        return out;
    }

    public long records() {
        long n = 0;
        for (Channel c : channels.values()) {
            n += c.count;
        }
        return n;
    }

    public long dropped() {
        long n = 0;
        for (Channel c : channels.values()) {
            n += c.dropped;
        }
        return n;
    }

    /** Nanoseconds from the start to the last completion (or to the end of the trace, if later). */
    public long durationNanos() {
        long last = endNanos;
        for (Channel c : channels.values()) {
            for (int i = 0; i < c.count; i++) {
                last = Math.max(last, c.submit[i] + c.latency[i]);
            }
        }
        return last;
    }

    /**
     * Reads a trace directory.
     *
     * @param progress told the number of records read so far, every million (may be null)
     * @throws IllegalArgumentException if the directory holds no trace
     */
    public static Trace read(Path dir, LongConsumer progress) {
        Path d = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(d)) {
            throw new IllegalArgumentException("no trace directory " + d);
        }
        if (!Files.exists(d.resolve("metadata.cq4t"))) {
            throw new IllegalArgumentException("no trace in " + d + " (no Chronicle Queue with a trace start)");
        }
        Trace t = new Trace(d);
        boolean started = false;
        long n = 0;
        try (ChronicleQueue q = TraceFormat.open(d, true); ExcerptTailer tailer = q.createTailer()) {
            while (true) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    Bytes<?> b = dc.wire().bytes();
                    long contentStart = b.readPosition();
                    int type = b.readInt();
                    if (type == TraceFormat.START) {
                        t.start(b);
                        started = true;
                    } else if (!started) {
                        throw new IllegalArgumentException(d + " is not a trace (its first message has type " + type + ")");
                    } else if (type == TraceFormat.IOS) {
                        long before = n;
                        n += t.ios(b, dc.index(), contentStart);
                        if (progress != null && n / 1_000_000 != before / 1_000_000) {
                            progress.accept(n);
                        }
                    } else {
                        t.other(type, b);
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot read the trace in " + d + ": " + e.getMessage(), e);
        }
        if (!started) {
            throw new IllegalArgumentException("no trace in " + d + " (no Chronicle Queue with a trace start)");
        }
        for (Channel c : t.channels.values()) {
            c.sortBySubmission();
        }
        return t;
    }

    private void start(Bytes<?> b) {
        version = b.readInt();
        if (version != TraceFormat.VERSION) {
            throw new IllegalArgumentException("trace in " + dir + " has format version " + version
                    + "; this build reads version " + TraceFormat.VERSION);
        }
        wallMillis = b.readLong();
        spec = b.readUtf8();
        size = b.readLong();
        blockSize = b.readInt();
        dataMode = b.readInt();
    }

    private Channel channel(int id) {
        return channels.computeIfAbsent(id, i -> new Channel(i, "channel " + i, 0));
    }

    private void other(int type, Bytes<?> b) {
        switch (type) {
            case TraceFormat.CHANNEL: {
                int id = b.readInt();
                String origin = b.readUtf8();
                long opened = b.readLong();
                Channel c = channel(id);
                c.origin = origin;
                c.opened = opened;
                break;
            }
            case TraceFormat.DROPS:
                channel(b.readInt()).dropped = b.readLong();
                break;
            case TraceFormat.CHANNEL_END: {
                Channel c = channel(b.readInt());
                b.readLong();
                c.dropped = b.readLong();
                c.ended = true;
                break;
            }
            case TraceFormat.END:
                b.readLong();
                b.readLong();
                endNanos = b.readLong();
                ended = true;
                break;
            default:
                // a newer writer's message: skip it
                break;
        }
    }

    private int ios(Bytes<?> b, long index, long contentStart) {
        Channel c = channel(b.readInt());
        int count = b.readInt();
        long pos = b.readPosition();
        for (int k = 0; k < count; k++) {
            int i = c.add();
            c.seq[i] = b.readLong(pos + TraceRecord.SEQ);
            c.submit[i] = b.readLong(pos + TraceRecord.SUBMIT);
            c.latency[i] = b.readLong(pos + TraceRecord.LATENCY);
            c.offset[i] = b.readLong(pos + TraceRecord.OFFSET);
            c.length[i] = b.readLong(pos + TraceRecord.LENGTH);
            c.checksum[i] = b.readLong(pos + TraceRecord.CHECKSUM);
            c.emulated[i] = b.readLong(pos + TraceRecord.EMULATED);
            c.result[i] = b.readInt(pos + TraceRecord.RESULT);
            c.op[i] = b.readByte(pos + TraceRecord.OP);
            int flags = b.readByte(pos + TraceRecord.FLAGS) & 0xff;
            c.flags[i] = (byte) flags;
            pos += TraceRecord.SIZE;
            if ((flags & TraceRecord.F_PAYLOAD) != 0) {
                c.payloadIndex[i] = index;
                c.payloadAt[i] = (int) (pos - contentStart);
                pos += c.length[i];
            } else {
                c.payloadIndex[i] = -1;
            }
        }
        return count;
    }

    /** One recorded channel: a front door's queue (thread). Columns indexed by submission order. */
    public static final class Channel {
        private final int id;
        private String origin;
        private long opened;
        private long dropped;
        private boolean ended;
        int count;
        long[] seq = new long[0];
        long[] submit = new long[0];
        long[] latency = new long[0];
        long[] offset = new long[0];
        long[] length = new long[0];
        long[] checksum = new long[0];
        long[] emulated = new long[0];
        long[] payloadIndex = new long[0];
        int[] payloadAt = new int[0];
        int[] result = new int[0];
        byte[] op = new byte[0];
        byte[] flags = new byte[0];

        Channel(int id, String origin, long opened) {
            this.id = id;
            this.origin = origin;
            this.opened = opened;
        }

        public int id() { return id; }
        /** The front door's name for the queue: the thread that opened the channel, e.g. {@code ublk0-q1}. */
        public String origin() { return origin; }
        public int count() { return count; }
        /** Records lost while recording (ring or disk full). */
        public long dropped() { return dropped; }
        public boolean ended() { return ended; }

        public long seq(int i) { return seq[i]; }
        /** Nanoseconds from the start of the trace to the submission. */
        public long submitNanos(int i) { return submit[i]; }
        public long latencyNanos(int i) { return latency[i]; }
        /** Submission plus latency, never equal to the submission. */
        public long completeNanos(int i) { return submit[i] + Math.max(1, latency[i]); }
        public long offset(int i) { return offset[i]; }
        public long length(int i) { return length[i]; }
        public IoOp op(int i) { return IoOp.ALL[op[i]]; }
        /** The I/O's own flags ({@code IoChannel.FLAG_FUA}). */
        public int ioFlags(int i) { return flags[i] & TraceRecord.F_IO_MASK; }
        public boolean hasChecksum(int i) { return (flags[i] & TraceRecord.F_CHECKSUM) != 0; }
        public long checksum(int i) { return checksum[i]; }
        public boolean hasPayload(int i) { return payloadIndex[i] >= 0; }
        /** The latency the emulation model drew, or -1. */
        public long emulatedNanos(int i) { return emulated[i]; }
        public int result(int i) { return result[i]; }

        private int add() {
            if (count == seq.length) {
                int n = Math.max(1024, count * 2);
                seq = Arrays.copyOf(seq, n);
                submit = Arrays.copyOf(submit, n);
                latency = Arrays.copyOf(latency, n);
                offset = Arrays.copyOf(offset, n);
                length = Arrays.copyOf(length, n);
                checksum = Arrays.copyOf(checksum, n);
                emulated = Arrays.copyOf(emulated, n);
                payloadIndex = Arrays.copyOf(payloadIndex, n);
                payloadAt = Arrays.copyOf(payloadAt, n);
                result = Arrays.copyOf(result, n);
                op = Arrays.copyOf(op, n);
                flags = Arrays.copyOf(flags, n);
            }
            return count++;
        }

        /** Records arrive in completion order; put them in submission order (by sequence number). */
        private void sortBySubmission() {
            int[] order = Sorting.byKey(seq, count);
            seq = Sorting.permute(seq, order);
            submit = Sorting.permute(submit, order);
            latency = Sorting.permute(latency, order);
            offset = Sorting.permute(offset, order);
            length = Sorting.permute(length, order);
            checksum = Sorting.permute(checksum, order);
            emulated = Sorting.permute(emulated, order);
            payloadIndex = Sorting.permute(payloadIndex, order);
            payloadAt = Sorting.permute(payloadAt, order);
            result = Sorting.permute(result, order);
            op = Sorting.permute(op, order);
            flags = Sorting.permute(flags, order);
        }

        @Override
        public String toString() {
            return "channel " + id + " (" + origin + ")";
        }
    }

    /**
     * Copies recorded write data out of the queue. One per thread (Chronicle tailers are confined to
     * the thread that uses them); close it on that thread.
     */
    public PayloadReader payloadReader() {
        return new PayloadReader();
    }

    public final class PayloadReader implements AutoCloseable {
        private final ChronicleQueue queue = TraceFormat.open(dir, true);
        private final ExcerptTailer tailer = queue.createTailer();

        /** Copies record {@code i}'s write data of channel {@code c} to native memory at {@code address}. */
        public void copy(Channel c, int i, long address) {
            if (!tailer.moveToIndex(c.payloadIndex[i])) {
                throw new IllegalStateException("write data of record " + i + " of " + c + " is missing from " + dir);
            }
            try (DocumentContext dc = tailer.readingDocument()) {
                Bytes<?> b = dc.wire().bytes();
                b.nativeRead(b.readPosition() + c.payloadAt[i], address, c.length[i]);
            }
        }

        @Override
        public void close() {
            tailer.close();
            queue.close();
        }
    }
}
