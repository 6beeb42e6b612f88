package io.tensorplane.ublk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.ublk.queue.SharedRegions;
import io.tensorplane.uring.LibC;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared-memory hand-over without a kernel driver: a {@link SharedRegion} reaches the server over the socket with
 * its memfd, the server's mapping is the client's very pages, the region lives as long as the connection, and bad
 * requests get one line back. (REG_BUF itself and the requests flagged UBLK_IO_F_SHMEM_ZC are proven in the test bed,
 * UblkLifecycleIT.)
 */
class ShmemSocketTest {
    private Path dir;
    private Path sock;
    private final SharedRegions regions = new SharedRegions();
    /** index -> {base, length} the fake server mapped */
    private final Map<Integer, long[]> mapped = new ConcurrentHashMap<>();
    private final Map<Integer, Boolean> detached = new ConcurrentHashMap<>();
    private ShmemSocket server;

    /** What ShmemService does, minus REG_BUF: map the descriptor and publish it. */
    private final ShmemSocket.Regions fake = new ShmemSocket.Regions() {
        private int next;

        @Override
        public synchronized int attach(int fd, long bytes) {
            if (bytes > 1 << 20) {
                throw new UblkException("too big");
            }
            long base = LibC.mmap(0, bytes, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
            assertNotEquals(LibC.MAP_FAILED, base);
            int index = next++;
            mapped.put(index, new long[] {base, bytes});
            regions.put(index, base, bytes);
            return index;
        }

        @Override
        public void detach(int index) {
            long[] m = mapped.remove(index);
            regions.remove(index);
            LibC.munmap(m[0], m[1]);
            detached.put(index, true);
        }
    };

    @BeforeEach
    void listen() throws Exception {
        dir = Files.createTempDirectory("shm");
        sock = dir.resolve("0.shmem.sock");
        server = ShmemSocket.listen(sock, 0, fake);
    }

    @AfterEach
    void close() throws Exception {
        server.close();
        Files.deleteIfExists(sock);
        Files.delete(dir);
    }

    @Test
    void theServersMappingIsTheClientsPagesUntilTheClientCloses() throws Exception {
        SharedRegion r = SharedRegion.create(sock, 64 * 1024);
        assertEquals(0, r.index());
        long[] m = mapped.get(0);
        assertEquals(64 * 1024, m[1]);
        assertNotEquals(r.address(), m[0]);
        // the client writes, the server sees it at the same offset in its own mapping; and back
        UnsafeApi.putLong(r.address() + 40960, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, UnsafeApi.getLong(regions.address(0, 40960, 8)));
        UnsafeApi.putLong(m[0] + 8, 42L);
        assertEquals(42L, UnsafeApi.getLong(r.address() + 8));
        // the queues' look-up stops at the region's end
        assertEquals(0, regions.address(0, 60 * 1024, 8192));
        assertEquals(0, regions.address(1, 0, 512));
        try (SharedRegion second = SharedRegion.create(sock, 4096)) {
            assertEquals(1, second.index());
        }
        awaitDetached(1);
        assertTrue(mapped.containsKey(0), "the first region stays while its connection is open");
        r.close();
        awaitDetached(0);
        assertEquals(0, regions.address(0, 0, 8));
    }

    @Test
    void aRefusedRegionAndABadRequestEachGetOneLine() {
        UblkException e = assertThrows(UblkException.class, () -> SharedRegion.create(sock, 2 << 20));
        assertEquals("the server refused the region: error: too big", e.getMessage());
        int c = ShmemSocket.connect(sock);
        try {
            ShmemSocket.send(c, "region 4096\n", -1);
            assertEquals("error: no descriptor came with 'region 4096': send the region's fd as SCM_RIGHTS",
                    ShmemSocket.receive(c, new int[1]));
        } finally {
            LibC.close(c);
        }
        c = ShmemSocket.connect(sock);
        try {
            ShmemSocket.send(c, "hello\n", -1);
            assertEquals("error: expected 'region <bytes>', got 'hello'", ShmemSocket.receive(c, new int[1]));
        } finally {
            LibC.close(c);
        }
        assertTrue(mapped.isEmpty());
    }

    @Test
    void closingTheServerEndsEveryRegion() throws Exception {
        SharedRegion r = SharedRegion.create(sock, 8192);
        server.close();
        assertTrue(detached.containsKey(0), "close() returns after the region was detached");
        assertThrows(UblkException.class, () -> SharedRegion.create(sock, 4096));
        r.close();
    }

    private void awaitDetached(int index) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!detached.containsKey(index)) {
            assertTrue(System.nanoTime() < deadline, "region " + index + " was not detached");
            Thread.sleep(5);
        }
    }
}
