package io.tensorplane.engine.emulation;

import io.tensorplane.engine.IoOp;

import java.util.Locale;

/**
 * How long an emulated device takes per operation: a fixed base latency per operation kind, a
 * transfer time per 4 KiB beyond the first (reads and writes), and a seeded uniform random jitter in
 * {@code [0, jitter)}. Immutable.
 *
 * <p>Presets (base latencies for 4 KiB; transfer per further 4 KiB; jitter):
 * <ul>
 *   <li>{@code optane}: read 7 µs, write 9 µs, flush 7 µs, discard/write-zeroes 10 µs; 1.6 µs; 1 µs</li>
 *   <li>{@code nand}: read 60 µs, write 20 µs (the drive's write cache), flush 500 µs, discard/write-zeroes
 *   50 µs; 1.3 µs; 20 µs</li>
 * </ul>
 */
public final class LatencyModel {
    private final String name;
    private final long[] baseNs;
    private final long perBlockNs;
    private final long jitterNs;

    private LatencyModel(String name, long[] baseNs, long perBlockNs, long jitterNs) {
        this.name = name;
        this.baseNs = baseNs;
        this.perBlockNs = perBlockNs;
        this.jitterNs = jitterNs;
    }

    /** Every operation takes {@code nanos}, whatever its size, plus no jitter. */
    public static LatencyModel fixed(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("negative latency " + nanos + " ns");
        }
        return new LatencyModel(nanos + "ns", new long[] {nanos, nanos, nanos, nanos, nanos}, 0, 0);
    }

    /** An Intel Optane-like drive: about 7 µs per 4 KiB read. */
    public static LatencyModel optane() {
        return new LatencyModel("optane", new long[] {7_000, 9_000, 7_000, 10_000, 10_000}, 1_600, 1_000);
    }

    /** A NAND flash NVMe drive: about 60 µs per 4 KiB read. */
    public static LatencyModel nand() {
        return new LatencyModel("nand", new long[] {60_000, 20_000, 500_000, 50_000, 50_000}, 1_300, 20_000);
    }

    /** This model with a different jitter. */
    public LatencyModel withJitter(long jitterNanos) {
        if (jitterNanos < 0) {
            throw new IllegalArgumentException("negative jitter " + jitterNanos + " ns");
        }
        return new LatencyModel(name, baseNs, perBlockNs, jitterNanos);
    }

    /**
     * Parses {@code optane}, {@code nand} or a duration such as {@code 10us}, {@code 250ns}, {@code 1.5ms}
     * (a bare number is microseconds).
     */
    public static LatencyModel parse(String value, String spec) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "optane": return optane();
            case "nand": return nand();
            default: return fixed(parseDuration(value, "latency", spec));
        }
    }

    /** Parses a duration in nanoseconds: a number with an optional unit ns, us, µs, ms or s (default us). */
    public static long parseDuration(String value, String what, String spec) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        double scale = 1_000;
        String number = v;
        if (v.endsWith("ns")) {
            scale = 1;
            number = v.substring(0, v.length() - 2);
        } else if (v.endsWith("us") || v.endsWith("µs")) {
            number = v.substring(0, v.length() - 2);
        } else if (v.endsWith("ms")) {
            scale = 1_000_000;
            number = v.substring(0, v.length() - 2);
        } else if (v.endsWith("s")) {
            scale = 1_000_000_000;
            number = v.substring(0, v.length() - 1);
        }
        double d;
        try {
            d = Double.parseDouble(number.trim());
        } catch (NumberFormatException e) {
            d = Double.NaN;
        }
        double ns = d * scale;
        if (!(ns >= 0 && ns <= 3_600e9) || number.isBlank()) {
            String presets = what.equals("latency") ? "optane, nand or " : "";
            throw new IllegalArgumentException("bad " + what + " '" + value + "' in spec '" + spec + "'; expected "
                    + presets + "a duration such as 10us, 250ns or 1.5ms (at most 1 hour)");
        }
        return Math.round(ns);
    }

    /** Latency of one operation before jitter. */
    public long baseNanos(IoOp op, long length) {
        long ns = baseNs[op.ordinal()];
        if (perBlockNs != 0 && (op == IoOp.READ || op == IoOp.WRITE) && length > 4096) {
            ns += ((length - 1) >>> 12) * perBlockNs;
        }
        return ns;
    }

    /** The jitter bound in nanoseconds (0 for none). */
    public long jitterNanos() {
        return jitterNs;
    }

    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name + (jitterNs > 0 ? "+jitter<" + jitterNs + "ns" : "");
    }
}
