package io.tensorplane.engine.emulation;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.Io;
import io.tensorplane.engine.IoChannel;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmulationTest {
    private static BitSet faultPattern(String spec, int ops) {
        BitSet failed = new BitSet();
        try (BlockDevice dev = Devices.open(spec); IoChannel ch = dev.openChannel()) {
            ByteBuffer b = Io.buffer(4096);
            long addr = BufferUtil.address(b);
            int[] last = new int[1];
            for (int i = 0; i < ops; i++) {
                long off = (i % 1000) * 4096L;
                switch (i % 3) {
                    case 0: ch.write(off, 4096, addr, 0, (t, r) -> last[0] = r, i); break;
                    case 1: ch.read(off, 4096, addr, (t, r) -> last[0] = r, i); break;
                    default: ch.flush((t, r) -> last[0] = r, i); break;
                }
                if (last[0] == -Errno.EIO) {
                    failed.set(i);
                }
            }
            Reference.reachabilityFence(b);
        }
        return failed;
    }

    @Test
    void faultsAreDeterministicForASeed() {
        BitSet a = faultPattern("mem:16M,faults=0.1,seed=42", 30_000);
        BitSet b = faultPattern("mem:16M,faults=0.1,seed=42", 30_000);
        BitSet c = faultPattern("mem:16M,faults=0.1,seed=43", 30_000);
        assertEquals(a, b, "same seed, same faults");
        assertNotEquals(a, c, "another seed, other faults");
        assertTrue(a.cardinality() > 2_600 && a.cardinality() < 3_400, "about 10 % faults: " + a.cardinality());
        assertEquals(0, faultPattern("mem:16M,faults=0,seed=42", 3_000).cardinality());
        assertEquals(3_000, faultPattern("null:16M,faults=1", 3_000).cardinality());
    }

    @Test
    void anInjectedFaultDoesNotTouchTheBackend() {
        try (BlockDevice mem = Devices.open("mem:16M")) {
            BlockDevice faulty = new FaultDevice(mem, 1.0, 1);
            ByteBuffer data = Io.pattern(8192, 5);
            try (Io f = new Io(faulty.openChannel()); Io m = new Io(mem.openChannel())) {
                assertEquals(-Errno.EIO, f.write(0, 8192, data));
                assertEquals(-Errno.EIO, f.flush());
                ByteBuffer in = Io.filled(8192, (byte) 1);
                assertEquals(-Errno.EIO, f.read(0, 8192, in));
                for (int i = 0; i < 8192; i++) {
                    assertEquals(1, in.get(i), "a failed read leaves the buffer alone");
                }
                assertEquals(8192, m.read(0, 8192, in));
                assertTrue(Io.allZero(in, 8192), "a failed write left the backend untouched");
                assertEquals(8192, m.write(0, 8192, data));
                assertEquals(-Errno.EIO, f.discard(0, 8192));
                assertEquals(8192, m.read(0, 8192, in));
                Io.assertSame(data, in, 8192, "a failed discard left the data");
                assertEquals(-Errno.EINVAL, f.write(16L << 20, 4096, data), "range errors win over injected faults");
            }
        }
    }

    @Test
    void latencyDefersTheCompletionUntilPollWhenDue() {
        try (BlockDevice dev = Devices.open("null:1G,latency=20ms"); IoChannel ch = dev.openChannel()) {
            ByteBuffer b = Io.buffer(4096);
            int[] result = {Integer.MIN_VALUE};
            long start = System.nanoTime();
            ch.read(0, 4096, BufferUtil.address(b), (t, r) -> result[0] = r, 1);
            assertEquals(Integer.MIN_VALUE, result[0], "not completed inline");
            assertEquals(1, ch.inFlight());
            assertEquals(0, ch.poll(), "not due yet");
            assertEquals(Integer.MIN_VALUE, result[0]);
            while (result[0] == Integer.MIN_VALUE) {
                ch.poll();
            }
            long elapsed = System.nanoTime() - start;
            assertEquals(4096, result[0]);
            assertTrue(elapsed >= 20_000_000, "delivered after " + elapsed + " ns");
            Reference.reachabilityFence(b);
            assertEquals(0, ch.inFlight());
        }
    }

    @Test
    void completionsComeOutInDueOrderWithJitter() {
        try (BlockDevice dev = Devices.open("null:1G,latency=100us,jitter=2ms,seed=9"); IoChannel ch = dev.openChannel()) {
            int n = 2000;
            long[] submitted = new long[n];
            long[] delivered = new long[n];
            for (int i = 0; i < n; i++) {
                submitted[i] = System.nanoTime();
                ch.flush((t, r) -> delivered[(int) t] = System.nanoTime(), i);
            }
            while (ch.inFlight() > 0) {
                ch.poll();
            }
            long min = Long.MAX_VALUE;
            long max = 0;
            for (int i = 0; i < n; i++) {
                long lat = delivered[i] - submitted[i];
                assertTrue(lat >= 100_000, "latency " + lat + " ns of flush " + i + " is at least the base");
                min = Math.min(min, lat);
                max = Math.max(max, lat);
            }
            assertTrue(max - min > 1_000_000, "jitter spreads latencies: " + min + " .. " + max);
        }
    }

    /**
     * The timer heap delivers every completion that is due at a poll: the test recomputes each
     * operation's jitter from the seed (same SplitMix64 stream as the device's first channel), bounds
     * its due time from above, and checks that no poll that started after it leaves it undelivered.
     */
    @Test
    void everyPollDeliversEverythingThatIsDue() {
        long seed = 77;
        long base = 50_000;
        long jitter = 3_000_000;
        int n = 600;
        try (BlockDevice dev = new LatencyDevice(Devices.open("null:1G"), LatencyModel.fixed(base).withJitter(jitter), seed);
             IoChannel ch = dev.openChannel()) {
            SplitMix64 replica = new SplitMix64(~seed, 0);
            long[] latestDue = new long[n];
            boolean[] delivered = new boolean[n];
            for (int i = 0; i < n; i++) {
                ch.flush((t, r) -> delivered[(int) t] = true, i);
                latestDue[i] = System.nanoTime() + base + replica.nextLong(jitter);
            }
            int remaining = n;
            while (remaining > 0) {
                long pollStart = System.nanoTime();
                remaining -= ch.poll();
                for (int i = 0; i < n; i++) {
                    if (!delivered[i] && latestDue[i] <= pollStart) {
                        throw new AssertionError("flush " + i + " was due before a poll that did not deliver it");
                    }
                }
            }
            assertEquals(0, ch.inFlight());
        }
    }

    @Test
    void callbacksMaySubmitAgainFromPoll() {
        try (BlockDevice dev = Devices.open("mem:16M,latency=1us"); IoChannel ch = dev.openChannel()) {
            ByteBuffer b = Io.buffer(4096);
            long addr = BufferUtil.address(b);
            int[] done = new int[1];
            io.tensorplane.engine.IoCompletion[] again = new io.tensorplane.engine.IoCompletion[1];
            again[0] = (t, r) -> {
                assertEquals(4096, r);
                if (++done[0] < 1000) {
                    ch.read((t % 100) * 4096, 4096, addr, again[0], t + 1);
                }
            };
            ch.read(0, 4096, addr, again[0], 0);
            while (done[0] < 1000) {
                ch.poll();
            }
            Reference.reachabilityFence(b);
            assertEquals(0, ch.inFlight());
        }
    }

    @Test
    void presetsHaveTheAdvertisedLatency() {
        assertEquals(7_000, LatencyModel.optane().baseNanos(io.tensorplane.engine.IoOp.READ, 4096));
        assertEquals(60_000, LatencyModel.nand().baseNanos(io.tensorplane.engine.IoOp.READ, 4096));
        assertTrue(LatencyModel.nand().baseNanos(io.tensorplane.engine.IoOp.READ, 128 * 1024) > 60_000);
    }
}
