package io.tensorplane.engine.backend;

import io.tensorplane.engine.Devices;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.Io;
import io.tensorplane.engine.IoChannel;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemDeviceTest {
    private static final long MIB = 1 << 20;

    @Test
    void aTerabyteDeviceCostsOnlyWhatIsWritten() {
        try (MemDevice dev = (MemDevice) Devices.open("mem:1T"); Io io = new Io(dev.openChannel())) {
            assertEquals(0, dev.allocatedBytes());
            ByteBuffer b = Io.pattern(4096, 1);
            assertEquals(4096, io.write(0, 4096, b));
            assertEquals(4096, io.write(512L << 30, 4096, b));
            assertEquals(4096, io.write((1L << 40) - 4096, 4096, b));
            assertEquals(3 * MIB, dev.allocatedBytes(), "three chunks for three scattered writes");
            assertEquals(4096, io.write(4096, 4096, b));
            assertEquals(3 * MIB, dev.allocatedBytes(), "a second write into a chunk allocates nothing");

            assertEquals(0, io.discard(512L << 30, MIB));
            assertEquals(2 * MIB, dev.allocatedBytes(), "discarding a whole chunk frees it");
            assertEquals(0, io.writeZeroes((1L << 40) - MIB, MIB));
            assertEquals(MIB, dev.allocatedBytes(), "write-zeroes of a whole chunk frees it");
            assertEquals(0, io.discard(0, 4096));
            assertEquals(MIB, dev.allocatedBytes(), "a partial discard zeroes but keeps the chunk");
            ByteBuffer in = Io.filled(8192, (byte) 1);
            assertEquals(8192, io.read(0, 8192, in));
            assertTrue(Io.allZero(in, 4096));
            Io.assertSame(b, in.duplicate().position(4096).slice(), 4096, "the block after the partial discard");
            assertEquals(0, io.discard(0, 1L << 40));
            assertEquals(0, dev.allocatedBytes(), "discarding the device frees everything");
            io.assertAllCompletedOnce();
        }
    }

    /** Unwritten and discarded blocks inside a chunk read as zeros, written ones as data, in any mix. */
    @Test
    void blocksOfAChunkReadBackAsWrittenOrZeros() {
        for (int bs : new int[] {512, 4096}) {
            try (MemDevice dev = (MemDevice) Devices.open("mem:4M,bs=" + bs); Io io = new Io(dev.openChannel())) {
                int span = 64 * bs; // crosses bitmap words for both block sizes
                long base = MIB - span / 2; // and a chunk boundary
                ByteBuffer data = Io.pattern(bs, 3);
                ByteBuffer expected = Io.buffer(2 * span);
                for (int b = 0; b < 2 * span / bs; b++) {
                    if (b % 3 == 0 || (b >= 20 && b < 90)) {
                        assertEquals(bs, io.write(base + (long) b * bs, bs, data));
                        expected.put(b * bs, data, 0, bs);
                    }
                }
                assertEquals(0, io.discard(base + 40L * bs, 30L * bs));
                for (int i = 40 * bs; i < 70 * bs; i++) {
                    expected.put(i, (byte) 0);
                }
                assertEquals(bs, io.write(base + 50L * bs, bs, data));
                expected.put(50 * bs, data, 0, bs);
                ByteBuffer in = Io.filled(2 * span, (byte) 0x5A);
                assertEquals(2 * span, io.read(base, 2 * span, in));
                Io.assertSame(expected, in, 2 * span, "mixed blocks with bs " + bs);
                for (int b = 0; b < 2 * span / bs; b++) {
                    ByteBuffer one = Io.filled(bs, (byte) 0x5A);
                    assertEquals(bs, io.read(base + (long) b * bs, bs, one));
                    Io.assertSame(expected.duplicate().position(b * bs).slice(), one, bs, "block " + b + " with bs " + bs);
                }
                io.assertAllCompletedOnce();
            }
        }
    }

    @Test
    void writesBeyondTheLimitFailWithEnospcAndWriteNothing() {
        try (MemDevice dev = (MemDevice) Devices.open("mem:16M,limit=2M"); Io io = new Io(dev.openChannel())) {
            ByteBuffer b = Io.pattern(8192, 2);
            assertEquals(8192, io.write(0, 8192, b));
            assertEquals(8192, io.write(5 * MIB, 8192, b));
            assertEquals(-Errno.ENOSPC, io.write(9 * MIB, 8192, b), "a third chunk exceeds the 2 MiB limit");
            // a write that spans an allocated and a missing chunk writes nothing at all
            assertEquals(-Errno.ENOSPC, io.write(6 * MIB - 4096, 8192, b));
            ByteBuffer in = Io.filled(8192, (byte) 1);
            assertEquals(8192, io.read(6 * MIB - 4096, 8192, in));
            assertTrue(Io.allZero(in, 8192), "the failed write left no data");
            assertEquals(2 * MIB, dev.allocatedBytes());
            assertEquals(0, io.discard(0, MIB));
            assertEquals(8192, io.write(9 * MIB, 8192, b), "after a discard there is room again");
            io.assertAllCompletedOnce();
        }
    }

    /**
     * Stress of chunk reclamation: readers and writers copy from and to chunks that discarders free at
     * the same time. Freed memory must never be touched (it would crash the JVM: 1 MiB chunks are
     * unmapped when freed); reads see either data or zeros, never anything else.
     */
    @Test
    void concurrentDiscardsWhileOthersReadAndWriteTheSameChunks() throws Exception {
        try (MemDevice dev = (MemDevice) Devices.open("mem:8M")) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong ops = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final int id = t;
                threads.add(new Thread(() -> {
                    IoChannel ch = dev.openChannel();
                    ByteBuffer buf = Io.buffer((int) MIB);
                    long addr = BufferUtil.address(buf);
                    byte mark = (byte) (0x10 + id);
                    for (int i = 0; i < (int) MIB; i++) {
                        buf.put(i, mark);
                    }
                    int[] result = new int[1];
                    long n = 0;
                    try {
                        while (!stop.get()) {
                            long chunk = (n * 7 + id) % 8;
                            switch (id) {
                                case 0:
                                case 1:
                                    ch.write(chunk * MIB, (int) MIB, addr, 0, (tag, r) -> result[0] = r, n);
                                    check(result[0] == MIB, "write result " + result[0]);
                                    break;
                                case 2:
                                    ch.discard(chunk * MIB, MIB, (tag, r) -> result[0] = r, n);
                                    check(result[0] == 0, "discard result " + result[0]);
                                    break;
                                default:
                                    ch.read(chunk * MIB, (int) MIB, addr, (tag, r) -> result[0] = r, n);
                                    check(result[0] == MIB, "read result " + result[0]);
                                    for (int i = 0; i < MIB; i += 4096) {
                                        byte v = buf.get(i);
                                        check(v == 0 || v == 0x10 || v == 0x11, "read byte " + v);
                                    }
                                    break;
                            }
                            n++;
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        ch.close();
                        ops.addAndGet(n);
                        Reference.reachabilityFence(buf);
                    }
                }, "mem-stress-" + t));
            }
            threads.forEach(Thread::start);
            Thread.sleep(1500);
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
            assertNull(failure.get(), () -> "stress failure: " + failure.get());
            assertTrue(ops.get() > 100, "ops done: " + ops.get());
            assertTrue(dev.allocatedBytes() <= 8 * MIB, "allocated " + dev.allocatedBytes());
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
