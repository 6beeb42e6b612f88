package io.tensorplane.uring;

import io.tensorplane.engine.poll.ThreadScheduling;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class LinuxThreadSchedulingTest {
    /** The calling thread's policy, field 41 of /proc/thread-self/stat (after the parenthesised name). */
    private static int policy() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[41 - 3]);
    }

    @Test
    void isTheInstalledImplementationAndMovesOnlyTheCallingThread() throws Exception {
        ThreadScheduling s = ThreadScheduling.installed();
        assertInstanceOf(LinuxThreadScheduling.class, s);
        assertEquals(LibC.geteuid() == 0, s.canLeaveIdle());
        AtomicReference<String> seen = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                StringBuilder b = new StringBuilder();
                b.append(policy()).append(s.setIdle(0, true)).append(policy());
                if (s.canLeaveIdle()) {
                    b.append(s.setIdle(s.currentThreadId(), false)).append(policy());
                }
                seen.set(b.toString());
            } catch (Exception e) {
                seen.set(e.toString());
            }
        });
        t.start();
        t.join();
        String expected = "0true5" + (s.canLeaveIdle() ? "true0" : "");
        assertEquals(expected, seen.get(), "policy before, SCHED_IDLE (5), back to SCHED_OTHER (0) by thread id");
        assertEquals(0, policy(), "the test's own thread is untouched");
    }
}
