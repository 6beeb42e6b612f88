package io.tensorplane.engine;

import io.tensorplane.engine.backend.FileDevice;
import io.tensorplane.engine.backend.MemDevice;
import io.tensorplane.engine.backend.NullDevice;
import io.tensorplane.engine.emulation.FaultDevice;
import io.tensorplane.engine.emulation.LatencyDevice;
import io.tensorplane.engine.emulation.LatencyModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * A parsed, validated device spec. {@link #parse(String, int)} checks everything that can be
 * checked without opening the device (scheme, sizes, options, numbers, block size, the file's
 * existence and permissions), so that a bad spec fails before any resource is taken;
 * {@link #open()} then builds the backend and its emulation decorators.
 *
 * <p>The grammar is documented in {@link Devices}.
 */
public final class DeviceSpec {
    /** The block size used when neither the caller nor the spec names one. */
    public static final int DEFAULT_BLOCK_SIZE = 512;

    private static final String SCHEMES = "null:<size>, mem:<size> or file:<path>";
    private static final String COMMON = "bs, latency, jitter, faults, seed";

    private final String text;
    private final String scheme;
    private final long sizeBytes;
    private final Path path;
    private final int blockSize;
    private final long limitBytes;
    private final boolean direct;
    private final long createBytes;
    private final LatencyModel latency;
    private final double faultProbability;
    private final long seed;

    private DeviceSpec(Builder b) {
        this.text = b.text;
        this.scheme = b.scheme;
        this.sizeBytes = b.sizeBytes;
        this.path = b.path;
        this.blockSize = b.blockSize;
        this.limitBytes = b.limitBytes;
        this.direct = b.direct;
        this.createBytes = b.createBytes;
        this.latency = b.latency;
        this.faultProbability = b.faultProbability;
        this.seed = b.seed;
    }

    /** Parses a spec with the default block size of 512 bytes. */
    public static DeviceSpec parse(String spec) {
        return parse(spec, DEFAULT_BLOCK_SIZE);
    }

    /**
     * Parses and validates a spec.
     *
     * @param defaultBlockSize the block size to use unless the spec has a {@code bs=} option
     *                         (front doors pass their {@code --block-size} here)
     * @throws IllegalArgumentException with a message that names the problem
     */
    public static DeviceSpec parse(String spec, int defaultBlockSize) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty device spec; expected " + SCHEMES);
        }
        checkBlockSize(defaultBlockSize, Integer.toString(defaultBlockSize), spec);
        Builder b = new Builder(spec.trim());
        String s = b.text;
        int colon = s.indexOf(':');
        b.scheme = colon < 0 ? s : s.substring(0, colon);
        if (!b.scheme.equals("null") && !b.scheme.equals("mem") && !b.scheme.equals("file")) {
            int comma = b.scheme.indexOf(',');
            String shown = comma < 0 ? b.scheme : b.scheme.substring(0, comma);
            throw new IllegalArgumentException("unknown backend '" + shown + "' in spec '" + s + "'; expected " + SCHEMES);
        }
        if (colon < 0) {
            throw new IllegalArgumentException("missing " + (b.scheme.equals("file") ? "path" : "size") + " in spec '" + s
                    + "'; expected " + b.scheme + (b.scheme.equals("file") ? ":<path>" : ":<size>"));
        }
        String rest = s.substring(colon + 1);
        int comma = rest.indexOf(',');
        String target = comma < 0 ? rest : rest.substring(0, comma);
        String[] options = comma < 0 ? new String[0] : rest.substring(comma + 1).split(",", -1);

        b.blockSize = defaultBlockSize;
        Set<String> seen = new HashSet<>();
        for (String option : options) {
            b.option(option.trim(), seen);
        }
        if (b.jitterNs > 0 && b.latency == null) {
            b.latency = LatencyModel.fixed(0);
        }
        if (b.latency != null && b.jitterNs >= 0) {
            b.latency = b.latency.withJitter(b.jitterNs);
        }

        switch (b.scheme) {
            case "null":
            case "mem":
                b.sizeBytes = Sizes.parse(target, s);
                checkMultiple(b.sizeBytes, b.blockSize, "size", s);
                break;
            case "file":
                b.file(target);
                break;
            default:
                throw new AssertionError(b.scheme);
        }
        return new DeviceSpec(b);
    }

    private static int checkBlockSize(int bs, String text, String spec) {
        if (bs != 512 && bs != 4096) {
            throw new IllegalArgumentException("bad block size " + text + " in spec '" + spec + "'; expected bs=512 or bs=4096");
        }
        return bs;
    }

    private static void checkMultiple(long bytes, int blockSize, String what, String spec) {
        if (bytes % blockSize != 0) {
            throw new IllegalArgumentException(what + " " + bytes + " in spec '" + spec
                    + "' is not a multiple of the block size " + blockSize);
        }
    }

    /** Opens the backend and wraps it in the emulation decorators the spec asks for. */
    public BlockDevice open() {
        BlockDevice dev;
        switch (scheme) {
            case "null":
                dev = new NullDevice(text, sizeBytes, blockSize);
                break;
            case "mem":
                dev = new MemDevice(text, sizeBytes, blockSize, limitBytes);
                break;
            case "file":
                dev = FileDevice.open(text, path, blockSize, direct, createBytes);
                break;
            default:
                throw new AssertionError(scheme);
        }
        // Faults sit under the latency model, so an injected error arrives as late as a real one would.
        if (faultProbability > 0) {
            dev = new FaultDevice(dev, faultProbability, seed);
        }
        if (latency != null) {
            dev = new LatencyDevice(dev, latency, seed);
        }
        return dev;
    }

    public String text() { return text; }
    public String scheme() { return scheme; }
    /** Size for {@code null} and {@code mem}; for {@code file} 0 (the file decides) unless {@code create=} was given. */
    public long sizeBytes() { return scheme.equals("file") ? createBytes : sizeBytes; }
    public Path path() { return path; }
    public int blockSize() { return blockSize; }
    /** Memory limit of a {@code mem} device, {@link Long#MAX_VALUE} if none. */
    public long limitBytes() { return limitBytes; }
    public boolean direct() { return direct; }
    /** The latency model, or null if none was asked for. */
    public LatencyModel latency() { return latency; }
    public double faultProbability() { return faultProbability; }
    public long seed() { return seed; }

    @Override
    public String toString() {
        return text;
    }

    private static final class Builder {
        final String text;
        String scheme;
        long sizeBytes;
        Path path;
        int blockSize;
        long limitBytes = Long.MAX_VALUE;
        boolean direct;
        long createBytes;
        LatencyModel latency;
        long jitterNs = -1;
        double faultProbability;
        long seed = 1;

        Builder(String text) {
            this.text = text;
        }

        void option(String option, Set<String> seen) {
            if (option.isEmpty()) {
                throw new IllegalArgumentException("empty option in spec '" + text + "'");
            }
            int eq = option.indexOf('=');
            String key = (eq < 0 ? option : option.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
            String value = eq < 0 ? null : option.substring(eq + 1).trim();
            if (!validFor(key)) {
                throw new IllegalArgumentException("unknown option '" + key + "' in spec '" + text + "'; " + scheme
                        + " takes " + optionsOf(scheme));
            }
            if (!seen.add(key)) {
                throw new IllegalArgumentException("option '" + key + "' given twice in spec '" + text + "'");
            }
            if (key.equals("direct")) {
                if (value != null) {
                    throw new IllegalArgumentException("option 'direct' takes no value in spec '" + text + "'");
                }
                direct = true;
                return;
            }
            if (value == null || value.isEmpty()) {
                throw new IllegalArgumentException("option '" + key + "' needs a value in spec '" + text + "'");
            }
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
                case "limit":
                    limitBytes = Sizes.parse(value, text + " (limit)");
                    break;
                case "create":
                    createBytes = Sizes.parse(value, text + " (create)");
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
                default:
                    throw new AssertionError(key);
            }
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

        private boolean validFor(String key) {
            switch (key) {
                case "bs":
                case "latency":
                case "jitter":
                case "faults":
                case "seed":
                    return true;
                case "limit":
                    return scheme.equals("mem");
                case "direct":
                case "create":
                    return scheme.equals("file");
                default:
                    return false;
            }
        }

        private static String optionsOf(String scheme) {
            switch (scheme) {
                case "mem": return "limit, " + COMMON;
                case "file": return "direct, create, " + COMMON;
                default: return COMMON;
            }
        }

        void file(String target) {
            if (target.isBlank()) {
                throw new IllegalArgumentException("missing path in spec '" + text + "'; expected file:<path>");
            }
            try {
                path = Path.of(target);
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("bad path '" + target + "' in spec '" + text + "': " + e.getReason());
            }
            if (createBytes > 0) {
                checkMultiple(createBytes, blockSize, "create size", text);
            }
            if (!Files.exists(path)) {
                if (createBytes == 0) {
                    throw new IllegalArgumentException("no such file '" + target + "' in spec '" + text
                            + "'; add ,create=<size> to create it");
                }
                Path parent = path.toAbsolutePath().getParent();
                if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
                    throw new IllegalArgumentException("cannot create '" + target + "' in spec '" + text
                            + "': directory " + parent + " is missing or not writable");
                }
                return;
            }
            if (Files.isDirectory(path)) {
                throw new IllegalArgumentException("'" + target + "' in spec '" + text + "' is a directory, not a file or block device");
            }
            if (!Files.isReadable(path)) {
                throw new IllegalArgumentException("cannot read '" + target + "' in spec '" + text + "': permission denied");
            }
            if (!Files.isWritable(path)) {
                throw new IllegalArgumentException("cannot write '" + target + "' in spec '" + text + "': permission denied");
            }
            if (Files.isRegularFile(path)) {
                long size;
                try {
                    size = Files.size(path);
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read '" + target + "' in spec '" + text + "': " + e.getMessage());
                }
                if (size == 0) {
                    throw new IllegalArgumentException("file '" + target + "' in spec '" + text
                            + "' has size 0; give it a size (e.g. truncate -s 1G) or use ,create=<size> on a new file");
                }
                checkMultiple(size, blockSize, "file size", text);
            }
        }
    }
}
