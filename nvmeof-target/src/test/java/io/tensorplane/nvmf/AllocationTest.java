package io.tensorplane.nvmf;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.util.ResourceLeakDetector;
import io.tensorplane.uring.IoUringProbe;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Steady-state allocation on the event loops: after warm-up, reads and writes (in-capsule and R2T) must not
 * allocate per I/O on the loop threads (measured with the JVM's per-thread allocation counter; leak
 * detection is switched off for the measurement because its tracking records are allocations themselves), on every
 * transport but io_uring (below) and on a backend that completes inline ({@code mem}) and one that completes later through its own ring
 * ({@code file}, whose completions wake the loop through its descriptor).
 */
class AllocationTest {
    private static long loopAllocations(com.sun.management.ThreadMXBean mx) {
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("multiThreadIoEventLoopGroup")) {
                sum += mx.getThreadAllocatedBytes(t.getId());
            }
        }
        return sum;
    }

    @ParameterizedTest(name = "{0}, {1}")
    // epoll is the default transport. io_uring is not here: Netty 4.2.18's io_uring loop allocates on its own (an
    // IoUringIoOps per receive, a callback per loop turn: 20-110 bytes per I/O measured, docs/nvmf.md).
    @CsvSource({"epoll, mem", "epoll, file", "nio, mem", "nio, file"})
    void readsAndWritesDoNotAllocateOnTheEventLoops(String transport, String backend) throws Exception {
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), "no epoll here");
        assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(), "no Netty io_uring here");
        assumeTrue(!backend.equals("file") || IoUringProbe.isAvailable(),
                "the file backend's io_uring is unavailable: " + IoUringProbe.unavailabilityCause());
        String spec = "mem:16M";
        if (backend.equals("file")) {
            Path img = Files.createDirectories(Path.of("target", "alloc")).resolve(transport + "-" + System.nanoTime() + ".img");
            img.toFile().deleteOnExit();
            spec = "file:" + img + ",create=16M";
        }
        LeakCheck.install();
        ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        TargetConfig cfg = new TargetConfig();
        cfg.listen.add("127.0.0.1:0");
        cfg.threads = 1;
        cfg.transport = transport;
        TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
        s.nqn = TargetTest.NQN;
        s.namespaces.add(new TargetConfig.NamespaceConfig(spec));
        cfg.subsystems.add(s);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (NvmfTarget t = NvmfTarget.start(cfg);
             NvmeTcpClient a = new NvmeTcpClient(t.ioAddresses().get(0), 5000);
             NvmeTcpClient io = new NvmeTcpClient(t.ioAddresses().get(0), 5000)) {
            a.initialize(false, false);
            int cntlid = a.connectAdminAndEnable(TargetTest.NQN, TargetTest.HOST, 0);
            io.initialize(false, false);
            assertTrue(io.connect(1, 127, cntlid, TargetTest.NQN, TargetTest.HOST, 0, 0).ok());
            byte[] small = new byte[4096];
            byte[] large = new byte[65536];
            new Random(1).nextBytes(large);
            int rounds = 3000;
            double perIo = 0;
            for (int pass = 0; pass < 3; pass++) {
                long start = loopAllocations(mx);
                for (int i = 0; i < rounds; i++) {
                    io.write(1, (i % 1000) * 8L, small, 512);
                    io.read(1, (i % 1000) * 8L, 8, 512);
                    if (i % 10 == 0) {
                        io.write(1, 8192, large, 512);
                    }
                }
                perIo = (loopAllocations(mx) - start) / (double) (rounds * 2 + rounds / 10);
            }
            System.out.printf("event-loop allocation in steady state (%s, %s): %.1f bytes per I/O%n", transport, backend, perIo);
            assertTrue(perIo < 8, "event loops allocated " + perIo + " bytes per I/O in steady state");
        } finally {
            ResourceLeakDetector.setLevel(before);
        }
    }
}
