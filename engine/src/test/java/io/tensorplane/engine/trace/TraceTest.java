package io.tensorplane.engine.trace;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.Io;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoOp;
import io.tensorplane.engine.ZeroAllocationTest;
import io.tensorplane.engine.poll.ThreadScheduling;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a trace records, read back; drops instead of waiting; the spec options' errors. */
class TraceTest {
    @TempDir
    Path tmp;

    @Test
    void everyIoIsRecordedWithItsFieldsInSubmissionOrder() throws Exception {
        Path dir = tmp.resolve("t");
        ByteBuffer data = Io.pattern(8192, 3);
        long sumWritten;
        try (BlockDevice dev = Devices.open("mem:16M,latency=5us,jitter=3us,seed=9,trace=" + dir + ",trace-data=checksum")) {
            Thread.currentThread().setName("test-q0");
            try (Io io = new Io(dev.openChannel())) {
                assertEquals(8192, io.write(4096, 8192, data, IoChannel.FLAG_FUA));
                ByteBuffer in = ByteBuffer.allocateDirect(8192);
                assertEquals(8192, io.read(4096, 8192, in));
                assertEquals(0, io.flush());
                assertEquals(0, io.discard(1 << 20, 1 << 20));
                assertEquals(0, io.writeZeroes(2 << 20, 4096));
                assertEquals(-Errno.EINVAL, io.read(16 << 20, 4096, in));
                io.assertAllCompletedOnce();
            }
            sumWritten = new Checksum().of(BufferUtil.address(data), 8192);
        }
        Trace t = Trace.read(dir, null);
        assertTrue(t.complete());
        assertEquals(16 << 20, t.sizeBytes());
        assertEquals(512, t.blockSize());
        assertEquals("checksum", t.data());
        assertTrue(t.spec().startsWith("mem:16M"), t.spec());
        assertEquals(1, t.channels().size());
        Trace.Channel c = t.channels().get(0);
        assertEquals("test-q0", c.origin());
        assertEquals(6, c.count());
        assertEquals(0, t.dropped());
        IoOp[] ops = {IoOp.WRITE, IoOp.READ, IoOp.FLUSH, IoOp.DISCARD, IoOp.WRITE_ZEROES, IoOp.READ};
        long[] offsets = {4096, 4096, 0, 1 << 20, 2 << 20, 16 << 20};
        long[] lengths = {8192, 8192, 0, 1 << 20, 4096, 4096};
        int[] results = {8192, 8192, 0, 0, 0, -Errno.EINVAL};
        for (int i = 0; i < 6; i++) {
            assertEquals(i, c.seq(i));
            assertEquals(ops[i], c.op(i), "op " + i);
            assertEquals(offsets[i], c.offset(i), "offset " + i);
            assertEquals(lengths[i], c.length(i), "length " + i);
            assertEquals(results[i], c.result(i), "result " + i);
            // 5 us base, up to 3 us jitter: the model's own figure, and at least that was measured
            assertTrue(c.emulatedNanos(i) >= 5_000 && c.emulatedNanos(i) < 8_000, "emulated " + c.emulatedNanos(i));
            assertTrue(c.latencyNanos(i) >= c.emulatedNanos(i), "measured " + c.latencyNanos(i) + " >= emulated");
            if (i > 0) {
                assertTrue(c.submitNanos(i) >= c.submitNanos(i - 1) + c.latencyNanos(i - 1), "synchronous: one after the other");
            }
        }
        assertEquals(IoChannel.FLAG_FUA, c.ioFlags(0));
        assertEquals(0, c.ioFlags(1));
        assertTrue(c.hasChecksum(0) && c.hasChecksum(1));
        assertEquals(sumWritten, c.checksum(0));
        assertEquals(sumWritten, c.checksum(1), "the data read back has the written data's checksum");
        assertNotEquals(0, sumWritten);
    }

    @Test
    void fullDataKeepsTheWrittenBytes() {
        Path dir = tmp.resolve("full");
        ByteBuffer data = Io.pattern(65536, 11);
        try (BlockDevice dev = Devices.open("null:1G,trace=" + dir + ",trace-data=full"); Io io = new Io(dev.openChannel())) {
            assertEquals(65536, io.write(1 << 20, 65536, data));
            assertEquals(4096, io.write(0, 4096, Io.pattern(4096, 12)));
        }
        Trace t = Trace.read(dir, null);
        Trace.Channel c = t.channels().get(0);
        assertTrue(c.hasPayload(0) && c.hasPayload(1));
        ByteBuffer back = ByteBuffer.allocateDirect(65536);
        try (Trace.PayloadReader r = t.payloadReader()) {
            r.copy(c, 0, BufferUtil.address(back));
            Io.assertSame(data, back, 65536, "recorded write data");
            r.copy(c, 1, BufferUtil.address(back));
            Io.assertSame(Io.pattern(4096, 12), back, 4096, "second write's data");
        }
    }

    @Test
    void theWriterSleepsLongerWhenIdleAndShorterWhenTheRingsFill() {
        long min = TraceWriter.nextSleep(0, 0);
        long idle = min;
        for (int i = 0; i < 30; i++) {
            long next = TraceWriter.nextSleep(idle, 0);
            assertTrue(next <= 2 * idle, "grows at most twofold");
            idle = next;
        }
        assertEquals(TimeUnit.SECONDS.toNanos(1), idle, "an idle trace wakes every second");
        // a ring half full after a second: sleep half as long as needed to reach a quarter
        assertEquals(idle / 2, TraceWriter.nextSleep(idle, 0.5));
        // a ring that filled: a quarter of that sleep, and never below the shortest
        assertEquals(idle / 4, TraceWriter.nextSleep(idle, 1.0));
        assertEquals(min, TraceWriter.nextSleep(min, 1.0));
        assertEquals(TimeUnit.MICROSECONDS.toNanos(200), min);
    }

    @Test
    void aSleepingWriterIsWokenByTheIoThreadOnceItsRingIsAQuarterFull() throws Exception {
        Path dir = tmp.resolve("wake");
        long savedMin = TraceWriter.minSleepNanos;
        long savedMax = TraceWriter.maxSleepNanos;
        TraceWriter.minSleepNanos = TraceWriter.maxSleepNanos = TimeUnit.HOURS.toNanos(1); // only a wake-up ends a sleep
        try (BlockDevice dev = Devices.open("null:1G,trace=" + dir)) {
            TraceWriter writer = ((TraceDevice) dev).writer();
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            try (Io io = new Io(dev.openChannel())) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!writer.asleep() && System.nanoTime() < deadline) {
                    Thread.sleep(1); // until the writer's first pass is done
                }
                assertTrue(writer.asleep(), "the writer went to sleep after its first pass");
                for (int i = 0; i < 10_000; i++) { // a sixth of the 4 MiB ring's 58 254 records
                    assertEquals(4096, io.read(0, 4096, b));
                }
                // the I/O thread itself clears the flag when it wakes the writer, so this needs no waiting
                assertTrue(writer.asleep(), "under a quarter full, the writer is left asleep");
                for (int i = 0; i < 12_000; i++) { // 22 000 in all: past a quarter and the next eighth
                    assertEquals(4096, io.read(0, 4096, b));
                }
                // Woken at a quarter (14 565 records in the ring then), the writer drains at least that much; what
                // arrives during its pass may stay in the ring until the trace ends, as it is under a quarter.
                while (writer.recorded() < 14_565 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertTrue(writer.recorded() >= 14_565, "woken by the I/O thread in its hour-long sleep, the writer drained a quarter ring: "
                        + writer.recorded());
            }
        } finally {
            TraceWriter.minSleepNanos = savedMin;
            TraceWriter.maxSleepNanos = savedMax;
        }
        assertEquals(22_000, Trace.read(dir, null).records());
    }

    @Test
    void aWriterThatCannotKeepUpDropsRecordsAndTheIoGoesOn() {
        Path dir = tmp.resolve("slow");
        int ios = 100_000; // more than a 4 MiB ring holds (64-byte records + 8-byte headers: 58 254)
        try (BlockDevice dev = Devices.open("null:1G,trace=" + dir)) {
            TraceDevice traced = (TraceDevice) dev;
            traced.writer().paused = true;
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            try (Io io = new Io(dev.openChannel())) {
                for (int i = 0; i < ios; i++) {
                    assertEquals(4096, io.read((i % 1000) * 4096L, 4096, b));
                }
            }
        }
        Trace t = Trace.read(dir, null);
        long kept = t.records();
        assertTrue(kept > 50_000 && kept < ios, "the ring's worth kept: " + kept);
        assertEquals(ios, kept + t.dropped(), "every I/O is either recorded or counted as dropped");
    }

    @Test
    void theWriterRunsInSchedIdleTheIoThreadMovesItOutWhenStarvedAndTheTraceEndsInTheOrdinaryClass() throws Exception {
        Path dir = tmp.resolve("sched");
        List<String> calls = Collections.synchronizedList(new ArrayList<>()); // "tid:idle" per class change asked for
        ThreadScheduling saved = TraceWriter.scheduling;
        TraceWriter.scheduling = new ThreadScheduling() {
            @Override
            public int currentThreadId() {
                return 4242;
            }

            @Override
            public boolean setIdle(int tid, boolean idle) {
                calls.add(tid + ":" + idle);
                return true;
            }

            @Override
            public boolean canLeaveIdle() {
                return true;
            }
        };
        try (BlockDevice dev = Devices.open("null:1G,trace=" + dir)) {
            TraceWriter writer = ((TraceDevice) dev).writer();
            writer.paused = true; // a writer that gets no CPU time
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            try (Io io = new Io(dev.openChannel())) {
                for (int i = 0; i < 40_000; i++) { // over half of the 4 MiB ring's 58 254 records
                    assertEquals(4096, io.read(0, 4096, b));
                }
                assertEquals(List.of("0:true", "4242:false"), List.copyOf(calls), "idle from the start, then moved out by the I/O thread");
                writer.paused = false;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (calls.size() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(5); // until the writer has drained the backlog and gone back to SCHED_IDLE
                }
            }
        } finally {
            TraceWriter.scheduling = saved;
        }
        assertEquals(List.of("0:true", "4242:false", "0:true", "0:false"), List.copyOf(calls),
                "idle, ordinary for the backlog, idle once drained, ordinary to end the trace");
        Trace t = Trace.read(dir, null);
        assertEquals(40_000, t.records());
        assertEquals(0, t.dropped());
    }

    @Test
    void aFullDiskDropsRecordsInsteadOfFillingIt() {
        Path dir = tmp.resolve("full-disk");
        long saved = TraceWriter.minFreeBytes;
        TraceWriter.minFreeBytes = Long.MAX_VALUE; // every disk is too full
        try (BlockDevice dev = Devices.open("null:1G,trace=" + dir); Io io = new Io(dev.openChannel())) {
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            for (int i = 0; i < 1000; i++) {
                assertEquals(4096, io.read(0, 4096, b));
            }
        } finally {
            TraceWriter.minFreeBytes = saved;
        }
        Trace t = Trace.read(dir, null);
        assertEquals(0, t.records());
        assertEquals(1000, t.dropped());
        assertTrue(t.complete());
    }

    @Test
    void severalChannelsAreKeptApart() throws Exception {
        Path dir = tmp.resolve("multi");
        try (BlockDevice dev = Devices.open("mem:16M,trace=" + dir)) {
            List<Thread> threads = new ArrayList<>();
            for (int q = 0; q < 3; q++) {
                int queue = q;
                threads.add(new Thread(() -> {
                    try (Io io = new Io(dev.openChannel())) {
                        ByteBuffer b = Io.pattern(4096, queue);
                        for (int i = 0; i < 100 * (queue + 1); i++) {
                            io.write(queue * 4096L, 4096, b);
                        }
                    }
                }, "q" + q));
            }
            for (Thread th : threads) {
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
        }
        Trace t = Trace.read(dir, null);
        assertEquals(3, t.channels().size());
        for (Trace.Channel c : t.channels()) {
            int q = c.origin().charAt(1) - '0';
            assertEquals(100 * (q + 1), c.count(), c.toString());
            for (int i = 0; i < c.count(); i++) {
                assertEquals(q * 4096L, c.offset(i));
                assertEquals(-1, c.emulatedNanos(i), "no emulation below");
            }
        }
    }

    @Test
    void badTraceOptionsFailWithTheReason() throws Exception {
        Path file = Files.createFile(tmp.resolve("plain"));
        Path busy = Files.createDirectories(tmp.resolve("busy"));
        Files.createFile(busy.resolve("x"));
        Path fresh = tmp.resolve("fresh");
        assertEquals("trace directory " + file + " in spec 'mem:1G,trace=" + file + "' is not a directory",
                assertThrows(IllegalArgumentException.class, () -> Devices.open("mem:1G,trace=" + file)).getMessage());
        assertEquals("trace directory " + busy + " in spec 'mem:1G,trace=" + busy
                        + "' is not empty (it may hold a trace already); give a new directory",
                assertThrows(IllegalArgumentException.class, () -> Devices.open("mem:1G,trace=" + busy)).getMessage());
        assertEquals("bad value 'all' for trace-data in spec 'mem:1G,trace=" + fresh + ",trace-data=all'; expected none, checksum or full",
                assertThrows(IllegalArgumentException.class, () -> Devices.open("mem:1G,trace=" + fresh + ",trace-data=all")).getMessage());
        assertEquals("option 'trace-data' needs 'trace=DIR' in spec 'mem:1G,trace-data=full'",
                assertThrows(IllegalArgumentException.class, () -> Devices.open("mem:1G,trace-data=full")).getMessage());
        // Past those checks (a mkdir that fails where the parent looks writable, as in /proc), the reason in words:
        // the JDK's exceptions often carry only the path.
        assertEquals("cannot create the directory (no such file or directory)", TraceWriter.reason(new NoSuchFileException("/proc/x")));
        assertEquals("operation not permitted", TraceWriter.reason(new FileSystemException("/sys/x", null, "Operation not permitted")));
        assertEquals("permission denied", TraceWriter.reason(new AccessDeniedException("/x")));
        assertFalse(Files.exists(fresh), "a refused spec creates nothing");
    }

    @Test
    void tracingAllocatesNothingPerIo() throws Exception {
        for (String data : new String[] {"none", "checksum", "full"}) {
            Path dir = Files.createTempDirectory(tmp, "alloc");
            assertEquals(0, ZeroAllocationTest.allocatedBy("mem:64M,latency=0us,faults=0.01,trace=" + dir + ",trace-data=" + data, 120_000),
                    "bytes allocated by the I/O thread with trace-data=" + data);
        }
        Path dir = Files.createTempDirectory(tmp, "alloc");
        assertEquals(0, ZeroAllocationTest.allocatedBy("mem:64M,trace=" + dir, 120_000), "inline completions, traced");
    }
}
