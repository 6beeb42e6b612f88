package io.tensorplane.cli;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.engine.Sizes;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import org.agrona.BufferUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code tensorplane bench}: drives one engine device from one thread at a fixed queue depth and
 * reports IOPS and latency. No kernel is involved: this measures the engine and its backend (and
 * any emulated latency or faults in the spec), which is what a front door adds its cost to.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Drive an engine device from one thread at a fixed queue depth; print IOPS and latency.")
public final class BenchCommand implements Callable<Integer> {

    enum Pattern { read, write, randread, randwrite, randrw }

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", defaultValue = "mem:1G", description = "Device spec (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--rw", defaultValue = "randread", description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Pattern pattern;

    @Option(names = "--bs", defaultValue = "4k", description = "Block size of each I/O (default: ${DEFAULT-VALUE}).")
    String blockSizeText;

    @Option(names = "--qd", defaultValue = "32", description = "I/Os kept in flight (default: ${DEFAULT-VALUE}).")
    int queueDepth;

    @Option(names = "--seconds", defaultValue = "3", description = "Measured run time (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", defaultValue = "1", description = "Unmeasured warm-up time in seconds (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--trace", paramLabel = "DIR", description = "Record every I/O into this new directory (the same as ,trace=DIR in the spec).")
    String trace;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the offset generator (default: ${DEFAULT-VALUE}).")
    long seed;

    /** The outcome of one run, also used by the demo. */
    record Result(long ios, long errors, long bytes, double seconds, Histogram latencyNanos) {
        double iops() {
            return ios / seconds;
        }

        void print(PrintWriter out, String label) {
            out.printf("%-52s %10.0f IOPS %9.1f MiB/s  lat mean %7.2f us  p50 %7.2f  p99 %7.2f  p99.9 %7.2f  errors %d%n",
                    label, iops(), bytes / seconds / (1 << 20),
                    latencyNanos.getMean() / 1e3, latencyNanos.getValueAtPercentile(50) / 1e3,
                    latencyNanos.getValueAtPercentile(99) / 1e3, latencyNanos.getValueAtPercentile(99.9) / 1e3, errors);
            out.flush();
        }
    }

    @Override
    public Integer call() {
        int bs = (int) Sizes.parse(blockSizeText, "--bs");
        if (queueDepth < 1 || queueDepth > 4096) {
            throw new ParameterException(spec.commandLine(), "--qd must be between 1 and 4096, not " + queueDepth);
        }
        if (seconds <= 0 || warmupSeconds < 0) {
            throw new ParameterException(spec.commandLine(), "--seconds must be positive and --warmup not negative");
        }
        try (BlockDevice device = Devices.open(trace == null ? backend : backend + ",trace=" + trace)) {
            if (bs % device.blockSize() != 0 || bs > device.sizeBytes()) {
                throw new ParameterException(spec.commandLine(), "--bs " + bs + " must be a multiple of the device block size "
                        + device.blockSize() + " and at most the device size");
            }
            Result r = run(device, pattern, bs, queueDepth, warmupSeconds, seconds, seed);
            r.print(spec.commandLine().getOut(), device.spec() + " " + pattern + " bs=" + bs + " qd=" + queueDepth);
            return r.errors == 0 ? 0 : 1;
        }
    }

    /** Runs the workload on the calling thread; the device's channel lives and dies on it. */
    static Result run(BlockDevice device, Pattern pattern, int bs, int qd, double warmupSeconds, double seconds, long seed) {
        Driver driver = new Driver(device, pattern, bs, qd, seed);
        try (IoChannel channel = device.openChannel()) {
            driver.loop(channel, (long) (warmupSeconds * 1e9));
            driver.reset();
            long start = System.nanoTime();
            driver.loop(channel, (long) (seconds * 1e9));
            double elapsed = (System.nanoTime() - start) / 1e9;
            return new Result(driver.ios, driver.errors, driver.bytes, elapsed, driver.latency);
        }
    }

    /** Keeps {@code qd} I/Os in flight; slots and buffers are allocated once, up front. */
    private static final class Driver implements IoCompletion {
        private final Pattern pattern;
        private final int bs;
        private final long blocks;
        private final long base;
        private final long[] submitted;
        private final int[] free;
        private int freeCount;
        private long sequential;
        private long rng;
        final Histogram latency = new Histogram(3_600_000_000_000L, 3);
        long ios;
        long errors;
        long bytes;

        Driver(BlockDevice device, Pattern pattern, int bs, int qd, long seed) {
            this.pattern = pattern;
            this.bs = bs;
            this.blocks = device.sizeBytes() / bs;
            ByteBuffer region = BufferUtil.allocateDirectAligned(bs * qd, 4096);
            this.base = BufferUtil.address(region);
            for (int i = 0; i < bs * qd; i++) {
                region.put(i, (byte) (i * 31 + 7));
            }
            this.submitted = new long[qd];
            this.free = new int[qd];
            for (int i = 0; i < qd; i++) {
                free[freeCount++] = i;
            }
            this.rng = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
        }

        void reset() {
            latency.reset();
            ios = 0;
            errors = 0;
            bytes = 0;
        }

        private long nextRandom() {
            long x = rng; // xorshift64: no allocation, deterministic per seed
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            rng = x;
            return x;
        }

        void loop(IoChannel channel, long durationNanos) {
            long deadline = System.nanoTime() + durationNanos;
            while (System.nanoTime() < deadline) {
                // Inline completions refill the free list at once: submit only what was free on entry,
                // so the deadline is checked between rounds.
                for (int n = freeCount; n > 0; n--) {
                    submit(channel, free[--freeCount]);
                }
                channel.poll();
            }
            while (channel.inFlight() > 0) { // drain, so the channel closes idle
                channel.poll();
            }
        }

        private void submit(IoChannel channel, int slot) {
            long block;
            boolean write;
            switch (pattern) {
                case read: block = sequential++ % blocks; write = false; break;
                case write: block = sequential++ % blocks; write = true; break;
                case randread: block = Long.remainderUnsigned(nextRandom(), blocks); write = false; break;
                case randwrite: block = Long.remainderUnsigned(nextRandom(), blocks); write = true; break;
                default: long r = nextRandom(); block = Long.remainderUnsigned(r >>> 1, blocks); write = (r & 1) != 0; break;
            }
            long address = base + (long) slot * bs;
            submitted[slot] = System.nanoTime();
            if (write) {
                channel.write(block * bs, bs, address, 0, this, slot);
            } else {
                channel.read(block * bs, bs, address, this, slot);
            }
        }

        @Override
        public void complete(long tag, int result) {
            int slot = (int) tag;
            latency.recordValue(Math.max(0, System.nanoTime() - submitted[slot]));
            if (result < 0) {
                errors++;
            } else {
                ios++;
                bytes += result;
            }
            free[freeCount++] = slot;
        }
    }
}
