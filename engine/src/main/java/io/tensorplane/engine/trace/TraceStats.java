package io.tensorplane.engine.trace;

import io.tensorplane.engine.IoOp;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A summary of a trace ({@code trace stat}): what was recorded, the operation mix, the sizes, the
 * queue depth over time, how sequential the I/O was and which ranges of the device were hot.
 */
public final class TraceStats {
    private TraceStats() {
    }

    public record Queue(int channel, String origin, long ios, long dropped) {
    }

    public record Op(String op, long ios, long bytes, long errors, double sequentialPercent,
                     Replay.Latencies latency, Replay.Latencies emulated) {
    }

    /** I/Os of up to {@code bytes} (and more than half of it). */
    public record Size(long bytes, long reads, long writes) {
    }

    /** One interval of the trace: I/Os submitted in it, time-weighted mean and maximum depth. */
    public record Depth(double fromSeconds, double toSeconds, long ios, double meanDepth, int maxDepth) {
    }

    public record Range(long from, long to, long reads, long writes, long bytes) {
    }

    public record Summary(String dir, String spec, long sizeBytes, int blockSize, String data, long startMillis,
                          boolean complete, double seconds, long ios, long dropped, double iops, List<Queue> queues,
                          List<Op> ops, List<Size> sizes, List<Depth> depth, List<Range> hotRanges) {
    }

    /** Summarises a trace into {@code intervals} depth intervals and the {@code hot} hottest ranges. */
    public static Summary of(Trace t, int intervals, int hot) {
        List<Queue> queues = new ArrayList<>();
        for (Trace.Channel c : t.channels()) {
            queues.add(new Queue(c.id(), c.origin(), c.count(), c.dropped()));
        }
        long origin = Long.MAX_VALUE;
        long end = 0;
        for (Trace.Channel c : t.busyChannels()) {
            origin = Math.min(origin, c.submit[0]);
            for (int i = 0; i < c.count; i++) {
                end = Math.max(end, c.completeNanos(i));
            }
        }
        if (origin == Long.MAX_VALUE) {
            origin = 0;
        }
        double seconds = Math.max(0, end - origin) / 1e9;
        long ios = t.records();
        return new Summary(t.dir().toString(), t.spec(), t.sizeBytes(), t.blockSize(), t.data(), t.startMillis(), t.complete(),
                seconds, ios, t.dropped(), seconds > 0 ? ios / seconds : 0, queues, ops(t), sizes(t),
                depth(t, origin, end, Math.max(1, intervals)), hotRanges(t, hot));
    }

    private static List<Op> ops(Trace t) {
        int n = IoOp.ALL.length;
        long[] count = new long[n];
        long[] bytes = new long[n];
        long[] errors = new long[n];
        long[] sequential = new long[n];
        Histogram[] lat = new Histogram[n];
        Histogram[] emu = new Histogram[n];
        for (int i = 0; i < n; i++) {
            lat[i] = new Histogram(TimeUnit.HOURS.toNanos(1), 3);
            emu[i] = new Histogram(TimeUnit.HOURS.toNanos(1), 3);
        }
        for (Trace.Channel c : t.channels()) {
            long[] lastEnd = new long[n];
            Arrays.fill(lastEnd, -1);
            for (int i = 0; i < c.count; i++) {
                int op = c.op[i];
                count[op]++;
                if (c.result[i] < 0) {
                    errors[op]++;
                } else {
                    bytes[op] += c.length[i];
                }
                if (c.offset[i] == lastEnd[op]) {
                    sequential[op]++;
                }
                lastEnd[op] = c.offset[i] + c.length[i];
                lat[op].recordValue(Replay.clamp(c.latency[i]));
                if (c.emulated[i] >= 0) {
                    emu[op].recordValue(Replay.clamp(c.emulated[i]));
                }
            }
        }
        List<Op> out = new ArrayList<>();
        for (IoOp op : IoOp.ALL) {
            int o = op.ordinal();
            if (count[o] > 0) {
                double seq = op == IoOp.FLUSH ? 0 : 100.0 * sequential[o] / count[o];
                out.add(new Op(op.tag(), count[o], bytes[o], errors[o], seq, Replay.Latencies.of(lat[o]), Replay.Latencies.of(emu[o])));
            }
        }
        return out;
    }

    private static List<Size> sizes(Trace t) {
        long[] reads = new long[64];
        long[] writes = new long[64];
        for (Trace.Channel c : t.channels()) {
            for (int i = 0; i < c.count; i++) {
                int op = c.op[i];
                if (op != IoOp.READ.ordinal() && op != IoOp.WRITE.ordinal() || c.length[i] <= 0) {
                    continue;
                }
                int bucket = 64 - Long.numberOfLeadingZeros(c.length[i] - 1); // smallest power of two >= length
                (op == IoOp.READ.ordinal() ? reads : writes)[bucket]++;
            }
        }
        List<Size> out = new ArrayList<>();
        for (int b = 0; b < 64; b++) {
            if (reads[b] + writes[b] > 0) {
                out.add(new Size(1L << b, reads[b], writes[b]));
            }
        }
        return out;
    }

    private static List<Depth> depth(Trace t, long origin, long end, int intervals) {
        long total = t.records();
        if (total == 0 || end <= origin) {
            return List.of();
        }
        // Events as (time - origin) * 2 + kind: completions (0) before submissions (1) at the same time.
        long[] events = new long[(int) (2 * total)];
        int e = 0;
        for (Trace.Channel c : t.channels()) {
            for (int i = 0; i < c.count; i++) {
                events[e++] = (c.submit[i] - origin) * 2 + 1;
                events[e++] = (c.completeNanos(i) - origin) * 2;
            }
        }
        Arrays.sort(events);
        long span = end - origin;
        long width = Math.max(1, (span + intervals - 1) / intervals);
        int m = (int) Math.min(intervals, (span + width - 1) / width);
        double[] area = new double[m];
        int[] max = new int[m];
        long[] submitted = new long[m];
        int depth = 0;
        long last = 0;
        for (long ev : events) {
            long time = ev >>> 1;
            // the depth held from 'last' to 'time', spread over the intervals it covers
            for (long a = last; a < time; ) {
                int k = (int) Math.min(m - 1, a / width);
                long b = Math.min(time, (k + 1) * width);
                area[k] += (double) depth * (b - a);
                max[k] = Math.max(max[k], depth); // held into this interval
                a = b;
            }
            last = time;
            int k = (int) Math.min(m - 1, time / width);
            if ((ev & 1) == 1) {
                depth++;
                submitted[k]++;
                max[k] = Math.max(max[k], depth);
            } else {
                depth--;
            }
        }
        List<Depth> out = new ArrayList<>();
        for (int k = 0; k < m; k++) {
            long from = k * width;
            long to = Math.min(span, (k + 1) * width);
            out.add(new Depth(from / 1e9, to / 1e9, submitted[k], to > from ? area[k] / (to - from) : 0, max[k]));
        }
        return out;
    }

    private static List<Range> hotRanges(Trace t, int hot) {
        long size = Math.max(t.sizeBytes(), 1);
        // ranges of a power-of-two size, at most 1024 of them over the device
        long width = Long.highestOneBit(Math.max(1, (size + 1023) / 1024));
        if (width < size / 1024) {
            width <<= 1;
        }
        int n = (int) ((size + width - 1) / width);
        long[] reads = new long[n];
        long[] writes = new long[n];
        long[] bytes = new long[n];
        for (Trace.Channel c : t.channels()) {
            for (int i = 0; i < c.count; i++) {
                int op = c.op[i];
                if (op == IoOp.FLUSH.ordinal()) {
                    continue;
                }
                int k = (int) Math.min(n - 1, Math.max(0, c.offset[i] / width));
                if (op == IoOp.READ.ordinal()) {
                    reads[k]++;
                } else {
                    writes[k]++;
                }
                bytes[k] += c.length[i];
            }
        }
        Integer[] order = new Integer[n];
        for (int k = 0; k < n; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (a, b) -> Long.compare(reads[b] + writes[b], reads[a] + writes[a]));
        List<Range> out = new ArrayList<>();
        for (int r = 0; r < Math.min(hot, n); r++) {
            int k = order[r];
            if (reads[k] + writes[k] == 0) {
                break;
            }
            out.add(new Range(k * width, Math.min(size, (k + 1) * width), reads[k], writes[k], bytes[k]));
        }
        return out;
    }
}
