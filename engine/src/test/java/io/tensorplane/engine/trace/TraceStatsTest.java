package io.tensorplane.engine.trace;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.Io;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** trace stat's figures on a workload whose answers are known; the fio log it exports. */
class TraceStatsTest {
    @TempDir
    Path tmp;

    @Test
    void aKnownWorkloadGivesKnownFigures() throws Exception {
        Path dir = tmp.resolve("t");
        try (BlockDevice dev = Devices.open("mem:64M,trace=" + dir); Io io = new Io(dev.openChannel())) {
            ByteBuffer b = ByteBuffer.allocateDirect(8192);
            for (int i = 0; i < 100; i++) {
                io.write(i * 4096L, 4096, b); // sequential, one at a time
            }
            for (int i = 0; i < 50; i++) {
                io.read((32L << 20) + (i * 7919L % 1000) * 8192, 8192, b); // scattered in the upper half
            }
            io.flush();
        }
        TraceStats.Summary s = TraceStats.of(Trace.read(dir, null), 4, 3);
        assertEquals(151, s.ios());
        assertEquals(0, s.dropped());
        TraceStats.Op write = s.ops().stream().filter(o -> o.op().equals("write")).findFirst().orElseThrow();
        TraceStats.Op read = s.ops().stream().filter(o -> o.op().equals("read")).findFirst().orElseThrow();
        assertEquals(100, write.ios());
        assertEquals(409600, write.bytes());
        assertEquals(99.0, write.sequentialPercent(), 1e-9, "every write but the first starts where the last ended");
        assertTrue(read.sequentialPercent() < 10, "scattered reads: " + read.sequentialPercent());
        assertEquals(2, s.sizes().size());
        assertEquals(new TraceStats.Size(4096, 0, 100), s.sizes().get(0));
        assertEquals(new TraceStats.Size(8192, 50, 0), s.sizes().get(1));
        assertEquals(4, s.depth().size());
        long submitted = 0;
        for (TraceStats.Depth d : s.depth()) {
            assertTrue(d.maxDepth() <= 1 && (d.ios() == 0 || d.maxDepth() == 1), "one I/O at a time: " + d);
            assertTrue(d.meanDepth() >= 0 && d.meanDepth() <= 1.0, d.toString());
            submitted += d.ios();
        }
        assertEquals(151, submitted);
        // 64 MiB in 1024 ranges of 64 KiB: the first 6.25 ranges hold the 100 writes, the hottest is a write range
        TraceStats.Range hot = s.hotRanges().get(0);
        assertEquals(65536, hot.to() - hot.from());
        assertEquals(16, hot.writes());
    }

    @Test
    void fioLogListsEveryIoInOrder() throws Exception {
        Path dir = tmp.resolve("f");
        try (BlockDevice dev = Devices.open("mem:1M,trace=" + dir); Io io = new Io(dev.openChannel())) {
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            io.write(4096, 4096, b);
            io.flush();
            io.discard(0, 8192);
            io.writeZeroes(8192, 4096);
            io.read(0, 512, b);
        }
        StringWriter w = new StringWriter();
        assertEquals(5, FioLog.write(Trace.read(dir, null), "/dev/x", w));
        String[] lines = w.toString().split("\n");
        assertEquals(9, lines.length);
        assertEquals("fio version 3 iolog", lines[0]);
        String[] expected = {"write 4096 4096", "sync 0 0", "trim 0 8192", "trim 8192 4096", "read 0 512"};
        for (int i = 0; i < 5; i++) {
            String[] f = lines[3 + i].split(" ", 3);
            assertEquals("/dev/x", f[1]);
            assertEquals(expected[i], f[2]);
            assertTrue(Long.parseLong(f[0]) >= 1, "timestamps start at 1 us: " + lines[3 + i]);
        }
    }
}
