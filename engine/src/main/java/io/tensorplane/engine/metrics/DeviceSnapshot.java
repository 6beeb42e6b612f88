package io.tensorplane.engine.metrics;

import io.tensorplane.engine.IoOp;

import java.util.List;
import java.util.Locale;

/**
 * A point-in-time view of a metered device: per-operation totals and latency percentiles since the
 * device was metered, and the operations in flight. Rates (IOPS, bytes per second) and the latency
 * percentiles of an interval come from two snapshots: {@link #since(DeviceSnapshot, IoOp)},
 * {@link #ratesSince(DeviceSnapshot)}.
 *
 * @param latencyBuckets per operation (by ordinal), the merged {@link LatencyHistogram} bucket counts;
 *                       shared arrays, do not modify
 */
public record DeviceSnapshot(String name, String spec, long nanoTime, int inFlight, List<OpSnapshot> ops,
                             long[][] latencyBuckets) {

    public OpSnapshot op(IoOp op) {
        return ops.get(op.ordinal());
    }

    /** Total operations of all kinds. */
    public long totalOps() {
        long n = 0;
        for (OpSnapshot o : ops) {
            n += o.ops();
        }
        return n;
    }

    /** Total errors of all kinds. */
    public long totalErrors() {
        long n = 0;
        for (OpSnapshot o : ops) {
            n += o.errors();
        }
        return n;
    }

    /**
     * Totals and latency percentiles of one operation kind between an earlier snapshot of the same
     * device and this one.
     */
    public OpSnapshot since(DeviceSnapshot earlier, IoOp op) {
        int o = op.ordinal();
        long[] now = latencyBuckets[o];
        long[] then = earlier.latencyBuckets[o];
        long[] diff = new long[now.length];
        for (int i = 0; i < now.length; i++) {
            diff[i] = Math.max(0, now[i] - then[i]);
        }
        OpSnapshot a = op(op);
        OpSnapshot b = earlier.op(op);
        return new OpSnapshot(op, a.ops() - b.ops(), a.bytes() - b.bytes(), a.errors() - b.errors(),
                LatencyHistogram.valueAtPercentile(diff, 50), LatencyHistogram.valueAtPercentile(diff, 99),
                LatencyHistogram.valueAtPercentile(diff, 99.9), LatencyHistogram.mean(diff));
    }

    /** A line per operation with IOPS, bandwidth and latency percentiles since an earlier snapshot of the same device. */
    public String ratesSince(DeviceSnapshot earlier) {
        double seconds = Math.max(1e-9, (nanoTime - earlier.nanoTime) / 1e9);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s (%s): %.1f s, in flight %d%n", name, spec, seconds, inFlight));
        for (IoOp op : IoOp.ALL) {
            OpSnapshot d = since(earlier, op);
            if (d.ops() == 0) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "  %-12s %10.0f IOPS %10.1f MiB/s  errors %d  p50 %.2f us  p99 %.2f us  p99.9 %.2f us%n",
                    op.tag(), d.ops() / seconds, d.bytes() / seconds / (1 << 20), d.errors(),
                    d.p50Nanos() / 1e3, d.p99Nanos() / 1e3, d.p999Nanos() / 1e3));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s (%s): in flight %d%n", name, spec, inFlight));
        sb.append(String.format(Locale.ROOT, "  %-12s %12s %14s %8s %10s %10s %10s%n", "op", "count", "bytes", "errors",
                "p50 us", "p99 us", "p99.9 us"));
        for (OpSnapshot o : ops) {
            if (o.ops() == 0) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "  %-12s %12d %14d %8d %10.2f %10.2f %10.2f%n", o.op().tag(), o.ops(),
                    o.bytes(), o.errors(), o.p50Nanos() / 1e3, o.p99Nanos() / 1e3, o.p999Nanos() / 1e3));
        }
        return sb.toString();
    }
}
