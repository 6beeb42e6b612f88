package io.tensorplane.engine.trace;

import io.tensorplane.engine.poll.ThreadScheduling;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * The one thread per trace that drains the channels' rings into the Chronicle Queue: a batch of a
 * channel's records becomes one excerpt. It alone touches the queue (Chronicle appenders are confined
 * to a thread). It watches the disk: below {@link #minFreeBytes} free it stops appending and counts
 * what it discards as dropped (a mapped file that cannot grow would crash the process), and resumes
 * when space is back. A failed append ends the trace the same way; the I/O goes on.
 */
final class TraceWriter implements Runnable {
    private static final Logger LOG = Logger.getLogger("io.tensorplane.engine.trace");
    /** Bytes of records per excerpt: bounded, so an excerpt never approaches the mapping chunk. */
    private static final int BATCH_BYTES = 1 << 20;
    /**
     * The writer sleeps after every pass, for as long as the rings take to fill to a quarter at the rate the last
     * sleep showed, between these bounds, and an I/O thread that finds its ring a quarter full wakes it sooner
     * ({@link #filledAnEighth}). Each wake-up costs the CPU it may share with the I/O threads (the ublk benchmark pins
     * the whole server to one vCPU): measured in the test bed, a writer waking every 5 ms took 16 % of that vCPU at
     * 2 300 I/Os a second, and an idle one waking every 20 ms still took 2 % (a third of a millisecond of emulated CPU
     * per wake-up); at QD1 each pass is a pause for the one I/O in flight. Since the I/O threads wake the writer when
     * their rings need it, the longest sleep only bounds how late records reach the file (and a quiet trace's
     * wake-ups): {@code -Dtensorplane.trace.maxSleepMs}, 1 s by default.
     */
    static long maxSleepNanos = TimeUnit.MILLISECONDS.toNanos(Long.getLong("tensorplane.trace.maxSleepMs", 1000));
    /** The shortest sleep; tests lengthen both bounds to see what wakes the writer. */
    static long minSleepNanos = TimeUnit.MICROSECONDS.toNanos(200);
    /** How full the fullest ring may get between passes. */
    private static final double TARGET_FILL = 0.25;
    /** A ring this full wakes a sleeping writer (see {@link #filledAnEighth}). */
    private static final double WAKE_FILL = TARGET_FILL;
    /** A ring this full makes a writer in SCHED_IDLE return to the ordinary class (see {@link #reschedule}). */
    private static final double STARVED_FILL = 0.5;
    private static final long SPACE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Records taken from one ring per pass, so that one busy channel does not starve the others. */
    private static final int PASS_RECORDS = 64 * 1024;
    /** Below this much free space the trace stops growing (four mapping chunks). */
    static long minFreeBytes = Long.getLong("tensorplane.trace.minFreeBytes", 4 * TraceFormat.CHUNK_BYTES);
    /** How the writer changes its scheduling class; tests put a fake here. */
    static ThreadScheduling scheduling = ThreadScheduling.installed();
    /** {@code -Dtensorplane.trace.idleWriter=false} keeps the writer in the ordinary class (to measure the difference). */
    static boolean idleWriter = Boolean.parseBoolean(System.getProperty("tensorplane.trace.idleWriter", "true"));

    private final Path dir;
    private final ChronicleQueue queue;
    private final String spec;
    private final long size;
    private final int blockSize;
    private final int dataMode;
    private final long base = System.nanoTime();
    private final ConcurrentLinkedQueue<TraceDevice.Channel> added = new ConcurrentLinkedQueue<>();
    private final List<Lane> lanes = new ArrayList<>();
    private final Thread thread;
    private final BatchCopier copier = new BatchCopier();
    private volatile boolean stopping;
    /** Tests: while set, the writer drains nothing (a consumer that cannot keep up). */
    volatile boolean paused;
    private volatile long recorded;
    private volatile long dropped;
    private long droppedClosed;
    private long recordedClosed;
    private boolean diskFull;
    private boolean failed;
    private long nextSpaceCheck;
    private FileStore store;
    /** The fullest ring of this pass, as a fraction of its capacity. */
    private double fullest;
    /** The current sleep between passes (see {@link #nextSleep}). */
    private long sleepNanos = minSleepNanos;
    private final ThreadScheduling sched = scheduling;
    /** Whether the writer may use SCHED_IDLE: only where it can also leave it, and its thread id is known. */
    private boolean mayIdle;
    /** Whether the writer is in SCHED_IDLE; cleared by an I/O thread that finds it starved ({@link #filledAnEighth}). */
    private volatile boolean idle;
    /** The writer's kernel thread id, for an I/O thread to move it. */
    private volatile int tid;
    /** Set while the writer sleeps; the I/O thread that clears it wakes the writer. */
    private final AtomicBoolean asleep = new AtomicBoolean();

    private TraceWriter(Path dir, ChronicleQueue queue, String spec, long size, int blockSize, int dataMode) {
        this.dir = dir;
        this.queue = queue;
        this.spec = spec;
        this.size = size;
        this.blockSize = blockSize;
        this.dataMode = dataMode;
        this.thread = new Thread(this, "trace-writer " + dir.getFileName());
        this.thread.setDaemon(true);
    }

    /** What went wrong, in words: the JDK's file exceptions often carry only the path. */
    static String reason(IOException e) {
        if (e instanceof FileAlreadyExistsException) {
            return "a file of that name is in the way (a trace is a directory)";
        }
        if (e instanceof NoSuchFileException) {
            return "cannot create the directory (no such file or directory)";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().substring(0, 1).toLowerCase(java.util.Locale.ROOT) + f.getReason().substring(1);
        }
        return e.getMessage();
    }

    static TraceWriter start(Path dir, String spec, long size, int blockSize, int dataMode) {
        ChronicleQueue queue;
        try {
            Files.createDirectories(dir);
            queue = TraceFormat.open(dir, false);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write a trace in " + dir + ": " + reason(e), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot write a trace in " + dir + ": " + e.getMessage(), e);
        }
        TraceWriter w = new TraceWriter(dir, queue, spec, size, blockSize, dataMode);
        w.thread.start();
        return w;
    }

    long base() {
        return base;
    }

    long now() {
        return System.nanoTime() - base;
    }

    long recorded() {
        return recorded;
    }

    /** Whether the writer sleeps and no I/O thread has woken it yet (tests). */
    boolean asleep() {
        return asleep.get();
    }

    long dropped() {
        return dropped;
    }

    void add(TraceDevice.Channel c) {
        added.add(c);
    }

    /** Drains every ring, ends the trace and closes the queue. */
    void close() {
        stopping = true;
        paused = false;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warning("trace " + dir + ": the writer did not finish within 30 s");
        }
    }

    @Override
    public void run() {
        ExcerptAppender appender = null;
        try {
            appender = queue.createAppender();
            tid = sched.currentThreadId();
            mayIdle = idleWriter && sched.canLeaveIdle() && tid > 0;
            idle = mayIdle && sched.setIdle(0, true);
            writeStart(appender);
            while (true) {
                boolean last = stopping;
                int work = 0;
                for (TraceDevice.Channel c; (c = added.poll()) != null; ) {
                    lanes.add(new Lane(c));
                }
                checkSpace();
                if (!paused || last) {
                    for (int i = 0; i < lanes.size(); i++) {
                        Lane lane = lanes.get(i);
                        work += service(appender, lane, last);
                        if (lane.ended) {
                            droppedClosed += lane.dropped();
                            lanes.remove(i--);
                        }
                    }
                    reschedule(last);
                }
                publishTotals();
                if (last && work == 0) {
                    break;
                }
                // Sleep after every pass, busy or not: a pass empties the rings (unless one held more than a pass
                // takes, then go again at once), and waking for every few records would cost the CPU it may share
                // with the I/O threads.
                if (!last && work < PASS_RECORDS) {
                    sleepNanos = nextSleep(sleepNanos, fullest);
                    asleep.set(true);
                    LockSupport.parkNanos(sleepNanos);
                    asleep.set(false);
                }
                fullest = 0;
            }
            for (Lane lane : lanes) {
                // a channel still open when the device closed: end it with what it recorded
                droppedClosed += lane.dropped();
                recordedClosed += lane.written;
                writeChannelEnd(appender, lane);
            }
            lanes.clear();
            publishTotals();
            writeEnd(appender);
        } catch (RuntimeException e) {
            LOG.warning("trace " + dir + " failed: " + e);
        } finally {
            if (appender != null) {
                appender.close();
            }
            queue.close();
        }
    }

    /**
     * The writer's scheduling class for its next pass. SCHED_IDLE while the rings stay under half full: its passes
     * then run only on CPU time the I/O threads leave, and its wake-ups never preempt one. Measured in the test bed
     * (ublk {@code null}, randread QD128, the server pinned to one vCPU, both writers in one run): the traced disk at
     * 0.885x the plain one's IOPS with the writer in SCHED_IDLE, 0.84x with it in the ordinary class, ahead in every
     * round. The ordinary writer takes only 3-8 % of that vCPU, so what likely matters is when its passes run (in the
     * middle of the queue thread's batches), more than how long. The ordinary class once a ring passes half full, so
     * that a writer starved by busy I/O threads catches up at a fair share before records drop (an I/O thread sees
     * it first, {@link #filledAnEighth}, as a starved writer does not run to see it), and while the trace ends, so that the
     * last drain and the trace's end do not wait for idle time.
     */
    private void reschedule(boolean last) {
        if (idle && (last || fullest > STARVED_FILL)) {
            idle = !sched.setIdle(0, false);
        } else if (!idle && mayIdle && !last && fullest <= TARGET_FILL) {
            idle = sched.setIdle(0, true);
        }
    }

    /**
     * Called by an I/O thread each time its records cross an eighth of {@code ring}, and on every drop. A quarter full
     * wakes the writer if it sleeps (once per sleep: one system call per quarter of a ring at most). Half full with the
     * writer in SCHED_IDLE means busy threads are starving it: it is moved to the ordinary class at once, with one
     * system call on this I/O thread (at most once per starvation).
     */
    void filledAnEighth(RingBuffer ring) {
        int size = ring.size();
        if (size >= ring.capacity() * WAKE_FILL && asleep.get() && asleep.compareAndSet(true, false)) {
            LockSupport.unpark(thread);
        }
        if (idle && size >= ring.capacity() * STARVED_FILL) {
            idle = false;
            sched.setIdle(tid, false);
        }
    }

    /**
     * The sleep after a pass that found the fullest ring {@code fullest} full after sleeping {@code slept}: the time
     * the rings take to reach {@link #TARGET_FILL} at that rate, growing at most twofold per pass (a burst after a
     * quiet spell is met within a few passes), within {@link #minSleepNanos} and {@link #maxSleepNanos}.
     */
    static long nextSleep(long slept, double fullest) {
        long next = fullest <= 0 ? 2 * slept : (long) Math.min(2.0 * slept, slept * TARGET_FILL / fullest);
        return Math.max(minSleepNanos, Math.min(maxSleepNanos, next));
    }

    private void publishTotals() {
        long r = 0;
        long d = droppedClosed;
        for (Lane lane : lanes) {
            d += lane.dropped();
        }
        for (Lane lane : lanes) {
            r += lane.written;
        }
        recorded = r + recordedClosed;
        dropped = d;
    }

    /** Announces, drains, reports drops and ends one channel; returns the records moved. */
    private int service(ExcerptAppender appender, Lane lane, boolean last) {
        TraceDevice.Channel c = lane.channel;
        if (!lane.announced) {
            append(appender, b -> {
                b.writeInt(TraceFormat.CHANNEL);
                b.writeInt(c.id);
                b.writeUtf8(c.origin);
                b.writeLong(c.opened);
            });
            lane.announced = true;
        }
        boolean closed = c.isClosed();
        fullest = Math.max(fullest, (double) c.ring.size() / c.ring.capacity());
        int moved = 0;
        while (c.ring.size() > 0) {
            int n;
            if (diskFull || failed) {
                n = c.ring.read((type, buffer, index, length) -> { }, Integer.MAX_VALUE);
                lane.discarded += n;
            } else {
                n = drainBatch(appender, lane);
            }
            moved += n;
            if (n == 0 || !last && moved >= PASS_RECORDS) {
                break; // let the other channels have their turn
            }
        }
        long drops = lane.dropped();
        if (drops != lane.reportedDrops) {
            append(appender, b -> {
                b.writeInt(TraceFormat.DROPS);
                b.writeInt(c.id);
                b.writeLong(drops);
            });
            lane.reportedDrops = drops;
        }
        if (closed && c.ring.size() == 0) {
            writeChannelEnd(appender, lane);
            recordedClosed += lane.written;
            lane.written = 0;
            lane.ended = true;
        }
        return moved;
    }

    private int drainBatch(ExcerptAppender appender, Lane lane) {
        try (DocumentContext dc = appender.writingDocument()) {
            Bytes<?> b = dc.wire().bytes();
            b.writeInt(TraceFormat.IOS);
            b.writeInt(lane.channel.id);
            long countAt = b.writePosition();
            b.writeInt(0);
            copier.start(b);
            lane.channel.ring.controlledRead(copier);
            b.writeInt(countAt, copier.count);
            lane.written += copier.count;
            return copier.count;
        } catch (RuntimeException e) {
            fail(e);
            return 0;
        }
    }

    /** Copies records from a ring into the open excerpt, up to {@link #BATCH_BYTES}. */
    private static final class BatchCopier implements ControlledMessageHandler {
        private Bytes<?> bytes;
        int count;
        private int batchBytes;

        void start(Bytes<?> b) {
            bytes = b;
            count = 0;
            batchBytes = 0;
        }

        @Override
        public Action onMessage(int type, MutableDirectBuffer buffer, int index, int length) {
            if (count > 0 && batchBytes + length > BATCH_BYTES) {
                return Action.ABORT;
            }
            bytes.unsafeWrite(buffer.addressOffset() + index, length);
            count++;
            batchBytes += length;
            return Action.CONTINUE;
        }
    }

    private interface Body {
        void write(Bytes<?> b);
    }

    private void append(ExcerptAppender appender, Body body) {
        if (failed) {
            return;
        }
        try (DocumentContext dc = appender.writingDocument()) {
            body.write(dc.wire().bytes());
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void fail(RuntimeException e) {
        if (!failed) {
            failed = true;
            LOG.warning("trace " + dir + ": cannot append (" + e + "); dropping records from now on");
        }
    }

    private void writeStart(ExcerptAppender appender) {
        long wall = System.currentTimeMillis();
        append(appender, b -> {
            b.writeInt(TraceFormat.START);
            b.writeInt(TraceFormat.VERSION);
            b.writeLong(wall);
            b.writeUtf8(spec);
            b.writeLong(size);
            b.writeInt(blockSize);
            b.writeInt(dataMode);
        });
    }

    private void writeChannelEnd(ExcerptAppender appender, Lane lane) {
        long written = lane.written;
        long drops = lane.dropped();
        append(appender, b -> {
            b.writeInt(TraceFormat.CHANNEL_END);
            b.writeInt(lane.channel.id);
            b.writeLong(written);
            b.writeLong(drops);
        });
    }

    private void writeEnd(ExcerptAppender appender) {
        long r = recorded;
        long d = dropped;
        long end = now();
        append(appender, b -> {
            b.writeInt(TraceFormat.END);
            b.writeLong(r);
            b.writeLong(d);
            b.writeLong(end);
        });
    }

    private void checkSpace() {
        long t = System.nanoTime();
        if (t - nextSpaceCheck < 0) {
            return;
        }
        nextSpaceCheck = t + SPACE_CHECK_NANOS;
        long free;
        try {
            if (store == null) {
                // looked up once: finding a path's file store reads the mount table, one statfs is all a check needs
                store = Files.getFileStore(dir);
            }
            free = store.getUsableSpace();
        } catch (IOException e) {
            return;
        }
        if (!diskFull && free < minFreeBytes) {
            diskFull = true;
            LOG.warning("trace " + dir + ": only " + (free >> 20) + " MiB free; dropping records until space is freed");
        } else if (diskFull && free / 2 >= minFreeBytes) { // not 2 * minFreeBytes: it may overflow
            diskFull = false;
            LOG.info("trace " + dir + ": space is back (" + (free >> 20) + " MiB free); recording again");
        }
    }

    /** The writer's view of one channel. */
    private static final class Lane {
        final TraceDevice.Channel channel;
        boolean announced;
        boolean ended;
        long written;
        long discarded;
        long reportedDrops;

        Lane(TraceDevice.Channel channel) {
            this.channel = channel;
        }

        long dropped() {
            return channel.droppedByThread() + discarded;
        }
    }
}
