package io.tensorplane.engine;

import org.agrona.BufferUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one contract every {@link BlockDevice} passes: backends ({@code null}, {@code mem}, {@code file})
 * and decorators (latency, faults, metrics). Subclasses open the device and say what it promises.
 */
public abstract class BlockDeviceContractTest {
    protected BlockDevice device;
    protected Io io;
    protected int bs;
    protected long size;

    /** Opens a fresh device of at least 16 MiB. */
    protected abstract BlockDevice open() throws Exception;

    /** Whether data written is read back (false for {@code null}, which drops writes). */
    protected boolean keepsData() {
        return true;
    }

    @BeforeEach
    void setUp() throws Exception {
        device = open();
        bs = device.blockSize();
        size = device.sizeBytes();
        io = new Io(device.openChannel());
    }

    @AfterEach
    void tearDown() {
        try {
            if (io != null) {
                io.assertAllCompletedOnce();
                io.close();
            }
        } finally {
            device.close();
        }
    }

    @Test
    void geometryIsConsistent() {
        assertTrue(bs == 512 || bs == 4096, "block size " + bs);
        assertTrue(size > 0 && size % bs == 0, "size " + size + " is a positive multiple of " + bs);
        assertEquals(0, io.channel().inFlight());
        Capabilities c = device.capabilities();
        assertEquals(bs, c.logicalBlockSize(), "capabilities agree with blockSize()");
        assertTrue(c.physicalBlockSize() >= bs && c.physicalBlockSize() % bs == 0, c.toString());
        assertTrue(c.maxWriteZeroesBytes() >= bs, c.toString());
        if (c.discard()) {
            assertTrue(c.discardGranularity() >= bs && c.maxDiscardBytes() >= c.discardGranularity(), c.toString());
        } else {
            assertEquals(false, c.discardZeroes(), "no discard, so no promise about it: " + c);
        }
    }

    @Test
    void unwrittenBlocksReadAsZeros() {
        ByteBuffer b = Io.filled(64 * 1024, (byte) 0x5A);
        assertEquals(64 * 1024, io.read(0, 64 * 1024, b));
        assertTrue(Io.allZero(b, 64 * 1024), "fresh device reads zeros");
        assertEquals(bs, io.read(size - bs, bs, b));
    }

    @Test
    void writtenDataReadsBack() {
        int[] lengths = {bs, 4096, 8192, 64 * 1024, 1 << 20};
        // Offsets include one that straddles a 1 MiB boundary (a mem chunk boundary) and the last blocks.
        long[] offsets = {0, (1 << 20) - 4096, 3L << 20, size - (1 << 20)};
        long seed = 1;
        for (long offset : offsets) {
            for (int length : lengths) {
                if (offset + length > size) {
                    continue;
                }
                ByteBuffer out = Io.pattern(length, seed++);
                assertEquals(length, io.write(offset, length, out), "write " + length + " at " + offset);
                ByteBuffer in = Io.filled(length, (byte) 0x5A);
                assertEquals(length, io.read(offset, length, in), "read " + length + " at " + offset);
                if (keepsData()) {
                    Io.assertSame(out, in, length, "read back " + length + " at " + offset);
                } else {
                    assertTrue(Io.allZero(in, length), "a device that drops writes reads zeros");
                }
            }
        }
    }

    @Test
    void flushAndFuaWriteComplete() {
        ByteBuffer out = Io.pattern(8192, 7);
        assertEquals(8192, io.write(8192, 8192, out));
        assertEquals(0, io.flush());
        assertEquals(8192, io.write(16384, 8192, out, IoChannel.FLAG_FUA));
        ByteBuffer in = Io.buffer(8192);
        assertEquals(8192, io.read(16384, 8192, in));
        if (keepsData()) {
            Io.assertSame(out, in, 8192, "FUA write read back");
        }
    }

    @Test
    void discardReadsZerosWhereThePromiseIsMade() {
        int len = 3 << 20;
        long offset = (1 << 20) - 8192; // partial chunk, two whole chunks, partial chunk
        ByteBuffer out = Io.pattern(len, 3);
        assertEquals(len, io.write(offset, len, out));
        Capabilities c = device.capabilities();
        // A device that cannot discard says so, for the I/O and in its capabilities, instead of ignoring it.
        assertEquals(c.discard() ? 0 : -Errno.EOPNOTSUPP, io.discard(offset + 4096, len - 8192), c.toString());
        ByteBuffer in = Io.filled(len, (byte) 0x5A);
        assertEquals(len, io.read(offset, len, in));
        if (c.discardZeroes()) {
            assertTrue(Io.allZero(in.duplicate().position(4096).slice(), len - 8192), "discarded range reads zeros");
        }
        if (keepsData()) {
            // the blocks on either side of the discarded range are intact
            for (int i = 0; i < 4096; i++) {
                assertEquals(out.get(i), in.get(i), "byte " + i + " before the discarded range");
                assertEquals(out.get(len - 4096 + i), in.get(len - 4096 + i), "byte after the discarded range");
            }
        }
    }

    @Test
    void writeZeroesReadsZeros() {
        int len = 3 << 20;
        long offset = (2 << 20) - 4096;
        ByteBuffer out = Io.pattern(len, 4);
        assertEquals(len, io.write(offset, len, out));
        assertEquals(0, io.writeZeroes(offset + bs, len - 2L * bs));
        ByteBuffer in = Io.filled(len, (byte) 0x5A);
        assertEquals(len, io.read(offset, len, in));
        assertTrue(Io.allZero(in.duplicate().position(bs).slice(), len - 2 * bs), "write-zeroes range reads zeros");
        if (keepsData()) {
            for (int i = 0; i < bs; i++) {
                assertEquals(out.get(i), in.get(i), "byte " + i + " before the zeroed range");
                assertEquals(out.get(len - bs + i), in.get(len - bs + i), "byte after the zeroed range");
            }
        }
    }

    @Test
    void outOfRangeAndMisalignedIoFailsWithEinvalAndTouchesNothing() {
        int len = 8192;
        ByteBuffer data = Io.pattern(len, 5);
        long last = size - len;
        assertEquals(len, io.write(last, len, data));
        assertEquals(len, io.write(0, len, data));

        ByteBuffer junk = Io.filled(2 * len, (byte) 0x77);
        long[][] bad = {
            {size, bs}, {size - bs, 2L * bs}, {-bs, bs}, {1, bs}, {bs, 100}, {last + 1, len},
            {Long.MAX_VALUE - bs + 1, bs}, {size + (1L << 40), bs},
        };
        for (long[] r : bad) {
            int n = (int) r[1];
            assertEquals(-Errno.EINVAL, io.write(r[0], n, junk), "write " + n + " at " + r[0]);
            ByteBuffer untouched = Io.filled(n, (byte) 0x33);
            assertEquals(-Errno.EINVAL, io.read(r[0], n, untouched), "read " + n + " at " + r[0]);
            for (int i = 0; i < n; i++) {
                assertEquals((byte) 0x33, untouched.get(i), "a rejected read wrote to the buffer");
            }
            assertEquals(-Errno.EINVAL, io.discard(r[0], n), "discard " + n + " at " + r[0]);
            assertEquals(-Errno.EINVAL, io.writeZeroes(r[0], n), "write-zeroes " + n + " at " + r[0]);
        }
        ByteBuffer in = Io.buffer(len);
        assertEquals(len, io.read(last, len, in));
        if (keepsData()) {
            Io.assertSame(data, in, len, "last blocks after rejected I/O");
        }
        assertEquals(len, io.read(0, len, in));
        if (keepsData()) {
            Io.assertSame(data, in, len, "first blocks after rejected I/O");
        }
    }

    @Test
    void concurrentWritersOnDisjointRangesEachOnTheirOwnChannel() throws Exception {
        int threads = 4;
        int ioSize = 16 * 1024;
        long region = Math.min(size / threads, 4L << 20) / ioSize * ioSize;
        int ios = (int) (region / ioSize);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int id = t;
                futures.add(pool.submit(() -> {
                    try (Io mine = new Io(device.openChannel())) {
                        int discarded = device.capabilities().discard() ? 0 : -Errno.EOPNOTSUPP;
                        start.await();
                        ByteBuffer out = Io.buffer(ioSize);
                        for (int round = 0; round < 3; round++) {
                            for (int i = 0; i < ios; i++) {
                                long off = id * region + (long) i * ioSize;
                                fillTagged(out, ioSize, id, i, round);
                                assertEquals(ioSize, mine.write(off, ioSize, out));
                                if (i % 16 == 0) {
                                    // exercise chunk freeing under concurrency too
                                    assertEquals(discarded, mine.discard(off, ioSize));
                                    assertEquals(ioSize, mine.write(off, ioSize, out));
                                }
                            }
                        }
                        mine.assertAllCompletedOnce();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        ByteBuffer expect = Io.buffer(ioSize);
        ByteBuffer in = Io.buffer(ioSize);
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < ios; i++) {
                long off = t * region + (long) i * ioSize;
                assertEquals(ioSize, io.read(off, ioSize, in));
                if (keepsData()) {
                    fillTagged(expect, ioSize, t, i, 2);
                    Io.assertSame(expect, in, ioSize, "thread " + t + " block " + i);
                }
            }
        }
    }

    @Test
    void inlineOrPolledCompletionsArriveExactlyOnceUnderLoad() {
        // Many I/Os outstanding at once before any poll: completions may come inline or from poll().
        int n = 1000;
        int[] seen = new int[n];
        int[] res = new int[n];
        IoCompletion c = (tag, result) -> {
            seen[(int) tag]++;
            res[(int) tag] = result;
        };
        ByteBuffer buf = Io.pattern(4096, 9);
        long addr = BufferUtil.address(buf);
        IoChannel ch = io.channel();
        for (int i = 0; i < n; i++) {
            long off = (i * 4096L) % (size - 4096);
            switch (i % 4) {
                case 0: ch.write(off, 4096, addr, 0, c, i); break;
                case 1: ch.read(off, 4096, addr, c, i); break;
                case 2: ch.flush(c, i); break;
                default: ch.read(size, 4096, addr, c, i); break; // rejected
            }
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (ch.inFlight() > 0 && System.nanoTime() < deadline) {
            ch.poll();
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, seen[i], "completions of tag " + i);
            int expected = i % 4 == 2 ? 0 : i % 4 == 3 ? -Errno.EINVAL : 4096;
            assertEquals(expected, res[i], "result of tag " + i);
        }
        assertEquals(0, ch.inFlight());
        Reference.reachabilityFence(buf);
    }

    private static void fillTagged(ByteBuffer b, int len, int thread, int index, int round) {
        for (int i = 0; i < len; i += 8) {
            b.putLong(i, ((long) thread << 48) ^ ((long) index << 20) ^ ((long) round << 16) ^ i);
        }
    }
}
