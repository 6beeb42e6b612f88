package io.tensorplane.engine.metrics;

import io.tensorplane.engine.IoOp;

import java.util.List;
import java.util.Locale;

/**
 * A point-in-time view of a metered device: per-operation totals and latency percentiles, and the
 * operations in flight. Rates (IOPS, bytes per second) are the difference of two snapshots divided
 * by {@link #nanoTime()} difference; see {@link #ratesSince(DeviceSnapshot)}.
 */
public record DeviceSnapshot(String name, String spec, long nanoTime, int inFlight, List<OpSnapshot> ops) {

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

    /** A line per operation with IOPS and bandwidth since an earlier snapshot of the same device. */
    public String ratesSince(DeviceSnapshot earlier) {
        double seconds = Math.max(1e-9, (nanoTime - earlier.nanoTime) / 1e9);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s (%s): %.1f s, in flight %d%n", name, spec, seconds, inFlight));
        for (IoOp op : IoOp.ALL) {
            OpSnapshot now = op(op);
            OpSnapshot then = earlier.op(op);
            long n = now.ops() - then.ops();
            if (n == 0) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "  %-12s %10.0f IOPS %10.1f MiB/s  errors %d%n", op.tag(), n / seconds,
                    (now.bytes() - then.bytes()) / seconds / (1 << 20), now.errors() - then.errors()));
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
