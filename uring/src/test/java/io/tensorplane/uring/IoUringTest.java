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

    @Test
    void errnoIsReported() {
        int fd = LibC.open("/nonexistent/tensorplane", LibC.O_RDONLY, 0);
        assertEquals(-1, fd);
        assertEquals(Errno.ENOENT, LibC.errno());
        ErrnoException e = new ErrnoException("open", Errno.ENOENT);
        assertTrue(e.getMessage().contains("No such file"), e.getMessage());
    }
}
