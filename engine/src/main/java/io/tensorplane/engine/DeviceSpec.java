package io.tensorplane.engine;

import io.tensorplane.engine.emulation.FaultDevice;
import io.tensorplane.engine.emulation.LatencyDevice;
import io.tensorplane.engine.emulation.LatencyModel;
import io.tensorplane.engine.trace.Traces;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A parsed, validated device spec. {@link #parse(String, int)} checks everything that can be
 * checked without opening the device (scheme, sizes, options, numbers, block size, the backend's own
 * checks such as a file's existence and permissions), so that a bad spec fails before any resource is
 * taken; {@link #open()} then opens the backend and wraps it in its emulation decorators.
 *
 * <p>The scheme selects a registered {@link Backend}; this class knows none of them by name. The
 * grammar is documented in {@link Devices}.
 */
public final class DeviceSpec {
    /** The block size of {@code null} and {@code mem} when neither the caller nor the spec names one. */
    public static final int DEFAULT_BLOCK_SIZE = 512;

    private static final List<Backend.Option> COMMON = List.of(
            Backend.Option.value("bs", "logical block size: 512 or 4096"),
            Backend.Option.value("latency", "emulated completion latency: optane, nand or a time such as 80us"),
            Backend.Option.value("jitter", "extra seeded uniform random latency in [0, time)"),
            Backend.Option.value("faults", "per-operation chance of -EIO, e.g. 0.001 or 0.1%"),
            Backend.Option.value("seed", "seed of jitter and faults (default 1)"),
            Backend.Option.value("trace", "record every I/O into this directory (a Chronicle Queue; see 'trace stat')"),
            Backend.Option.value("trace-data", "what of the data a trace keeps: none (default), checksum, or full (write data too)"));

    private final String text;
    private final Backend backend;
    private final Backend.Opener opener;
    private final int blockSize;
    private final LatencyModel latency;
    private final double faultProbability;
    private final long seed;
    private final Traces.Options trace;

    private DeviceSpec(String text, Backend backend, Backend.Opener opener, int blockSize, LatencyModel latency,
                       double faultProbability, long seed, Traces.Options trace) {
        this.text = text;
        this.backend = backend;
        this.opener = opener;
        this.blockSize = blockSize;
        this.latency = latency;
        this.faultProbability = faultProbability;
        this.seed = seed;
        this.trace = trace;
    }

    /** Parses a spec; the backend picks the block size unless the spec has {@code bs=}. */
    public static DeviceSpec parse(String spec) {
        return parse(spec, 0);
    }

    /**
     * Parses and validates a spec.
     *
     * @param blockSize the block size the caller asks for (a front door's {@code --block-size}) unless the
     *                  spec has a {@code bs=} option; 0 to let the backend choose
     * @throws IllegalArgumentException with a message that names the problem
     */
    public static DeviceSpec parse(String spec, int blockSize) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty device spec; expected " + Backends.synopsis());
        }
        String s = spec.trim();
        if (blockSize != 0) {
            checkBlockSize(blockSize, Integer.toString(blockSize), s);
        }
        int colon = s.indexOf(':');
        String scheme = colon < 0 ? s : s.substring(0, colon);
        Backend backend = Backends.find(scheme);
        if (backend == null) {
            int comma = scheme.indexOf(',');
            String shown = comma < 0 ? scheme : scheme.substring(0, comma);
            throw new IllegalArgumentException("unknown backend '" + shown + "' in spec '" + s + "'; expected " + Backends.synopsis());
        }
        String what = backend.target().replaceAll("[<>]", "");
        if (colon < 0) {
            throw new IllegalArgumentException("missing " + what + " in spec '" + s + "'; expected " + scheme + ":" + backend.target());
        }
        String rest = s.substring(colon + 1);
        int comma = rest.indexOf(',');
        String target = (comma < 0 ? rest : rest.substring(0, comma)).trim();
        if (target.isEmpty()) {
            throw new IllegalArgumentException("missing " + what + " in spec '" + s + "'; expected " + scheme + ":" + backend.target());
        }
        String[] options = comma < 0 ? new String[0] : rest.substring(comma + 1).split(",", -1);

        Common common = new Common(s);
        Map<String, String> own = new LinkedHashMap<>();
        Map<String, Backend.Option> known = new HashMap<>();
        for (Backend.Option o : COMMON) {
            known.put(o.name(), o);
        }
        for (Backend.Option o : backend.options()) {
            known.put(o.name(), o);
        }
        for (String option : options) {
            String o = option.trim();
            if (o.isEmpty()) {
                throw new IllegalArgumentException("empty option in spec '" + s + "'");
            }
            int eq = o.indexOf('=');
            String key = (eq < 0 ? o : o.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
            String value = eq < 0 ? null : o.substring(eq + 1).trim();
            Backend.Option def = known.get(key);
            if (def == null) {
                throw new IllegalArgumentException("unknown option '" + key + "' in spec '" + s + "'; " + scheme
                        + " takes " + optionNames(backend));
            }
            if (common.seen.contains(key) || own.containsKey(key)) {
                throw new IllegalArgumentException("option '" + key + "' given twice in spec '" + s + "'");
            }
            if (!def.takesValue()) {
                if (value != null) {
                    throw new IllegalArgumentException("option '" + key + "' takes no value in spec '" + s + "'");
                }
            } else if (value == null || value.isEmpty()) {
                throw new IllegalArgumentException("option '" + key + "' needs a value in spec '" + s + "'");
            }
            if (!common.take(key, value)) {
                own.put(key, value == null ? "" : value);
            }
        }
        int bs = common.blockSize != 0 ? common.blockSize : blockSize;
        Backend.Opener opener = backend.parse(new BackendArgs(s, target, bs, own));
        Traces.Options trace = common.trace();
        return new DeviceSpec(s, backend, opener, bs, common.latency(), common.faultProbability, common.seed, trace);
    }

    private static String optionNames(Backend backend) {
        List<String> names = new ArrayList<>();
        for (Backend.Option o : backend.options()) {
            names.add(o.name());
        }
        for (Backend.Option o : COMMON) {
            names.add(o.name());
        }
        return String.join(", ", names);
    }

    static int checkBlockSize(int bs, String text, String spec) {
        if (bs != 512 && bs != 4096) {
            throw new IllegalArgumentException("bad block size " + text + " in spec '" + spec + "'; expected bs=512 or bs=4096");
        }
        return bs;
    }

    /** Opens the backend and wraps it in the emulation and trace decorators the spec asks for. */
    public BlockDevice open() {
        BlockDevice dev = opener.open();
        // Faults sit under the latency model, so an injected error arrives as late as a real one would.
        if (faultProbability > 0) {
            dev = new FaultDevice(dev, faultProbability, seed);
        }
        if (latency != null) {
            dev = new LatencyDevice(dev, latency, seed);
        }
        // The trace is outermost: it records what the front door saw, emulated latency included.
        if (trace != null) {
            try {
                dev = Traces.record(dev, trace);
            } catch (RuntimeException e) {
                dev.close();
                throw e;
            }
        }
        return dev;
    }

    public String text() { return text; }
    public String scheme() { return backend.scheme(); }
    /** The block size asked for by the spec's {@code bs=} or the caller; 0 if the backend chooses. */
    public int blockSize() { return blockSize; }
    /** The latency model, or null if none was asked for. */
    public LatencyModel latency() { return latency; }
    public double faultProbability() { return faultProbability; }
    public long seed() { return seed; }
    /** The trace the spec asks for, or null. */
    public Traces.Options trace() { return trace; }

    @Override
    public String toString() {
        return text;
    }

    /** The options every spec takes, whatever its backend. */
    private static final class Common {
        final String text;
        final Set<String> seen = new HashSet<>();
        int blockSize;
        LatencyModel latency;
        long jitterNs = -1;
        double faultProbability;
        long seed = 1;
        String traceDir;
        String traceData;

        Common(String text) {
            this.text = text;
        }

        /** Takes a common option; false if {@code key} is the backend's own. */
        boolean take(String key, String value) {
            switch (key) {
                case "bs":
                    int bs;
                    try {
                        bs = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad block size '" + value + "' in spec '" + text
                                + "'; expected bs=512 or bs=4096");
                    }
                    blockSize = checkBlockSize(bs, value, text);
                    break;
                case "latency":
                    latency = LatencyModel.parse(value, text);
                    break;
                case "jitter":
                    jitterNs = LatencyModel.parseDuration(value, "jitter", text);
                    break;
                case "faults":
                    faultProbability = parseProbability(value);
                    break;
                case "seed":
                    try {
                        seed = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad number '" + value + "' for seed in spec '" + text
                                + "'; expected an integer");
                    }
                    break;
                case "trace":
                    traceDir = value;
                    break;
                case "trace-data":
                    traceData = value;
                    break;
                default:
                    return false;
            }
            seen.add(key);
            return true;
        }

        Traces.Options trace() {
            if (traceDir == null) {
                if (traceData != null) {
                    throw new IllegalArgumentException("option 'trace-data' needs 'trace=DIR' in spec '" + text + "'");
                }
                return null;
            }
            return Traces.options(traceDir, traceData == null ? "none" : traceData, text);
        }

        LatencyModel latency() {
            LatencyModel m = latency;
            if (jitterNs > 0 && m == null) {
                m = LatencyModel.fixed(0);
            }
            if (m != null && jitterNs >= 0) {
                m = m.withJitter(jitterNs);
            }
            return m;
        }

        private double parseProbability(String value) {
            double p;
            try {
                p = value.endsWith("%")
                        ? Double.parseDouble(value.substring(0, value.length() - 1)) / 100.0
                        : Double.parseDouble(value);
            } catch (NumberFormatException e) {
                p = Double.NaN;
            }
            if (!(p >= 0.0 && p <= 1.0)) {
                throw new IllegalArgumentException("bad number '" + value + "' for faults in spec '" + text
                        + "'; expected a probability between 0 and 1 (e.g. 0.001 or 0.1%)");
            }
            return p;
        }
    }
}
