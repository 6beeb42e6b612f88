package io.tensorplane.it.ublk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.TestbedTest;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fio writes random data with crc32c checksums and reads it back, at queue depths 1, 32 and 128,
 * with 4 KiB blocks and with a 512 B..128 KiB mix, on one and on several hardware queues, on the
 * mem backend and on the file backend over a regular file (O_DIRECT, on ext4) and over a block
 * device (memory-backed null_blk disks of 512-byte and of 4 KiB sectors; on the second the mix starts at 4 KiB). A
 * single wrong byte fails fio (verify_fatal). The 4 KiB-sector disk gets zero copy too: O_DIRECT on a block device
 * needs only its DMA alignment (512 bytes here), which is what a ublk request's pages have.
 *
 * <p>On Linux 7.3 the file backend gets zero copy ('--copy auto': the kernel registers each request's pages in the
 * queue's ring, the backend reads and writes them there), and one run forces the fallback of zero copy (the kernel
 * cannot register a request's buffer, the server registers it by hand). The class runs on 7.3 only: on 6.12 every
 * row would move its data through per-tag buffers, which the mem rows prove here, and {@link UblkLifecycleLinux612IT}
 * runs fio verify on 6.12 (a recovered device) and checks that zero copy and batched commands are refused there.
 *
 * <p>Batched commands ('--batch on': UBLK_F_BATCH_IO, many tags per fetch and per commit) on 7.3: one verify run on
 * the file backend with per-tag buffers and two queues, and the allocation check on mem; elsewhere '--batch auto'
 * keeps one command per tag (measured faster). On 6.12, which has no batched commands, '--batch on' is one clear error.
 */
@TestbedTest
class UblkFioVerifyIT {

    static final String BSSPLIT = "512/10:4k/30:8k/15:16k/15:64k/20:128k/10";
    /** The same mix on a disk of 4 KiB sectors. */
    static final String BSSPLIT_4K = "4k/40:8k/15:16k/15:64k/20:128k/10";

    @BeforeAll
    static void driver(Guest guest) {
        Ublk.loadDriver(guest);
        // tpdisk4k: a 4 KiB-sector disk, whose O_DIRECT still takes 512-byte-aligned memory (zero copy on 7.3)
        guest.runOk("nullb_create tpdisk 512 512 && nullb_create tpdisk4k 256 4096 && nullb_create tpext4 512 512"
                + " && fs_mount ext4 /dev/tpext4 /mnt/backing", Duration.ofMinutes(2));
    }

    @AfterEach
    void cleanUp(Guest guest) {
        Ublk.cleanUp(guest);
        guest.run("rm -f /mnt/backing/*.img");
    }

    /**
     * Zero allocation per I/O on the queue threads: after a warm-up, the JVM's per-thread
     * allocation counter of the queue thread stays (nearly) flat over tens of thousands of I/Os,
     * on mem and on the file backend's io_uring path (its I/O on the queue's own ring), and with batched commands.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"mem:64M", "file:/dev/tpdisk", "mem:64M --batch on"})
    void queueThreadAllocatesNothingPerIoInSteadyState(String backend, Guest guest) {
        Ublk.Dev d = Ublk.add(guest, Ublk.TP_JIT, "--backend " + backend);
        assertEquals(backend.contains("--batch on") ? "batch" : "per-tag", Ublk.strField(d.json(), "commands"), d.json());
        String load = "fio --name=a --filename=" + d.path() + " --ioengine=io_uring --direct=1 --rw=randrw --bs=4k"
                + " --iodepth=16 --size=64M --io_size=%dM --randrepeat=0 --output=/dev/null";
        guest.runOk(String.format(load, 64), Duration.ofMinutes(3)); // warm-up: JIT compiles the loop
        String before = Ublk.state(guest, d);
        guest.runOk(String.format(load, 256), Duration.ofMinutes(5)); // 65536 I/Os
        String after = Ublk.state(guest, d);
        long ios = (Ublk.longField(after, "read") + Ublk.longField(after, "write"))
                - (Ublk.longField(before, "read") + Ublk.longField(before, "write"));
        long bytes = Ublk.longArray(after, "queue_allocated_bytes")[0] - Ublk.longArray(before, "queue_allocated_bytes")[0];
        assertTrue(ios >= 60000, "too few I/Os measured: " + ios);
        // less than one byte per I/O (a stray allocation of the JIT's or a TLAB refill may remain)
        assertTrue(bytes < ios, bytes + " bytes allocated on the queue thread for " + ios + " I/Os");
        Ublk.del(guest, d);
    }

    @ParameterizedTest(name = "{0} backend, {1} queues {2}")
    @CsvSource({
        "mem:256M, 4, ''",
        "'file:/mnt/backing/verify.img,create=256M,direct', 1, ''",
        "file:/dev/tpdisk, 4, ''",
        "file:/dev/tpdisk4k, 1, ''",
        "file:/dev/tpdisk, 2, --copy buffer --batch on",
    })
    void randomWritesVerify(String backend, int queues, String options, Guest guest) {
        String add = "--backend " + backend + " --queues " + queues + " --depth 128 " + options;
        Ublk.Dev d = Ublk.add(guest, add);
        int cpus = Integer.parseInt(guest.runOk("nproc").out());
        // The kernel grants at most one queue per CPU.
        assertEquals(Math.min(queues, cpus), d.queues(), d.json());
        if (backend.startsWith("file:")) {
            // the backend's reads and writes go on each queue's own io_uring
            assertTrue(d.json().contains("\"backend_ring\":\"shared\""), d.json());
        }
        String copy = options.contains("--copy buffer") ? "buffer" : expectedCopy(guest, backend);
        assertEquals(copy, Ublk.strField(d.json(), "copy"), d.json());
        // batched only when asked for (7.3); the add JSON and 'ublk list' say which, and the device's flags agree
        String commands = options.contains("--batch on") ? "batch" : "per-tag";
        assertEquals(commands, Ublk.strField(d.json(), "commands"), d.json());
        String list = Ublk.tp(guest, "ublk list --json", Duration.ofSeconds(60)).assertOk().out();
        assertTrue(list.contains("\"commands\" : \"" + commands + "\""), list);
        assertEquals(commands.equals("batch"), list.contains("\"BATCH_IO\""), list);
        // The server selects the 'none' I/O scheduler (the kernel would give a single-queue disk mq-deadline).
        assertTrue(d.json().contains("\"io_scheduler\":\"none\""), d.json());
        assertTrue(guest.runOk("cat /sys/block/" + d.path().substring("/dev/".length()) + "/queue/scheduler").out().contains("[none]"));
        // With several queues, one fio job per CPU so that every queue gets requests.
        int jobs = d.queues() > 1 ? cpus : 1;
        String out = guest.runOk(verifyScript(d, jobs, cpus), Duration.ofMinutes(8)).out();
        assertEquals(6, out.lines().filter(l -> l.startsWith("ok ")).count(), out);
        String state = Ublk.state(guest, d);
        assertEquals(0, Ublk.longField(state, "errors"), state);
        long[] perQueue = Ublk.longArray(state, "queue_requests");
        assertEquals(d.queues(), perQueue.length, state);
        for (long n : perQueue) {
            assertTrue(n > 0, "a queue served no request: " + state);
        }
        // zero copy's fast path: the kernel registered every request's buffer itself
        assertEquals(0, Ublk.longField(state, "manual_buffer_registrations"), state);
        long requests = Arrays.stream(perQueue).sum();
        long commits = Ublk.longField(state, "commit_commands");
        if (commands.equals("batch")) {
            // every result went back in a COMMIT_IO_CMDS, several per command at depth (fewer commands than requests)
            assertTrue(commits > 0 && commits < requests, commits + " commits for " + requests + " requests: " + state);
        } else {
            assertEquals(0, commits, state);
        }
        Ublk.del(guest, d);
    }

    /** What '--copy auto' gives: zero copy for the file backend where the kernel has it (7.3), else per-tag buffers. */
    static String expectedCopy(Guest guest, String backend) {
        return backend.startsWith("file:") && guest.kernelSeries().equals("7.3") ? "zero" : "buffer";
    }

    /**
     * Zero copy's fallback (UBLK_AUTO_BUF_REG_FALLBACK): the server names a buffer slot the kernel cannot fill, so
     * every read and write arrives flagged UBLK_IO_F_NEED_REG_BUF and is served after a REGISTER_IO_BUF by hand
     * (UNREGISTER_IO_BUF before its commit); fio verify passes and the counter shows every request went that way.
     * On 6.12, which has no zero copy, '--copy zero' is refused with one line naming what to use instead.
     */
    @Test
    void zeroCopyFallbackRegistersBuffersByHand(Guest guest) {
        Ublk.Dev d = Ublk.add(guest, "--backend file:/dev/tpdisk --copy zero --force-buf-reg-fallback --depth 128");
        assertEquals("zero", Ublk.strField(d.json(), "copy"), d.json());
        String out = guest.runOk(verifyScript(d, 1, 1), Duration.ofMinutes(8)).out();
        assertEquals(6, out.lines().filter(l -> l.startsWith("ok ")).count(), out);
        String state = Ublk.state(guest, d);
        assertEquals(0, Ublk.longField(state, "errors"), state);
        long rw = Ublk.longField(state, "read") + Ublk.longField(state, "write");
        assertTrue(rw > 10000, state);
        assertEquals(rw, Ublk.longField(state, "manual_buffer_registrations"), state);
        // and a backend that needs the bytes cannot have zero copy: one clear line
        Ublk.assertOneLineError(Ublk.tp(guest, "ublk add --backend mem:64M --copy zero", Ublk.ADD_TIMEOUT), "needs the data in memory");
        Ublk.del(guest, d);
    }

    /** fio randwrite + verify at QD 1, 32, 128 with 4 KiB blocks and with {@link #BSSPLIT} (or {@link #BSSPLIT_4K}); prints "ok ..." per run. */
    private static String verifyScript(Ublk.Dev d, int jobs, int cpus) {
        return String.join("\n",
                "set -euo pipefail",
                "for qd in 1 32 128; do",
                "  for bs in --bs=4k --bssplit=" + (Ublk.longField(d.json(), "block_size") == 4096 ? BSSPLIT_4K : BSSPLIT) + "; do",
                "    fio --name=verify --filename=" + d.path() + " --ioengine=io_uring --direct=1 --rw=randwrite $bs"
                        + " --iodepth=$qd --size=12M --numjobs=" + jobs + " --offset_increment=64M"
                        + (jobs > 1 ? " --cpus_allowed=0-" + (cpus - 1) + " --cpus_allowed_policy=split" : "")
                        + " --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 --group_reporting"
                        + " --output-format=terse --terse-version=3 > /tmp/fio.out || { cat /tmp/fio.out; echo \"fio failed: qd $qd $bs\"; exit 1; }",
                "    echo \"ok qd=$qd $bs\"",
                "  done",
                "done");
    }
}
