package io.tensorplane.uring;

import io.tensorplane.engine.Errno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ring against the host kernel's io_uring: batches of NOPs and READs, 64- and 128-byte SQEs. */
class IoUringTest {

    @Test
    void batchOfNopsCompletesWithOneEnter() {
        try (IoUring ring = IoUring.create(64, 0, 0)) {
            assertEquals(64, ring.sqeSize());
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < 40; i++) {
                    long sqe = ring.nextSqe();
                    assertTrue(sqe != 0);
                    IoUring.prepNop(sqe, 1000 + i);
                }
                assertEquals(40, ring.submitAndWait(40));
                long[] seen = new long[1];
                int n = ring.drainCompletions((ud, res, flags) -> {
                    assertEquals(0, res);
                    seen[0] += ud;
                });
                assertEquals(40, n);
                assertEquals(40 * 1000 + 39 * 40 / 2, seen[0]);
                assertTrue(!ring.hasCompletions());
            }
        }
    }

    @Test
    void fullRingReportsNoFreeSqe() {
        try (IoUring ring = IoUring.create(8, 0, 0)) {
            for (int i = 0; i < 8; i++) {
                assertTrue(ring.nextSqe() != 0);
            }
            assertEquals(0, ring.nextSqe());
        }
    }

    @Test
    void sqe128RingReadsAFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("data");
        Files.write(f, "hello, io_uring".getBytes(StandardCharsets.US_ASCII));
        int fd = LibC.open(f.toString(), LibC.O_RDONLY, 0);
        assertTrue(fd >= 0);
        long buf = UnsafeApi.allocateMemory(64);
        try (IoUring ring = IoUring.create(4, 0, IoUringLayout.IORING_SETUP_SQE128)) {
            assertEquals(128, ring.sqeSize());
            long sqe = ring.nextSqe();
            IoUring.prepRw(sqe, IoUringLayout.IORING_OP_READ, fd, buf, 64, 7, 42);
            assertEquals(1, ring.submitAndWait(1));
            int[] res = new int[1];
            ring.drainCompletions((ud, r, flags) -> {
                assertEquals(42, ud);
                res[0] = r;
            });
            assertEquals(8, res[0]);
            byte[] got = new byte[8];
            for (int i = 0; i < 8; i++) {
                got[i] = UnsafeApi.getByte(buf + i);
            }
            assertEquals("io_uring", new String(got, StandardCharsets.US_ASCII));
        } finally {
            UnsafeApi.freeMemory(buf);
            LibC.close(fd);
        }
    }

    /** A sparse buffer table: a READ_FIXED into an empty slot fails, into a slot filled later it lands there. */
    @Test
    void sparseBufferTableSlotsAreFilledOneByOne(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("data");
        Files.write(f, "0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        int fd = LibC.open(f.toString(), LibC.O_RDONLY, 0);
        assertTrue(fd >= 0);
        long buf = UnsafeApi.allocateMemory(4096);
        try (IoUring ring = IoUring.create(4, 0, 0)) {
            assertEquals(0, ring.registerSparseBuffers(8));
            int[] res = new int[1];
            IoUring.prepRwFixed(ring.nextSqe(), IoUringLayout.IORING_OP_READ_FIXED, fd, buf, 16, 0, 5, 1);
            assertEquals(1, ring.submitAndWait(1));
            ring.drainCompletions((ud, r, flags) -> res[0] = r);
            assertEquals(-Errno.EFAULT, res[0], "slot 5 is still empty");
            assertEquals(0, ring.updateBuffer(5, buf, 4096));
            IoUring.prepRwFixed(ring.nextSqe(), IoUringLayout.IORING_OP_READ_FIXED, fd, buf + 100, 6, 10, 5, 2);
            assertEquals(1, ring.submitAndWait(1));
            ring.drainCompletions((ud, r, flags) -> res[0] = r);
            assertEquals(6, res[0]);
            byte[] got = new byte[6];
            for (int i = 0; i < 6; i++) {
                got[i] = UnsafeApi.getByte(buf + 100 + i);
            }
            assertEquals("abcdef", new String(got, StandardCharsets.US_ASCII));
            assertTrue(ring.updateBuffer(8, buf, 4096) < 0, "slot 8 is past the table");
        } finally {
            UnsafeApi.freeMemory(buf);
            LibC.close(fd);
        }
    }

    @Test
    void errnoIsReported() {
        int fd = LibC.open("/nonexistent/tensorplane", LibC.O_RDONLY, 0);
        assertEquals(-1, fd);
        assertEquals(Errno.ENOENT, LibC.errno());
        ErrnoException e = new ErrnoException("open", Errno.ENOENT);
        assertTrue(e.getMessage().contains("No such file"), e.getMessage());
    }
}
