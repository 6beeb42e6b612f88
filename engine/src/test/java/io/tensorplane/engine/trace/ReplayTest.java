package io.tensorplane.engine.trace;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.Io;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.engine.IoOp;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replay keeps each queue's operation sequence and, for the same trace and seed, the same emulated
 * latencies on every run; it honours recorded completion order, timing and data.
 */
class ReplayTest {
    @TempDir
    static Path tmp;
    static Trace recorded;

    /**
     * Two queues, eight I/Os in flight each, mixed operations, on an emulated device so they overlap. A queue writes
     * about 12 MiB, less than its channel's 16 MiB data ring, so nothing is dropped however little CPU the trace
     * writer gets (with 16 KiB writes too, on a loaded 2-core machine, up to a fifth of the records were dropped, as
     * designed: the I/O thread never waits for the writer).
     */
    @BeforeAll
    static void record() throws Exception {
        Path dir = tmp.resolve("recorded");
        try (BlockDevice dev = Devices.open("mem:64M,latency=20us,jitter=30us,seed=3,trace=" + dir + ",trace-data=full")) {
            List<Thread> threads = new ArrayList<>();
            for (int q = 0; q < 2; q++) {
                int queue = q;
                threads.add(new Thread(() -> workload(dev, queue, 3000), "rec-q" + q));
            }
            for (Thread t : threads) {
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        recorded = Trace.read(dir, null);
        assertEquals(6000, recorded.records());
        assertEquals(0, recorded.dropped());
    }

    /** Keeps 8 I/Os in flight: writes, reads of what was written, a flush every 64, a discard every 128. */
    static void workload(BlockDevice dev, int queue, int ios) {
        int qd = 8;
        ByteBuffer mem = BufferUtil.allocateDirectAligned(qd * 16384, 4096);
        long base = BufferUtil.address(mem);
        for (int i = 0; i < qd * 16384; i += 8) {
            mem.putLong(i, i * 0x9E3779B97F4A7C15L + queue);
        }
        int[] inFlight = {0};
        int[] free = new int[qd];
        int[] nfree = {qd};
        for (int i = 0; i < qd; i++) {
            free[i] = i;
        }
        IoCompletion done = (tag, result) -> {
            inFlight[0]--;
            free[nfree[0]++] = (int) tag;
        };
        long region = queue * (32L << 20);
        try (IoChannel ch = dev.openChannel()) {
            for (int i = 0; i < ios; i++) {
                while (nfree[0] == 0) {
                    ch.poll();
                }
                int slot = free[--nfree[0]];
                inFlight[0]++;
                long off = region + ((i * 7919L) % 2000) * 4096;
                int len = 4096 << (i % 2);
                if (i % 128 == 127) {
                    ch.discard(off, 8192, done, slot);
                } else if (i % 64 == 63) {
                    ch.flush(done, slot);
                } else if (i % 3 == 0) {
                    ch.read(off, len, base + slot * 16384L, done, slot);
                } else {
                    ch.write(off, len, base + slot * 16384L, i % 5 == 0 ? IoChannel.FLAG_FUA : 0, done, slot);
                }
                ch.poll();
            }
            while (inFlight[0] > 0) {
                ch.poll();
            }
        }
    }

    private static Replay.Result replay(String spec, String timing, boolean verify) throws Exception {
        try (BlockDevice dev = Devices.open(spec)) {
            return Replay.run(recorded, dev, new Replay.Options().timing(timing).verify(verify));
        }
    }

    /** The operations a channel issued, in order: op, offset, length, flags. */
    private static List<String> operations(Trace.Channel c) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < c.count(); i++) {
            out.add(c.op(i) + " " + c.offset(i) + " " + c.length(i) + " " + c.ioFlags(i));
        }
        return out;
    }

    private static List<Long> emulated(Trace.Channel c) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < c.count(); i++) {
            out.add(c.emulatedNanos(i));
        }
        return out;
    }

    @Test
    void theSameTraceAndSeedGiveTheSameOperationsAndEmulatedLatenciesEveryRun() throws Exception {
        Path a = tmp.resolve("replay-a");
        Path b = tmp.resolve("replay-b");
        Replay.Result ra = replay("mem:64M,latency=nand,seed=7,trace=" + a, "max", false);
        Replay.Result rb = replay("mem:64M,latency=nand,seed=7,trace=" + b, "max", false);
        Trace ta = Trace.read(a, null);
        Trace tb = Trace.read(b, null);
        assertEquals(2, ta.channels().size());
        for (int q = 0; q < 2; q++) {
            Trace.Channel original = recorded.channels().get(q);
            Trace.Channel first = ta.channels().get(q);
            Trace.Channel second = tb.channels().get(q);
            assertEquals("replay-q" + q, first.origin());
            assertEquals(operations(original), operations(first), "queue " + q + " replays the recorded operations in order");
            assertEquals(operations(first), operations(second), "queue " + q + ": the same operations on every run");
            List<Long> e = emulated(first);
            assertEquals(e, emulated(second), "queue " + q + ": the same emulated latencies on every run");
            assertTrue(e.stream().allMatch(n -> n >= 20_000), "nand latencies were drawn: " + e.subList(0, 5));
            assertTrue(e.stream().distinct().count() > 100, "with jitter: many different latencies");
        }
        assertEquals(ra.sequenceDigest(), rb.sequenceDigest());
        assertEquals(ra.emulationDigest(), rb.emulationDigest());

        Replay.Result other = replay("mem:64M,latency=nand,seed=8", "max", false);
        assertEquals(ra.sequenceDigest(), other.sequenceDigest(), "the operations do not depend on the seed");
        assertNotEquals(ra.emulationDigest(), other.emulationDigest(), "another seed draws other latencies");
        Replay.Result plain = replay("mem:64M", "max", false);
        assertEquals(ra.sequenceDigest(), plain.sequenceDigest());
        assertEquals(0, plain.emulationDigest(), "nothing emulated, nothing drawn");
    }

    @Test
    void anIoWaitsForWhatCompletedBeforeItWasSubmitted() throws Exception {
        Path dir = tmp.resolve("deps");
        replay("mem:64M,latency=200us,trace=" + dir, "max", false);
        Trace t = Trace.read(dir, null);
        int checked = 0;
        long crossed = 0;
        for (int q = 0; q < 2; q++) {
            Trace.Channel rec = recorded.channels().get(q);
            Trace.Channel rep = t.channels().get(q);
            int depth = 0;
            for (int i = 1; i < rec.count(); i++) {
                // every earlier I/O that had completed before i was submitted has completed before i is replayed
                for (int j = Math.max(0, i - 16); j < i; j++) {
                    if (rec.completeNanos(j) <= rec.submitNanos(i)) {
                        assertTrue(rep.completeNanos(j) <= rep.submitNanos(i) + 1, "queue " + q + ": " + j + " before " + i);
                        checked++;
                    }
                }
                int inFlight = 0;
                for (int j = Math.max(0, i - 64); j < i; j++) {
                    if (rep.completeNanos(j) > rep.submitNanos(i)) {
                        inFlight++;
                    }
                }
                depth = Math.max(depth, inFlight + 1);
            }
            assertTrue(depth <= 8, "queue " + q + " never deeper than recorded (8): " + depth);
            assertTrue(depth >= 4, "queue " + q + " keeps a recorded depth on a slower device: " + depth);
            // and every I/O of the other queue (on the other replay thread) that had completed before it
            Trace.Channel otherRec = recorded.channels().get(1 - q);
            Trace.Channel otherRep = t.channels().get(1 - q);
            for (int i = 0; i < rec.count(); i++) {
                for (int j = 0; j < otherRec.count(); j++) {
                    if (otherRec.completeNanos(j) <= rec.submitNanos(i)) {
                        assertTrue(otherRep.completeNanos(j) <= rep.submitNanos(i) + 1,
                                "queue " + (1 - q) + " #" + j + " before queue " + q + " #" + i);
                        crossed++;
                    }
                }
            }
        }
        assertTrue(checked > 10_000, "dependencies checked: " + checked);
        // (of the 3000 x 3000 pairs nearly all are ordered one way or the other, however the two queues overlapped)
        assertTrue(crossed > 4_000_000, "cross-queue dependencies checked: " + crossed);
    }

    @Test
    void verifyChecksTheDataReadAgainstTheRecording() throws Exception {
        Replay.Result good = replay("mem:64M", "max", true);
        assertTrue(good.verified() > 1000, "reads verified: " + good.verified());
        assertEquals(0, good.mismatchCount());
        assertEquals(0, good.unverifiable(), "full data: every read can be checked");
        assertEquals(0, good.resultsDiffering());

        Replay.Result lossy = replay("null:64M", "max", true);
        assertTrue(lossy.mismatchCount() > 10, "null drops writes, so reads do not match: " + lossy.mismatchCount());
        assertTrue(lossy.mismatches().size() <= 10 && !lossy.mismatches().isEmpty());
    }

    /**
     * Queue 1 writes a block, then (after that write completed) queue 0 reads it: the replay, one thread per
     * queue, issues the read only after the write completed, although queue 0 has nothing else to wait for
     * and the write is slow (ext4 on a two-queue ublk disk records this pattern).
     */
    @Test
    void aReadWaitsForAnotherQueuesWriteThatCompletedBeforeIt() throws Exception {
        for (String data : new String[] {"full", "checksum"}) {
            Path dir = tmp.resolve("cross-" + data);
            try (BlockDevice dev = Devices.open("mem:1M,trace-data=" + data + ",trace=" + dir);
                 Io q0 = new Io(dev.openChannel()); Io q1 = new Io(dev.openChannel())) {
                ByteBuffer b = ByteBuffer.allocateDirect(4096);
                for (int i = 0; i < 4096; i += 8) {
                    b.putLong(i, 0x1234_5678_9ABC_DEF1L * (i + 1));
                }
                q1.write(8192, 4096, b);
                q0.read(8192, 4096, ByteBuffer.allocateDirect(4096));
            }
            Trace t = Trace.read(dir, null);
            assertEquals(2, t.busyChannels().size());
            try (BlockDevice dev = Devices.open("mem:1M,latency=20ms")) {
                Replay.Result r = Replay.run(t, dev, new Replay.Options().timing("max").verify(true));
                assertEquals(2, r.threads());
                assertEquals(0, r.mismatchCount(), data + ": " + r.mismatches());
                if (data.equals("full")) {
                    assertEquals(1, r.verified(), "the read returns what the other queue's write wrote");
                } else {
                    // the write carried no data (a pattern), written by the other replay thread
                    assertEquals(1, r.unverifiable(), "the read of the other queue's pattern is not checkable");
                }
                Replay.OpResult read = r.ops().stream().filter(o -> o.op() == IoOp.READ).findFirst().orElseThrow();
                assertEquals(1, read.replayed().count());
                assertTrue(r.seconds() >= 0.04, "the read waited for the 20 ms write, then took 20 ms: " + r.seconds());
            }
        }
    }

    @Test
    void timingKeepsTheRecordedGapsOrScalesThem() throws Exception {
        Path dir = tmp.resolve("gap");
        try (BlockDevice dev = Devices.open("mem:1M,trace=" + dir); Io io = new Io(dev.openChannel())) {
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            io.write(0, 4096, b);
            Thread.sleep(300);
            io.read(0, 4096, b);
        }
        Trace t = Trace.read(dir, null);
        double[] seconds = new double[3];
        String[] timings = {"original", "scale=0.25", "max"};
        for (int k = 0; k < 3; k++) {
            try (BlockDevice dev = Devices.open("mem:1M")) {
                seconds[k] = Replay.run(t, dev, new Replay.Options().timing(timings[k])).seconds();
            }
        }
        assertTrue(seconds[0] >= 0.3, "original keeps the 300 ms gap: " + seconds[0]);
        assertTrue(seconds[1] >= 0.075 && seconds[1] < 0.3, "scale=0.25 shrinks it: " + seconds[1]);
        assertTrue(seconds[2] < 0.075, "max ignores it: " + seconds[2]);
    }

    @Test
    void fewerReplayThreadsThanQueuesStillReplayEverything() throws Exception {
        try (BlockDevice dev = Devices.open("mem:64M")) {
            Replay.Result r = Replay.run(recorded, dev, new Replay.Options().timing("max").queues(1).verify(true));
            assertEquals(1, r.threads());
            assertEquals(2, r.queues());
            assertEquals(6000, r.ios());
            assertEquals(0, r.mismatchCount());
            Replay.OpResult reads = r.ops().stream().filter(o -> o.op() == IoOp.READ).findFirst().orElseThrow();
            assertEquals(reads.recorded().count(), reads.replayed().count());
            assertTrue(reads.replayed().count() > 1500, "reads: " + reads.replayed().count());
        }
    }

    @Test
    void badRequestsAreRefusedWithTheReason() throws Exception {
        try (BlockDevice small = Devices.open("mem:1M")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Replay.run(recorded, small, new Replay.Options()));
            assertTrue(e.getMessage().contains("replay against a device at least as large as 67108864"), e.getMessage());
        }
        assertEquals("bad timing 'fast'; expected original, max or scale=X",
                assertThrows(IllegalArgumentException.class, () -> new Replay.Options().timing("fast")).getMessage());
        assertEquals("bad timing 'scale=-1': scale=X needs a positive number, e.g. scale=0.5",
                assertThrows(IllegalArgumentException.class, () -> new Replay.Options().timing("scale=-1")).getMessage());
        Path plain = tmp.resolve("plain");
        try (BlockDevice dev = Devices.open("mem:1M,trace=" + plain); Io io = new Io(dev.openChannel())) {
            io.read(0, 4096, ByteBuffer.allocateDirect(4096));
        }
        Trace t = Trace.read(plain, null);
        try (BlockDevice dev = Devices.open("mem:1M")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Replay.run(t, dev, new Replay.Options().verify(true)));
            assertTrue(e.getMessage().startsWith("--verify needs a trace recorded with trace-data=checksum"), e.getMessage());
        }
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals("no trace in " + empty + " (no Chronicle Queue with a trace start)",
                assertThrows(IllegalArgumentException.class, () -> Trace.read(empty, null)).getMessage());
    }
}
