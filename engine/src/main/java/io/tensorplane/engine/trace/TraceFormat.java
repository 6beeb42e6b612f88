package io.tensorplane.engine.trace;

import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.rollcycles.LargeRollCycles;

import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A trace directory is one Chronicle Queue whose excerpts are raw binary messages, each starting with
 * an int type:
 *
 * <pre>
 * START        int version, long wall-clock millis, utf8 device spec, long size, int block size, int data mode
 * CHANNEL      int channel, utf8 origin (front door and queue: the opening thread's name), long opened (ns)
 * IOS          int channel, int count, then count records ({@link TraceRecord}, each followed by its payload if any)
 * DROPS        int channel, long records dropped so far on that channel
 * CHANNEL_END  int channel, long records written, long records dropped
 * END          long records written, long records dropped, long end (ns from the start)
 * </pre>
 *
 * Times are nanoseconds since the trace started ({@code System.nanoTime()} then). A process that dies
 * leaves a trace without END (and perhaps without the last batches): readers take what is there.
 */
final class TraceFormat {
    static final int VERSION = 1;

    static final int START = 1;
    static final int CHANNEL = 2;
    static final int IOS = 3;
    static final int DROPS = 4;
    static final int CHANNEL_END = 5;
    static final int END = 6;

    /** {@code trace-data=}: what of the data is recorded. */
    static final int DATA_NONE = 0;
    static final int DATA_CHECKSUM = 1;
    static final int DATA_FULL = 2;

    /** Chronicle's mapping chunk: small enough for small disks, large enough to map rarely. */
    static final long CHUNK_BYTES = 16L << 20;

    /**
     * Chronicle logs (through SLF4J, into java.util.logging) a banner, timings of every file it grows
     * and an invitation to leave an e-mail address: only its warnings are worth a line. Held here, as
     * java.util.logging keeps loggers only weakly.
     */
    private static final Logger CHRONICLE_LOG = Logger.getLogger("net.openhft");

    static {
        CHRONICLE_LOG.setLevel(Level.WARNING);
    }

    private TraceFormat() {
    }

    static String dataModeName(int mode) {
        switch (mode) {
            case DATA_CHECKSUM: return "checksum";
            case DATA_FULL: return "full";
            default: return "none";
        }
    }

    static int parseDataMode(String value, String spec) {
        switch (value) {
            case "none": return DATA_NONE;
            case "checksum": return DATA_CHECKSUM;
            case "full": return DATA_FULL;
            default:
                throw new IllegalArgumentException("bad value '" + value + "' for trace-data in spec '" + spec
                        + "'; expected none, checksum or full");
        }
    }

    /** Opens (creating) the queue of a trace directory. One file per day; the roll cycle does not matter to readers. */
    static ChronicleQueue open(Path dir, boolean readOnly) {
        return ChronicleQueue.singleBuilder(dir)
                .rollCycle(LargeRollCycles.LARGE_DAILY)
                .blockSize(CHUNK_BYTES)
                .readOnly(readOnly)
                .build();
    }
}
