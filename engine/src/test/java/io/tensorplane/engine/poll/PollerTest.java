package io.tensorplane.engine.poll;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.IoChannel;
import org.agrona.BufferUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PollerTest {
    @Test
    void idleStrategiesByName() {
        assertInstanceOf(BusySpinIdleStrategy.class, IdleStrategies.parse("spin"));
        assertInstanceOf(YieldingIdleStrategy.class, IdleStrategies.parse("yield"));
        assertInstanceOf(SleepingIdleStrategy.class, IdleStrategies.parse("park"));
        assertInstanceOf(BackoffIdleStrategy.class, IdleStrategies.parse("Backoff"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdleStrategies.parse("nap"));
        assertTrue(e.getMessage().contains("unknown idle strategy 'nap'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PollerConfig.defaults().withIdle("sleepy"));
        assertThrows(IllegalArgumentException.class, () -> PollerConfig.defaults().withThreading("many"));
        assertArrayEquals(new int[] {0, 2, 3, 4}, PollerConfig.defaults().withCpus("0,2-4").cpus());
        assertThrows(IllegalArgumentException.class, () -> PollerConfig.defaults().withCpus("3-1"));
    }

    private static Poller counting(String role, AtomicLong work, Map<String, String> threadOf) {
        return Poller.of(role, () -> threadOf.put(role, Thread.currentThread().getName()), () -> {
            work.incrementAndGet();
            return 1;
        }, () -> threadOf.put(role + ".closed", Thread.currentThread().getName()));
    }

    private static void awaitAtLeast(AtomicLong v, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (v.get() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no progress: " + v.get());
            }
            Thread.sleep(1);
        }
    }

    @Test
    void dedicatedThreadsRunOnePollerEach() throws Exception {
        AtomicLong a = new AtomicLong();
        AtomicLong b = new AtomicLong();
        Map<String, String> threadOf = new ConcurrentHashMap<>();
        try (PollerGroup g = PollerGroup.start(PollerConfig.defaults().withIdle("yield").withName("t-ded"),
                counting("a", a, threadOf), counting("b", b, threadOf))) {
            awaitAtLeast(a, 1000);
            awaitAtLeast(b, 1000);
            assertEquals(2, g.threads().size());
        }
        assertNotEquals(threadOf.get("a"), threadOf.get("b"));
        assertTrue(threadOf.get("a").startsWith("t-ded-"), threadOf.toString());
        assertEquals(threadOf.get("a"), threadOf.get("a.closed"), "onClose runs on the poller's thread");
    }

    @Test
    void sharedThreadRunsAllPollers() throws Exception {
        AtomicLong a = new AtomicLong();
        AtomicLong b = new AtomicLong();
        Map<String, String> threadOf = new ConcurrentHashMap<>();
        try (PollerGroup g = PollerGroup.start(PollerConfig.defaults().withThreading(ThreadingMode.SHARED).withIdle("spin"),
                counting("a", a, threadOf), counting("b", b, threadOf))) {
            awaitAtLeast(a, 1000);
            awaitAtLeast(b, 1000);
            assertEquals(1, g.threads().size());
        }
        assertEquals(threadOf.get("a"), threadOf.get("b"));
    }

    @Test
    void invokerModeRunsOnTheCallersThread() {
        AtomicLong a = new AtomicLong();
        Map<String, String> threadOf = new ConcurrentHashMap<>();
        try (PollerGroup g = PollerGroup.start(PollerConfig.defaults().withThreading("invoker"), counting("a", a, threadOf))) {
            assertEquals(Thread.currentThread().getName(), threadOf.get("a"));
            for (int i = 0; i < 10; i++) {
                assertEquals(1, g.invoke());
            }
            assertEquals(10, a.get());
            assertTrue(g.threads().isEmpty());
        }
        AtomicLong b = new AtomicLong();
        try (PollerGroup g = PollerGroup.start(PollerConfig.defaults(), counting("b", b, threadOf))) {
            assertThrows(IllegalStateException.class, g::invoke);
        }
    }

    @Test
    void pollerThreadsPinThemselvesThroughTheInstalledAffinity() throws Exception {
        Map<String, Integer> pins = new ConcurrentHashMap<>();
        CpuAffinity fake = new CpuAffinity() {
            @Override
            public boolean pinCurrentThread(int cpu) {
                pins.put(Thread.currentThread().getName(), cpu);
                return true;
            }

            @Override
            public String name() {
                return "fake";
            }
        };
        CpuAffinity.install(fake);
        try {
            AtomicLong a = new AtomicLong();
            AtomicLong b = new AtomicLong();
            AtomicLong c = new AtomicLong();
            Map<String, String> threadOf = new ConcurrentHashMap<>();
            try (PollerGroup g = PollerGroup.start(PollerConfig.defaults().withCpus("2,3").withName("t-pin"),
                    counting("a", a, threadOf), counting("b", b, threadOf), counting("c", c, threadOf))) {
                awaitAtLeast(a, 1);
                awaitAtLeast(b, 1);
                awaitAtLeast(c, 1);
                assertEquals(3, g.pinnedThreads());
            }
            assertEquals(2, pins.get(threadOf.get("a")));
            assertEquals(3, pins.get(threadOf.get("b")));
            assertEquals(2, pins.get(threadOf.get("c")), "CPUs are used round robin");
        } finally {
            CpuAffinity.install(null);
        }
        assertNotEquals(fake, CpuAffinity.installed(), "install(null) restores the default");
        assertTrue(CpuAffinity.NONE.name().equals("none") && !CpuAffinity.NONE.pinCurrentThread(0));
    }

    /** Without an installed implementation the engine pins with taskset, for real. */
    @Test
    void tasksetPinsAPollerThreadForReal() throws Exception {
        CpuAffinity affinity = TasksetAffinity.detect();
        assumeTrue(affinity != null, "taskset (util-linux) or /proc/thread-self is not available");
        assertEquals("taskset", CpuAffinity.installed().name());
        int cpu = Runtime.getRuntime().availableProcessors() - 1;
        AtomicReference<String> allowed = new AtomicReference<>();
        AtomicLong work = new AtomicLong();
        Poller p = Poller.of("pinned", () -> { }, () -> {
            if (allowed.get() == null) {
                try {
                    for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                        if (line.startsWith("Cpus_allowed_list:")) {
                            allowed.set(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (java.io.IOException e) {
                    allowed.set("unreadable: " + e);
                }
            }
            work.incrementAndGet();
            return 0;
        }, () -> { });
        try (PollerGroup g = PollerGroup.start(PollerConfig.defaults().withCpus(cpu).withIdle("park"), List.of(p))) {
            awaitAtLeast(work, 1);
            assertEquals(1, g.pinnedThreads());
        }
        assertEquals(Integer.toString(cpu), allowed.get(), "the poller thread's allowed CPUs");
    }

    /** A poller that owns an I/O channel: opens it on its own thread, submits and polls deferred completions. */
    @Test
    void aPollerDrivesAChannelWithDeferredCompletions() throws Exception {
        try (BlockDevice dev = Devices.open("mem:16M,latency=20us")) {
            AtomicLong completed = new AtomicLong();
            AtomicInteger errors = new AtomicInteger();
            AtomicReference<IoChannel> channel = new AtomicReference<>();
            ByteBuffer buf = ByteBuffer.allocateDirect(4096);
            long addr = BufferUtil.address(buf);
            long[] next = {0};
            Poller p = Poller.of("io", () -> channel.set(dev.openChannel()), () -> {
                IoChannel ch = channel.get();
                int work = ch.poll();
                while (ch.inFlight() < 8) {
                    ch.write((next[0]++ % 1000) * 4096, 4096, addr, 0, (t, r) -> {
                        if (r == 4096) {
                            completed.incrementAndGet();
                        } else {
                            errors.incrementAndGet();
                        }
                    }, next[0]);
                    work++;
                }
                return work;
            }, () -> channel.get().close());
            try (PollerGroup g = PollerGroup.start(PollerConfig.defaults().withIdle("backoff"), List.of(p))) {
                awaitAtLeast(completed, 2000);
                assertEquals(1, g.threads().size());
            }
            Reference.reachabilityFence(buf); // the poller thread wrote from it until the group closed
            assertEquals(0, errors.get());
        }
    }
}
