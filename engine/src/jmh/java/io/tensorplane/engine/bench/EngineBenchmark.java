package io.tensorplane.engine.bench;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.engine.metrics.MeteredDevice;
import org.agrona.UnsafeApi;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Per-I/O cost of the engine, one thread, submit to completion (completions are inline on these
 * backends): the {@code null} backend (pure engine overhead), 4 KiB {@code mem} reads and writes, the
 * metrics decorator, and a plain 4 KiB memory copy as the baseline a {@code mem} I/O is measured against.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms256m", "-Xmx256m"})
public class EngineBenchmark {
    private static final int LEN = 4096;

    /** Records the last result; a field store per completion, as a front door would do. */
    static final class Done implements IoCompletion {
        int result;

        @Override
        public void complete(long tag, int r) {
            result = r;
        }
    }

    private BlockDevice nullDev;
    private BlockDevice memDev;
    private MeteredDevice meteredNull;
    private IoChannel nullCh;
    private IoChannel memCh;
    private IoChannel meteredCh;
    private BlockDevice latencyNull;
    private IoChannel latencyCh;
    private BlockDevice tracedNull;
    private IoChannel tracedCh;
    private long src;
    private long dst;
    private final Done done = new Done();
    private long tag;

    @Setup(Level.Trial)
    public void setUp() {
        nullDev = Devices.open("null:1G");
        memDev = Devices.open("mem:1G");
        meteredNull = new MeteredDevice(Devices.open("null:1G"), "bench");
        nullCh = nullDev.openChannel();
        memCh = memDev.openChannel();
        meteredCh = meteredNull.openChannel();
        latencyNull = Devices.open("null:1G,latency=0us");
        latencyCh = latencyNull.openChannel();
        try {
            tracedNull = Devices.open("null:1G,trace=" + java.nio.file.Files.createTempDirectory("tp-bench-trace"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        tracedCh = tracedNull.openChannel();
        src = UnsafeApi.allocateMemory(LEN + 4096);
        dst = UnsafeApi.allocateMemory(LEN + 4096);
        src = (src + 4095) & ~4095L;
        dst = (dst + 4095) & ~4095L;
        UnsafeApi.setMemory(src, LEN, (byte) 7);
        memCh.write(8192, LEN, src, 0, done, 0); // allocate the chunk before measuring
        // Make the call site in submitWrite() megamorphic, as in a front door that serves several kinds of device.
        BlockDevice lat = Devices.open("null:1G,latency=0us");
        BlockDevice faults = Devices.open("null:1G,faults=0.0001");
        IoChannel[] others = {lat.openChannel(), faults.openChannel(), memCh, meteredCh, nullCh};
        for (int i = 0; i < 20_000; i++) {
            IoChannel ch = others[i % others.length];
            submitWrite(ch, src, done, i);
            ch.poll();
        }
        others[0].close();
        others[1].close();
        lat.close();
        faults.close();
    }

    private static void submitWrite(IoChannel ch, long address, Done done, long tag) {
        ch.write(8192, LEN, address, 0, done, tag);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        nullCh.close();
        memCh.close();
        meteredCh.close();
        nullDev.close();
        memDev.close();
        meteredNull.close();
        latencyCh.close();
        latencyNull.close();
        tracedCh.close();
        io.tensorplane.engine.trace.TraceDevice t = (io.tensorplane.engine.trace.TraceDevice) tracedNull;
        long writerCpu = writerCpuNanos();
        tracedNull.close();
        // a writer that cannot keep up with this loop drops records: the figure is only honest beside this ratio
        System.out.printf("%ntraced: %d records written, %d dropped; the writer thread's CPU: %.1f ns a record%n",
                t.recorded(), t.dropped(), t.recorded() == 0 ? 0.0 : (double) writerCpu / t.recorded());
    }

    /** CPU time of the trace writer threads so far (the cost the trace puts on some other CPU). */
    private static long writerCpuNanos() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (java.lang.management.ThreadInfo i : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (i != null && i.getThreadName().startsWith("trace-writer")) {
                sum += Math.max(0, mx.getThreadCpuTime(i.getThreadId()));
            }
        }
        return sum;
    }

    /** Engine overhead: a 4 KiB write to the null backend (no data is touched). */
    @Benchmark
    public int nullWrite4k() {
        nullCh.write(8192, LEN, src, 0, done, tag++);
        return done.result;
    }

    /**
     * Engine overhead as a front door serving several device types sees it: the same write to the null
     * backend through a megamorphic (virtual, not inlined) call site.
     */
    @Benchmark
    public int nullWrite4kMegamorphic() {
        submitWrite(nullCh, src, done, tag++);
        return done.result;
    }

    /** Engine overhead of a flush on the null backend. */
    @Benchmark
    public int nullFlush() {
        nullCh.flush(done, tag++);
        return done.result;
    }

    /** The null backend with the metrics decorator: two clock reads, counters, histogram. */
    @Benchmark
    public int meteredNullWrite4k() {
        meteredCh.write(8192, LEN, src, 0, done, tag++);
        return done.result;
    }

    /**
     * The deferred-completion path: the latency emulator with zero latency, so every completion is
     * queued in its timer heap and delivered by the following poll() (two clock reads, heap push/pop).
     */
    @Benchmark
    public int latency0NullWrite4k() {
        latencyCh.write(8192, LEN, src, 0, done, tag++);
        while (latencyCh.poll() == 0) {
            Thread.onSpinWait();
        }
        return done.result;
    }

    /** The null backend with the trace decorator: two clock reads, slot bookkeeping, a 64-byte record into its ring. */
    @Benchmark
    public int tracedNullWrite4k() {
        tracedCh.write(8192, LEN, src, 0, done, tag++);
        return done.result;
    }

    @Benchmark
    public int memRead4k() {
        memCh.read(8192, LEN, dst, done, tag++);
        return done.result;
    }

    @Benchmark
    public int memWrite4k() {
        memCh.write(8192, LEN, src, 0, done, tag++);
        return done.result;
    }

    /** Baseline: a plain 4 KiB memory copy between the same kind of buffers. */
    @Benchmark
    public long memcpy4k() {
        UnsafeApi.copyMemory(src, dst, LEN);
        return dst;
    }
}
