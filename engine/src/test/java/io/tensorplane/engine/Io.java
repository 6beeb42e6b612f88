package io.tensorplane.engine;

import org.agrona.BufferUtil;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Synchronous test driver for one channel: submits, polls until the completion arrives, and checks
 * that every submission completes exactly once.
 */
public final class Io implements IoCompletion, AutoCloseable {
    private final IoChannel channel;
    private final Map<Long, Integer> results = new HashMap<>();
    private final Map<Long, Integer> counts = new HashMap<>();
    private long nextTag = 1;

    public Io(IoChannel channel) {
        this.channel = channel;
    }

    public IoChannel channel() {
        return channel;
    }

    @Override
    public void complete(long tag, int result) {
        int n = counts.merge(tag, 1, Integer::sum);
        if (n > 1) {
            fail("tag " + tag + " completed " + n + " times");
        }
        results.put(tag, result);
    }

    private int await(long tag) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!results.containsKey(tag)) {
            channel.poll();
            if (System.nanoTime() > deadline) {
                fail("tag " + tag + " did not complete within 10 s");
            }
        }
        return results.get(tag);
    }

    public int read(long offset, int length, ByteBuffer buf) {
        long tag = nextTag++;
        channel.read(offset, length, BufferUtil.address(buf), this, tag);
        int r = await(tag);
        Reference.reachabilityFence(buf); // the buffer's memory must outlive the I/O
        return r;
    }

    public int read(long offset, int length, long address) {
        long tag = nextTag++;
        channel.read(offset, length, address, this, tag);
        return await(tag);
    }

    public int write(long offset, int length, ByteBuffer buf) {
        return write(offset, length, buf, 0);
    }

    public int write(long offset, int length, ByteBuffer buf, int flags) {
        long tag = nextTag++;
        channel.write(offset, length, BufferUtil.address(buf), flags, this, tag);
        int r = await(tag);
        Reference.reachabilityFence(buf);
        return r;
    }

    public int flush() {
        long tag = nextTag++;
        channel.flush(this, tag);
        return await(tag);
    }

    public int discard(long offset, long length) {
        long tag = nextTag++;
        channel.discard(offset, length, this, tag);
        return await(tag);
    }

    public int writeZeroes(long offset, long length) {
        long tag = nextTag++;
        channel.writeZeroes(offset, length, this, tag);
        return await(tag);
    }

    /** Checks every tag handed out completed exactly once and nothing is left in flight. */
    public void assertAllCompletedOnce() {
        for (long t = 1; t < nextTag; t++) {
            assertEquals(1, counts.getOrDefault(t, 0), "completions of tag " + t);
        }
        assertEquals(0, channel.inFlight(), "in flight after all completions");
    }

    @Override
    public void close() {
        channel.close();
    }

    /** A direct buffer aligned to 4096 bytes (usable with O_DIRECT). */
    public static ByteBuffer buffer(int bytes) {
        int rounded = (bytes + 4095) & ~4095;
        return ByteBuffer.allocateDirect(rounded + 4096).alignedSlice(4096).limit(bytes);
    }

    public static ByteBuffer pattern(int bytes, long seed) {
        ByteBuffer b = buffer(bytes);
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < bytes; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.put(i, (byte) x);
        }
        return b;
    }

    public static ByteBuffer filled(int bytes, byte value) {
        ByteBuffer b = buffer(bytes);
        for (int i = 0; i < bytes; i++) {
            b.put(i, value);
        }
        return b;
    }

    public static boolean allZero(ByteBuffer b, int length) {
        for (int i = 0; i < length; i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    public static void assertSame(ByteBuffer expected, ByteBuffer actual, int length, String what) {
        for (int i = 0; i < length; i++) {
            if (expected.get(i) != actual.get(i)) {
                fail(what + ": first difference at byte " + i + ": expected " + expected.get(i) + " but was " + actual.get(i));
            }
        }
    }
}
