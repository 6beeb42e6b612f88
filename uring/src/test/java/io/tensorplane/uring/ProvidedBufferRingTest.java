package io.tensorplane.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A provided-buffer ring against the host kernel's io_uring: reads that select their buffer from the ring land in
 * it, and with incremental consumption the second read lands right after the first, in the same buffer.
 */
class ProvidedBufferRingTest {

    @Test
    void readsSelectTheirBufferAndConsumeItIncrementally(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("data");
        Files.write(f, "abcdefghijklmnop".getBytes(StandardCharsets.US_ASCII));
        int fd = LibC.open(f.toString(), LibC.O_RDONLY, 0);
        assertTrue(fd >= 0);
        long mem = LibC.mmap(0, 8192, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        assertTrue(mem != LibC.MAP_FAILED);
        long buf = mem + 4096;
        try (IoUring ring = IoUring.create(4, 0, 0)) {
            ProvidedBufferRing br = ProvidedBufferRing.register(ring, mem, 1, 3, IoUringLayout.IOU_PBUF_RING_INC);
            assertEquals(3, br.group());
            br.add(buf, 64, 9);
            int[] res = new int[2];
            int[] flags = new int[2];
            for (int i = 0; i < 2; i++) {
                long sqe = ring.nextSqe();
                IoUring.prepRw(sqe, IoUringLayout.IORING_OP_READ, fd, 0, 4, 4L * i, i);
                IoUring.selectBuffer(sqe, 3);
                assertEquals(1, ring.submitAndWait(1));
                assertEquals(1, ring.drainCompletions((ud, r, fl) -> {
                    res[(int) ud] = r;
                    flags[(int) ud] = fl;
                }));
            }
            for (int i = 0; i < 2; i++) {
                assertEquals(4, res[i]);
                assertTrue((flags[i] & IoUringLayout.IORING_CQE_F_BUFFER) != 0, "flags " + flags[i]);
                assertEquals(9, flags[i] >>> IoUringLayout.IORING_CQE_BUFFER_SHIFT);
                // 60 and then 56 bytes of the buffer are left: it stays in use
                assertTrue((flags[i] & IoUringLayout.IORING_CQE_F_BUF_MORE) != 0, "flags " + flags[i]);
            }
            byte[] got = new byte[8];
            for (int i = 0; i < 8; i++) {
                got[i] = UnsafeApi.getByte(buf + i);
            }
            assertEquals("abcdefgh", new String(got, StandardCharsets.US_ASCII));
        } finally {
            LibC.close(fd);
            LibC.munmap(mem, 8192);
        }
    }
}
