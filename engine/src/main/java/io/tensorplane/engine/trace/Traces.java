package io.tensorplane.engine.trace;

import io.tensorplane.engine.BlockDevice;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

/**
 * The trace's entry points: {@code trace=DIR[,trace-data=none|checksum|full]} in a spec
 * ({@link #options}, {@link #record}), and reading a trace back ({@link Trace#read}).
 */
public final class Traces {
    private Traces() {
    }

    /** A validated {@code trace=} request: where, and what of the data to keep. */
    public static final class Options {
        private final Path dir;
        private final int dataMode;

        Options(Path dir, int dataMode) {
            this.dir = dir;
            this.dataMode = dataMode;
        }

        public Path dir() { return dir; }
        /** {@code none}, {@code checksum} or {@code full}. */
        public String data() { return TraceFormat.dataModeName(dataMode); }

        @Override
        public String toString() {
            return "trace=" + dir + (dataMode == TraceFormat.DATA_NONE ? "" : ",trace-data=" + data());
        }
    }

    /**
     * Validates a trace request without creating anything: the directory must not exist yet or be
     * empty (a trace directory holds one trace), and must be creatable.
     *
     * @throws IllegalArgumentException naming the problem and the spec
     */
    public static Options options(String dir, String data, String spec) {
        int mode = TraceFormat.parseDataMode(data, spec);
        Path p;
        try {
            p = Paths.get(dir).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad trace directory '" + dir + "' in spec '" + spec + "'");
        }
        if (Files.exists(p)) {
            if (!Files.isDirectory(p)) {
                throw new IllegalArgumentException("trace directory " + p + " in spec '" + spec + "' is not a directory");
            }
            try (Stream<Path> entries = Files.list(p)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException("trace directory " + p + " in spec '" + spec
                            + "' is not empty (it may hold a trace already); give a new directory");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read trace directory " + p + " in spec '" + spec + "': " + e.getMessage());
            }
            if (!Files.isWritable(p)) {
                throw new IllegalArgumentException("cannot write trace directory " + p + " in spec '" + spec + "': permission denied");
            }
        } else {
            Path parent = p.getParent();
            while (parent != null && !Files.exists(parent)) {
                parent = parent.getParent();
            }
            if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
                throw new IllegalArgumentException("cannot create trace directory " + p + " in spec '" + spec + "'"
                        + (parent == null ? "" : ": " + parent + " is not a writable directory"));
            }
        }
        return new Options(p, mode);
    }

    /** Wraps {@code device} in a trace decorator writing to the request's directory. */
    public static BlockDevice record(BlockDevice device, Options options) {
        return new TraceDevice(device, options.dir, options.dataMode);
    }
}
