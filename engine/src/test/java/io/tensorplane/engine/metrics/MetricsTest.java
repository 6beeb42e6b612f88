package io.tensorplane.engine.metrics;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.Io;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoOp;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest {
    @Test
    void countsBytesErrorsAndLatencyPerOperation() {
        try (MeteredDevice dev = Metrics.meter(Devices.open("mem:16M,latency=50us"), "m1")) {
            try (Io io = new Io(dev.openChannel())) {
                ByteBuffer b = Io.pattern(8192, 1);
                for (int i = 0; i < 100; i++) {
                    assertEquals(8192, io.write(i * 8192L, 8192, b));
                }
                for (int i = 0; i < 50; i++) {
                    assertEquals(8192, io.read(i * 8192L, 8192, b));
                }
                assertEquals(-Errno.EINVAL, io.read(16L << 20, 4096, b));
                assertEquals(0, io.flush());
                assertEquals(0, io.discard(0, 1 << 20));
            }
            DeviceSnapshot s = dev.snapshot();
            assertEquals("m1", s.name());
            assertEquals(100, s.op(IoOp.WRITE).ops());
            assertEquals(100 * 8192, s.op(IoOp.WRITE).bytes());
            assertEquals(51, s.op(IoOp.READ).ops());
            assertEquals(50 * 8192, s.op(IoOp.READ).bytes());
            assertEquals(1, s.op(IoOp.READ).errors());
            assertEquals(1, s.op(IoOp.FLUSH).ops());
            assertEquals(1 << 20, s.op(IoOp.DISCARD).bytes());
            assertEquals(0, s.inFlight());
            long p50 = s.op(IoOp.WRITE).p50Nanos();
            assertTrue(p50 >= 50_000 && p50 < 50_000_000, "write p50 " + p50 + " ns reflects the 50 us latency");
            assertTrue(s.op(IoOp.WRITE).p999Nanos() >= p50);
            assertTrue(s.toString().contains("write"), s.toString());
        }
    }

    @Test
    void intervalsBetweenTwoSnapshotsHaveTheirOwnCountsAndPercentiles() {
        try (MeteredDevice dev = Metrics.meter(Devices.open("mem:16M,latency=100us"), "m4"); Io io = new Io(dev.openChannel())) {
            ByteBuffer b = Io.buffer(4096);
            for (int i = 0; i < 200; i++) {
                io.write(i * 4096L, 4096, b);
            }
            DeviceSnapshot first = dev.snapshot();
            DeviceSnapshot idle = dev.snapshot();
            assertEquals(0, idle.since(first, IoOp.WRITE).ops());
            assertEquals(0, idle.since(first, IoOp.WRITE).p99Nanos(), "no I/O in the interval, no percentile");
            for (int i = 0; i < 50; i++) {
                io.read(i * 4096L, 4096, b);
            }
            DeviceSnapshot second = dev.snapshot();
            OpSnapshot reads = second.since(first, IoOp.READ);
            assertEquals(50, reads.ops());
            assertEquals(50 * 4096, reads.bytes());
            assertTrue(reads.p50Nanos() >= 100_000, "interval read p50 " + reads.p50Nanos());
            assertEquals(0, second.since(first, IoOp.WRITE).ops(), "the writes were before the interval");
            String rates = second.ratesSince(first);
            assertTrue(rates.contains("read") && !rates.contains("write") && rates.contains("p99"), rates);
        }
    }

    @Test
    void queueDepthCountsWhatIsInFlight() {
        try (MeteredDevice dev = Metrics.meter(Devices.open("null:16M,latency=10ms"), "m2"); IoChannel ch = dev.openChannel()) {
            ByteBuffer buf = ByteBuffer.allocateDirect(4096);
            long addr = BufferUtil.address(buf);
            int[] done = new int[1];
            for (int i = 0; i < 8; i++) {
                ch.read(i * 4096L, 4096, addr, (t, r) -> done[0]++, i);
            }
            assertEquals(8, dev.snapshot().inFlight());
            assertEquals(8, ch.inFlight());
            while (done[0] < 8) {
                ch.poll();
            }
            assertEquals(0, dev.snapshot().inFlight());
            Reference.reachabilityFence(buf);
        }
    }

    @Test
    void closedChannelsKeepTheirCounts() throws Exception {
        try (MeteredDevice dev = Metrics.meter(Devices.open("null:16M"), "m3")) {
            Thread[] threads = new Thread[3];
            for (int t = 0; t < threads.length; t++) {
                threads[t] = new Thread(() -> {
                    try (Io io = new Io(dev.openChannel())) {
                        ByteBuffer b = Io.buffer(4096);
                        for (int i = 0; i < 1000; i++) {
                            io.write(i * 4096L, 4096, b);
                        }
                    }
                });
                threads[t].start();
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(3000, dev.snapshot().op(IoOp.WRITE).ops());
            assertEquals(3 * 1000 * 4096L, dev.snapshot().op(IoOp.WRITE).bytes());
        }
    }

    @Test
    void namesAreUniqueWhileOpen() {
        try (BlockDevice a = Metrics.meter(Devices.open("null:1M"), "dup")) {
            assertEquals("dup", ((MeteredDevice) a).name());
            assertThrows(IllegalArgumentException.class, () -> Metrics.meter(Devices.open("null:1M"), "dup"));
        }
        try (BlockDevice b = Metrics.meter(Devices.open("null:1M"), "dup")) {
            assertEquals("null:1M", b.spec(), "the name is free again after close");
        }
    }

    @Test
    void prometheusTextIsServedOverHttp() throws Exception {
        try (MeteredDevice dev = Metrics.meter(Devices.open("mem:16M"), "web0");
             Io io = new Io(dev.openChannel());
             MetricsServer server = MetricsServer.start(0)) {
            ByteBuffer b = Io.buffer(4096);
            for (int i = 0; i < 42; i++) {
                io.read(0, 4096, b);
            }
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
            String body = r.body();
            assertTrue(body.contains("tensorplane_io_ops_total{device=\"web0\",op=\"read\"} 42.0"), body);
            assertTrue(body.contains("tensorplane_io_bytes_total{device=\"web0\",op=\"read\"} 172032.0"), body);
            assertTrue(body.contains("tensorplane_io_latency_seconds{device=\"web0\",op=\"read\",quantile=\"0.99\"}"), body);
            assertTrue(body.contains("tensorplane_io_inflight{device=\"web0\"} 0.0"), body);
            HttpResponse<String> missing = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/nope")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, missing.statusCode());
        }
        assertFalse(Metrics.scrape().contains("device=\"web0\""), "closing the device removes its meters");
    }

    @Test
    void aTakenPortIsAClearError() {
        try (MetricsServer first = MetricsServer.start(0)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetricsServer.start(first.port()));
            assertTrue(e.getMessage().contains("address already in use"), e.getMessage());
        }
    }

    @Test
    void histogramPercentilesAreWithinABucket() {
        LatencyHistogram h = new LatencyHistogram();
        for (long v = 1; v <= 100_000; v++) {
            h.record(v * 100); // 100 ns .. 10 ms uniformly
        }
        long[] counts = new long[LatencyHistogram.BUCKETS];
        h.addTo(counts);
        assertEquals(100_000, LatencyHistogram.total(counts));
        assertWithin(5_000_000, LatencyHistogram.valueAtPercentile(counts, 50));
        assertWithin(9_900_000, LatencyHistogram.valueAtPercentile(counts, 99));
        assertWithin(9_990_000, LatencyHistogram.valueAtPercentile(counts, 99.9));
        assertWithin(5_000_050, (long) LatencyHistogram.mean(counts));
        long previous = -1;
        for (int i = 0; i < LatencyHistogram.BUCKETS; i++) {
            long hi = LatencyHistogram.highestValue(i);
            assertTrue(hi > previous, "bucket bounds increase");
            assertEquals(i, LatencyHistogram.index(hi), "the top of bucket " + i + " is in it");
            previous = hi;
        }
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.index(Long.MAX_VALUE));
        assertEquals(0, LatencyHistogram.index(-5));
    }

    private static void assertWithin(long expected, long actual) {
        assertTrue(Math.abs(actual - expected) <= expected * 0.035, "expected about " + expected + " but was " + actual);
    }
}
