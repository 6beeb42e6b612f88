package io.tensorplane.engine.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.CompletionSlots;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.engine.IoOp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Meters any device: per operation kind, the number of operations, bytes, errors and a latency
 * histogram (submit to completion, as the front door sees it), plus the operations in flight.
 *
 * <p>Each channel keeps its own counters in a padded {@code long[]} and its own
 * {@link LatencyHistogram}s, written only by the channel's thread with plain reads and opaque
 * writes: no atomics, no contention, no allocation per I/O (in-flight I/O lives in pre-allocated
 * slot arrays that only grow at a new high-water mark). {@link #snapshot()} and the Micrometer
 * binders ({@link #bindTo(MeterRegistry)}) sum the channels on the reading thread; the counts of
 * closed channels are folded into the device's totals.
 */
public final class MeteredDevice implements BlockDevice, MeterBinder {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int OPS = IoOp.ALL.length;
    /** Longs of padding around each channel's counters (two cache lines). */
    private static final int PAD = 16;
    private static final int COUNT = 0;
    private static final int BYTES = 1;
    private static final int ERRORS = 2;
    private static final int FIELDS = 4;
    private static final int IN_FLIGHT = PAD + OPS * FIELDS;
    private static final int COUNTER_LONGS = IN_FLIGHT + 1 + PAD;
    private static final int INITIAL_SLOTS = 256;
    /** How long a snapshot is reused by the Micrometer gauges of one scrape. */
    private static final long SNAPSHOT_REUSE_NANOS = 100_000_000L;

    private final BlockDevice inner;
    private final String name;
    private volatile Channel[] channels = new Channel[0];
    /** Counters and histograms of closed channels; guarded by {@code this}. */
    private final long[] retiredCounters = new long[COUNTER_LONGS];
    private final long[][] retiredHistograms = new long[OPS][LatencyHistogram.BUCKETS];
    private volatile DeviceSnapshot cached;

    public MeteredDevice(BlockDevice inner, String name) {
        this.inner = inner;
        this.name = name;
    }

    public String name() { return name; }
    public BlockDevice inner() { return inner; }

    @Override public String spec() { return inner.spec(); }
    @Override public long sizeBytes() { return inner.sizeBytes(); }
    @Override public void grow(long newBytes) { inner.grow(newBytes); }
    @Override public int blockSize() { return inner.blockSize(); }
    @Override public Capabilities capabilities() { return inner.capabilities(); }

    @Override
    public void close() {
        Metrics.forget(this);
        inner.close();
    }

    @Override
    public IoChannel openChannel(ChannelHost host) {
        Channel c = new Channel(inner.openChannel(host));
        synchronized (this) {
            Channel[] old = channels;
            Channel[] now = Arrays.copyOf(old, old.length + 1);
            now[old.length] = c;
            channels = now;
        }
        return c;
    }

    private synchronized void retire(Channel c) {
        for (int i = PAD; i < IN_FLIGHT; i++) {
            retiredCounters[i] += (long) SLOT.getOpaque(c.counters, i);
        }
        for (int op = 0; op < OPS; op++) {
            c.histograms[op].addTo(retiredHistograms[op]);
        }
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

    /** Sums all channels now. Allocates; call it from a reporting thread, not an I/O thread. */
    public DeviceSnapshot snapshot() {
        long[] sums = new long[COUNTER_LONGS];
        long[][] hist = new long[OPS][LatencyHistogram.BUCKETS];
        int inFlight = 0;
        synchronized (this) {
            System.arraycopy(retiredCounters, 0, sums, 0, COUNTER_LONGS);
            for (int op = 0; op < OPS; op++) {
                System.arraycopy(retiredHistograms[op], 0, hist[op], 0, LatencyHistogram.BUCKETS);
            }
            for (Channel c : channels) {
                for (int i = PAD; i < IN_FLIGHT; i++) {
                    sums[i] += (long) SLOT.getOpaque(c.counters, i);
                }
                inFlight += (int) (long) SLOT.getOpaque(c.counters, IN_FLIGHT);
                for (int op = 0; op < OPS; op++) {
                    c.histograms[op].addTo(hist[op]);
                }
            }
        }
        List<OpSnapshot> ops = new ArrayList<>(OPS);
        for (IoOp op : IoOp.ALL) {
            int base = PAD + op.ordinal() * FIELDS;
            long[] h = hist[op.ordinal()];
            ops.add(new OpSnapshot(op, sums[base + COUNT], sums[base + BYTES], sums[base + ERRORS],
                    LatencyHistogram.valueAtPercentile(h, 50), LatencyHistogram.valueAtPercentile(h, 99),
                    LatencyHistogram.valueAtPercentile(h, 99.9), LatencyHistogram.mean(h)));
        }
        DeviceSnapshot s = new DeviceSnapshot(name, spec(), System.nanoTime(), inFlight, List.copyOf(ops), hist);
        cached = s;
        return s;
    }

    private DeviceSnapshot recent() {
        DeviceSnapshot s = cached;
        if (s == null || System.nanoTime() - s.nanoTime() > SNAPSHOT_REUSE_NANOS) {
            s = snapshot();
        }
        return s;
    }

    /**
     * Registers this device's meters: {@code tensorplane.io.ops}, {@code tensorplane.io.bytes},
     * {@code tensorplane.io.errors} (function counters tagged {@code device} and {@code op}),
     * {@code tensorplane.io.latency} (gauges in seconds tagged {@code op} and {@code quantile} 0.5, 0.99,
     * 0.999) and {@code tensorplane.io.inflight}.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        for (IoOp op : IoOp.ALL) {
            String tag = op.tag();
            counter(registry, "tensorplane.io.ops", null, "operations completed", tag, d -> d.recent().op(op).ops());
            counter(registry, "tensorplane.io.bytes", "bytes", "bytes transferred", tag, d -> d.recent().op(op).bytes());
            counter(registry, "tensorplane.io.errors", null, "operations failed", tag, d -> d.recent().op(op).errors());
            quantile(registry, tag, "0.5", d -> d.recent().op(op).p50Nanos() / 1e9);
            quantile(registry, tag, "0.99", d -> d.recent().op(op).p99Nanos() / 1e9);
            quantile(registry, tag, "0.999", d -> d.recent().op(op).p999Nanos() / 1e9);
        }
        Gauge.builder("tensorplane.io.inflight", this, d -> d.recent().inFlight())
                .description("operations submitted and not yet completed")
                .tag("device", name)
                .register(registry);
    }

    private void counter(MeterRegistry registry, String meter, String unit, String description, String op,
                         ToDoubleFunction<MeteredDevice> f) {
        FunctionCounter.builder(meter, this, f)
                .description(description)
                .baseUnit(unit)
                .tag("device", name)
                .tag("op", op)
                .register(registry);
    }

    private void quantile(MeterRegistry registry, String op, String q, ToDoubleFunction<MeteredDevice> f) {
        Gauge.builder("tensorplane.io.latency", this, f)
                .description("submit-to-completion latency quantile since start")
                .baseUnit("seconds")
                .tag("device", name)
                .tag("op", op)
                .tag("quantile", q)
                .register(registry);
    }

    @Override
    public String toString() {
        return name + " (" + spec() + ")";
    }

    private final class Channel implements IoChannel, IoCompletion {
        private final IoChannel inner;
        final long[] counters = new long[COUNTER_LONGS];
        final LatencyHistogram[] histograms = new LatencyHistogram[OPS];

        private final CompletionSlots slots = new CompletionSlots(INITIAL_SLOTS);
        private long[] started = new long[INITIAL_SLOTS];
        private int[] ops = new int[INITIAL_SLOTS];
        private long[] ranges = new long[INITIAL_SLOTS];
        private boolean closed;

        Channel(IoChannel inner) {
            this.inner = inner;
            for (int op = 0; op < OPS; op++) {
                histograms[op] = new LatencyHistogram();
            }
        }

        private void add(int index, long delta) {
            SLOT.setOpaque(counters, index, counters[index] + delta);
        }

        private int begin(IoOp op, IoCompletion completion, long tag) {
            int s = slots.take(completion, tag);
            if (s >= started.length) {
                grow(slots.capacity());
            }
            ops[s] = op.ordinal();
            started[s] = System.nanoTime();
            add(IN_FLIGHT, 1);
            return s;
        }

        private void grow(int n) {
            started = Arrays.copyOf(started, n);
            ops = Arrays.copyOf(ops, n);
            ranges = Arrays.copyOf(ranges, n);
        }

        /** Completion of slot {@code slot} from the inner channel. */
        @Override
        public void complete(long slot, int result) {
            int s = (int) slot;
            long latency = System.nanoTime() - started[s];
            int op = ops[s];
            int base = PAD + op * FIELDS;
            add(base + COUNT, 1);
            if (result < 0) {
                add(base + ERRORS, 1);
            } else {
                add(base + BYTES, pendingBytes(s, result));
            }
            add(IN_FLIGHT, -1);
            histograms[op].record(latency);
            slots.complete(s, result);
        }

        /** Reads and writes report bytes in the result; discard and write-zeroes report the range. */
        private long pendingBytes(int s, int result) {
            return result > 0 ? result : ranges[s];
        }

        private int beginRange(IoOp op, long length, IoCompletion completion, long tag) {
            int s = begin(op, completion, tag);
            ranges[s] = length;
            return s;
        }

        @Override
        public void read(long offset, int length, long address, IoCompletion completion, long tag) {
            inner.read(offset, length, address, this, beginRange(IoOp.READ, 0, completion, tag));
        }

        @Override
        public void write(long offset, int length, long address, int flags, IoCompletion completion, long tag) {
            inner.write(offset, length, address, flags, this, beginRange(IoOp.WRITE, 0, completion, tag));
        }

        @Override
        public void flush(IoCompletion completion, long tag) {
            inner.flush(this, beginRange(IoOp.FLUSH, 0, completion, tag));
        }

        @Override
        public void discard(long offset, long length, IoCompletion completion, long tag) {
            inner.discard(offset, length, this, beginRange(IoOp.DISCARD, length, completion, tag));
        }

        @Override
        public void writeZeroes(long offset, long length, IoCompletion completion, long tag) {
            inner.writeZeroes(offset, length, this, beginRange(IoOp.WRITE_ZEROES, length, completion, tag));
        }

        @Override
        public int poll() {
            return inner.poll();
        }

        @Override
        public int inFlight() {
            return (int) counters[IN_FLIGHT];
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
            closed = true;
            inner.close();
            retire(this);
        }
    }
}
