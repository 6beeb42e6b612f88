package io.tensorplane.engine.trace;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.engine.IoOp;
import io.tensorplane.engine.emulation.EmulatedLatency;
import org.HdrHistogram.Histogram;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Replays a trace against a device: each recorded queue's I/O in its recorded order, on replay threads
 * of their own (one channel each, opened one after the other so that emulation streams are numbered the
 * same on every run).
 *
 * <p>An I/O is issued only after every I/O that had completed before it was submitted in the recording
 * has completed in the replay, whichever queue and replay thread either is on (so a write that followed
 * a flush's completion still follows it, a read that followed another queue's write still reads what it
 * wrote, and the depth never exceeds the recorded one), and only in order: the sequence of operations
 * each channel sees is the recording's, every run. Timing: {@code original} also waits for
 * the recorded submission time (from the start of the replay), {@code scale=X} for X times it
 * ({@code 0.5}: twice as fast), {@code max} for nothing. The same trace and the same spec (seed) give
 * the same operations and the same emulated latencies on every run: {@link Result#sequenceDigest()} and
 * {@link Result#emulationDigest()} say so in two numbers.
 *
 * <p>Writes carry the recorded data where the trace has it ({@code trace-data=full}), else a fixed
 * pattern. {@code verify} checks each read's data against its recorded checksum, unless a write with a
 * pattern (or a discard on a device whose discard does not zero) of its range was submitted, in the
 * recording, before the read completed.
 */
public final class Replay {
    /** How submission times are kept. */
    public enum Timing { ORIGINAL, MAX, SCALE }

    /** What to replay and how. */
    public static final class Options {
        Timing timing = Timing.ORIGINAL;
        double scale = 1;
        int queues;
        boolean verify;
        Consumer<String> progress;

        /** {@code original}, {@code max} or {@code scale=X} (X > 0: recorded time between submissions times X). */
        public Options timing(String text) {
            String t = text.trim().toLowerCase(Locale.ROOT);
            if (t.equals("original")) {
                timing = Timing.ORIGINAL;
                scale = 1;
            } else if (t.equals("max")) {
                timing = Timing.MAX;
            } else if (t.startsWith("scale=")) {
                double x;
                try {
                    x = Double.parseDouble(t.substring(6));
                } catch (NumberFormatException e) {
                    x = Double.NaN;
                }
                if (!(x > 0 && x < 1e6)) {
                    throw new IllegalArgumentException("bad timing '" + text + "': scale=X needs a positive number, e.g. scale=0.5");
                }
                timing = Timing.SCALE;
                scale = x;
            } else {
                throw new IllegalArgumentException("bad timing '" + text + "'; expected original, max or scale=X");
            }
            return this;
        }

        /** Replay threads; 0 (default): one per recorded queue. Fewer: queues share threads round-robin. */
        public Options queues(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("--queues must be positive, not " + n);
            }
            queues = n;
            return this;
        }

        public Options verify(boolean v) {
            verify = v;
            return this;
        }

        /** Told a progress line every two seconds. */
        public Options progress(Consumer<String> p) {
            progress = p;
            return this;
        }

        public String timingText() {
            return timing == Timing.SCALE ? "scale=" + scale : timing.name().toLowerCase(Locale.ROOT);
        }
    }

    private Replay() {
    }

    /** Latency figures of one operation kind, in nanoseconds. */
    public record Latencies(long count, double mean, long p50, long p99, long p999, long max) {
        static Latencies of(Histogram h) {
            if (h.getTotalCount() == 0) {
                return new Latencies(0, 0, 0, 0, 0, 0);
            }
            return new Latencies(h.getTotalCount(), h.getMean(), h.getValueAtPercentile(50), h.getValueAtPercentile(99),
                    h.getValueAtPercentile(99.9), h.getMaxValue());
        }
    }

    /** One operation kind: replayed against recorded (and what the emulation drew, if there was one). */
    public record OpResult(IoOp op, long errors, long bytes, Latencies replayed, Latencies recorded, Latencies emulated,
                           Latencies recordedEmulated) {
    }

    /** A read whose data did not match its recorded checksum. */
    public record Mismatch(String queue, long seq, long offset, long length) {
    }

    /** The outcome of a replay. */
    public record Result(String timing, int threads, int queues, long ios, double seconds, double recordedSeconds,
                         List<OpResult> ops, long resultsDiffering, Latencies lateness,
                         long verified, long unverifiable, List<Mismatch> mismatches, long mismatchCount,
                         long sequenceDigest, long emulationDigest, long droppedAtRecording) {
        public double iops() {
            return seconds > 0 ? ios / seconds : 0;
        }

        public double recordedIops() {
            return recordedSeconds > 0 ? ios / recordedSeconds : 0;
        }
    }

    /**
     * Replays {@code trace} against {@code device} on the calling thread's behalf (it waits for the
     * replay threads).
     *
     * @throws IllegalArgumentException if the trace does not fit the device or the options the trace
     */
    public static Result run(Trace trace, BlockDevice device, Options options) throws InterruptedException {
        List<Trace.Channel> busy = trace.busyChannels();
        if (busy.isEmpty()) {
            throw new IllegalArgumentException("trace " + trace.dir() + " has no I/O to replay");
        }
        long maxEnd = 0;
        for (Trace.Channel c : busy) {
            for (int i = 0; i < c.count; i++) {
                if (c.op[i] != IoOp.FLUSH.ordinal() && c.result[i] >= 0) {
                    maxEnd = Math.max(maxEnd, c.offset[i] + c.length[i]);
                }
            }
        }
        if (maxEnd > device.sizeBytes()) {
            throw new IllegalArgumentException("trace " + trace.dir() + " reaches byte " + maxEnd + " but " + device.spec()
                    + " has " + device.sizeBytes() + " bytes; replay against a device at least as large as "
                    + trace.sizeBytes());
        }
        if (options.verify && !trace.hasChecksums()) {
            throw new IllegalArgumentException("--verify needs a trace recorded with trace-data=checksum or trace-data=full; "
                    + trace.dir() + " has none");
        }
        int threads = options.queues == 0 ? busy.size() : Math.min(options.queues, busy.size());
        long origin = Long.MAX_VALUE;
        for (Trace.Channel c : busy) {
            origin = Math.min(origin, c.submit[0]);
        }
        Plan plan = new Plan(trace, busy, device, options.verify);
        Driver[] drivers = new Driver[threads];
        for (int t = 0; t < threads; t++) {
            List<Trace.Channel> mine = new ArrayList<>();
            for (int i = t; i < busy.size(); i += threads) {
                mine.add(busy.get(i));
            }
            drivers[t] = new Driver(t, trace, device, mine, options, origin, plan);
        }
        // Channels opened one after the other: channel numbers (and so emulation streams) are the same every run.
        Thread[] running = new Thread[threads];
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            Driver d = drivers[t];
            running[t] = new Thread(() -> d.run(go), "replay-q" + t);
            running[t].start();
            d.opened.await();
            if (d.failure != null) {
                go.countDown();
                throw new IllegalStateException("replay thread " + t + " failed: " + d.failure, d.failure);
            }
        }
        long start = System.nanoTime();
        for (Driver d : drivers) {
            d.start = start;
        }
        go.countDown();
        long total = trace.records();
        for (int t = 0; t < threads; t++) {
            while (!waitFor(running[t], 2)) {
                if (options.progress != null) {
                    long done = 0;
                    for (Driver d : drivers) {
                        done += d.issuedSoFar();
                    }
                    options.progress.accept(String.format(Locale.ROOT, "replay: %d of %d I/Os issued (%.0f%%), %.0f s",
                            done, total, 100.0 * done / total, (System.nanoTime() - start) / 1e9));
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        for (Driver d : drivers) {
            if (d.failure != null) {
                throw new IllegalStateException("replay thread " + d.index + " failed: " + d.failure, d.failure);
            }
        }
        return result(trace, drivers, options, seconds, origin);
    }

    private static boolean waitFor(Thread t, int seconds) throws InterruptedException {
        t.join(TimeUnit.SECONDS.toMillis(seconds));
        return !t.isAlive();
    }

    private static Result result(Trace trace, Driver[] drivers, Options options, double seconds, long origin) {
        int ops = IoOp.ALL.length;
        Histogram[] replayed = histograms();
        Histogram[] emulated = histograms();
        Histogram[] recorded = histograms();
        Histogram[] recordedEmulated = histograms();
        Histogram lateness = new Histogram(TimeUnit.HOURS.toNanos(24), 3);
        long[] errors = new long[ops];
        long[] bytes = new long[ops];
        long ios = 0;
        long differing = 0;
        long verified = 0;
        long unverifiable = 0;
        long mismatchCount = 0;
        List<Mismatch> mismatches = new ArrayList<>();
        long seqDigest = 0;
        long emuDigest = 0;
        int queues = 0;
        long lastEnd = 0;
        for (Driver d : drivers) {
            for (int op = 0; op < ops; op++) {
                replayed[op].add(d.latency[op]);
                emulated[op].add(d.emulated[op]);
                errors[op] += d.errors[op];
                bytes[op] += d.bytes[op];
            }
            lateness.add(d.lateness);
            ios += d.n;
            differing += d.differing;
            verified += d.verified;
            unverifiable += d.unverifiable;
            mismatchCount += d.mismatchCount;
            mismatches.addAll(d.mismatches);
            seqDigest = mix(seqDigest, d.sequenceDigest);
            if (d.emulates()) {
                emuDigest = mix(emuDigest, d.emulationDigest);
            }
            queues += d.channels.size();
            for (Trace.Channel c : d.channels) {
                for (int i = 0; i < c.count; i++) {
                    recorded[c.op[i]].recordValue(clamp(c.latency[i]));
                    if (c.emulated[i] >= 0) {
                        recordedEmulated[c.op[i]].recordValue(clamp(c.emulated[i]));
                    }
                    lastEnd = Math.max(lastEnd, c.completeNanos(i));
                }
            }
        }
        List<OpResult> out = new ArrayList<>();
        for (IoOp op : IoOp.ALL) {
            int o = op.ordinal();
            if (recorded[o].getTotalCount() == 0) {
                continue;
            }
            out.add(new OpResult(op, errors[o], bytes[o], Latencies.of(replayed[o]), Latencies.of(recorded[o]),
                    Latencies.of(emulated[o]), Latencies.of(recordedEmulated[o])));
        }
        if (mismatches.size() > 10) {
            mismatches = new ArrayList<>(mismatches.subList(0, 10));
        }
        return new Result(options.timingText(), drivers.length, queues, ios, seconds, (lastEnd - origin) / 1e9, List.copyOf(out),
                differing, options.timing == Timing.MAX ? Latencies.of(new Histogram(3)) : Latencies.of(lateness),
                verified, unverifiable, List.copyOf(mismatches), mismatchCount, seqDigest, emuDigest, trace.dropped());
    }

    private static Histogram[] histograms() {
        Histogram[] h = new Histogram[IoOp.ALL.length];
        for (int i = 0; i < h.length; i++) {
            h[i] = new Histogram(TimeUnit.HOURS.toNanos(1), 3);
        }
        return h;
    }

    static long clamp(long nanos) {
        return Math.max(0, Math.min(nanos, TimeUnit.HOURS.toNanos(1)));
    }

    /** A 64-bit mix (SplitMix64's finaliser over a running sum): order-sensitive, cheap. */
    static long mix(long h, long v) {
        long z = h * 0x9E3779B97F4A7C15L + v + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * What the replay threads share: every I/O of the trace ranked by its recorded completion, and which
     * of them have completed in the replay (each thread waits on this for the I/O its next one needs,
     * whichever thread issued them); and which reads cannot be verified.
     */
    private static final class Plan {
        private static final VarHandle DONE = MethodHandles.arrayElementVarHandle(byte[].class);
        /** A channel's record {@code i} is I/O {@code first.get(channel) + i}. */
        private final Map<Trace.Channel, Integer> first = new IdentityHashMap<>();
        /** Completion rank of each I/O. */
        private final int[] rank;
        /** Recorded completion times, ascending. */
        private final long[] completions;
        /** By completion rank: completed in the replay (written with release, read with acquire). */
        private final byte[] done;
        /** Reads whose data cannot be checked (only with verify). */
        private final BitSet unverifiable = new BitSet();

        Plan(Trace trace, List<Trace.Channel> busy, BlockDevice device, boolean verify) {
            int n = 0;
            for (Trace.Channel c : busy) {
                first.put(c, n);
                n += c.count;
            }
            long[] complete = new long[n];
            for (Trace.Channel c : busy) {
                int f = first.get(c);
                for (int i = 0; i < c.count; i++) {
                    complete[f + i] = c.completeNanos(i);
                }
            }
            int[] byCompletion = Sorting.byKey(complete, n);
            rank = new int[n];
            completions = new long[n];
            for (int r = 0; r < n; r++) {
                rank[byCompletion[r]] = r;
                completions[r] = complete[byCompletion[r]];
            }
            done = new byte[n];
            if (verify) {
                findUnverifiable(trace, busy, device, n);
            }
        }

        int global(Trace.Channel c, int i) {
            return first.get(c) + i;
        }

        /** How many I/Os completed, in the recording, at or before {@code nanos}: the prefix of ranks to wait for. */
        int completedBy(long nanos) {
            int lo = 0;
            int hi = completions.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (completions[mid] <= nanos) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }

        void completed(int rank) {
            DONE.setRelease(done, rank, (byte) 1);
        }

        /** The first rank at or after {@code from} not completed yet. */
        int donePrefix(int from) {
            int r = from;
            while (r < done.length && (byte) DONE.getAcquire(done, r) != 0) {
                r++;
            }
            return r;
        }

        boolean unverifiable(int io) {
            return unverifiable.get(io);
        }

        /**
         * A read cannot be checked if a write with a pattern (no recorded data) or a discard that need not
         * zero touched its range and was submitted, in the recording, before the read completed: the
         * replay may then have issued it before the read, on any thread. Swept in recorded time.
         */
        private void findUnverifiable(Trace trace, List<Trace.Channel> busy, BlockDevice device, int n) {
            boolean discardZeroes = device.capabilities().discardZeroes();
            int shift = Integer.numberOfTrailingZeros(Math.max(512, device.blockSize()));
            while ((device.sizeBytes() >>> shift) >= Integer.MAX_VALUE) {
                shift++;
            }
            // Events, at most one per I/O: a pattern at its submission (key 2t+1), a read's check at its
            // completion (key 2t, so first on a tie).
            long[] when = new long[n];
            int[] what = new int[n];
            int e = 0;
            for (Trace.Channel c : busy) {
                int f = first.get(c);
                for (int i = 0; i < c.count; i++) {
                    int op = c.op[i];
                    boolean pattern = op == IoOp.WRITE.ordinal() && !(trace.hasPayloads() && c.hasPayload(i))
                            || op == IoOp.DISCARD.ordinal() && !discardZeroes;
                    if (pattern && c.length[i] > 0) {
                        when[e] = 2 * c.submit[i] + 1;
                        what[e++] = f + i;
                    } else if (op == IoOp.READ.ordinal() && c.length[i] > 0) {
                        when[e] = 2 * c.completeNanos(i);
                        what[e++] = f + i;
                    }
                }
            }
            Trace.Channel[] owner = new Trace.Channel[n];
            for (Trace.Channel c : busy) {
                Arrays.fill(owner, first.get(c), first.get(c) + c.count, c);
            }
            BitSet patterned = new BitSet();
            for (int k : Sorting.byKey(Arrays.copyOf(when, e), e)) {
                int io = what[k];
                Trace.Channel c = owner[io];
                int i = io - first.get(c);
                int from = (int) (c.offset[i] >>> shift);
                int to = (int) ((c.offset[i] + c.length[i] - 1) >>> shift);
                if ((when[k] & 1) != 0) {
                    patterned.set(from, to + 1);
                } else {
                    int p = patterned.nextSetBit(from);
                    if (p >= 0 && p <= to) {
                        unverifiable.set(io);
                    }
                }
            }
        }
    }

    /** One replay thread: its recorded queues merged in submission order, driven over one channel. */
    private static final class Driver implements IoCompletion {
        private static final VarHandle NEXT;

        static {
            try {
                NEXT = MethodHandles.privateLookupIn(Driver.class, MethodHandles.lookup()).findVarHandle(Driver.class, "next", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final int index;
        final List<Trace.Channel> channels;
        final CountDownLatch opened = new CountDownLatch(1);
        volatile Throwable failure;
        volatile long start;
        private final Trace trace;
        private final BlockDevice device;
        private final boolean timed;
        private final double scale;
        private final boolean verify;
        // The merged sequence: which channel and record, submission target, dependency count.
        final int n;
        private final Trace.Channel[] chan;
        private final int[] rec;
        private final long[] target;
        private final Plan plan;
        /** By item: how many I/Os (by completion rank, of all threads) must have completed before it is issued. */
        private final int[] needs;
        /** By item: its completion rank in the plan. */
        private final int[] rank;
        /** By item: a read that cannot be verified. */
        private final boolean[] unverifiableRead;
        /** Completion ranks below this have all completed in the replay. */
        private int donePrefix;
        private int next;
        // Slots: one buffer each, for the I/O in flight.
        private final int slots;
        private final long slotBytes;
        private final long base;
        private final ByteBuffer memory;
        private final int[] slotItem;
        private final long[] slotStart;
        private final int[] free;
        private int freeCount;
        private int inFlight;
        private final Checksum checksum = new Checksum();
        private volatile EmulatedLatency emulation;
        // Results.
        final Histogram[] latency = histograms();
        final Histogram[] emulated = histograms();
        final Histogram lateness = new Histogram(TimeUnit.HOURS.toNanos(24), 3);
        final long[] errors = new long[IoOp.ALL.length];
        final long[] bytes = new long[IoOp.ALL.length];
        long differing;
        long verified;
        long unverifiable;
        long mismatchCount;
        final List<Mismatch> mismatches = new ArrayList<>();
        long sequenceDigest;
        long emulationDigest;

        Driver(int index, Trace trace, BlockDevice device, List<Trace.Channel> channels, Options o, long origin, Plan plan) {
            this.index = index;
            this.trace = trace;
            this.device = device;
            this.channels = channels;
            this.timed = o.timing != Timing.MAX;
            this.scale = o.scale;
            this.verify = o.verify;
            this.plan = plan;
            int count = 0;
            for (Trace.Channel c : channels) {
                count += c.count;
            }
            n = count;
            long[] submit = new long[n];
            long[] channelId = new long[n];
            long[] seq = new long[n];
            Trace.Channel[] ch = new Trace.Channel[n];
            int[] r = new int[n];
            int k = 0;
            for (Trace.Channel c : channels) {
                for (int i = 0; i < c.count; i++, k++) {
                    submit[k] = c.submit[i];
                    channelId[k] = ((long) c.id() << 40) | i;
                    ch[k] = c;
                    r[k] = i;
                    seq[k] = c.seq[i];
                }
            }
            int[] order = Sorting.byKeys(submit, channelId, n);
            chan = new Trace.Channel[n];
            rec = new int[n];
            target = new long[n];
            long[] complete = new long[n];
            long maxLen = 4096;
            for (int j = 0; j < n; j++) {
                chan[j] = ch[order[j]];
                rec[j] = r[order[j]];
                long sub = chan[j].submit[rec[j]];
                target[j] = (long) ((sub - origin) * scale);
                complete[j] = chan[j].completeNanos(rec[j]);
                int op = chan[j].op[rec[j]];
                if (op == IoOp.READ.ordinal() || op == IoOp.WRITE.ordinal()) {
                    maxLen = Math.max(maxLen, chan[j].length[rec[j]]);
                }
            }
            // Dependencies: I/O j waits for every I/O, of any thread, that completed (in the recording) before
            // it was submitted. Those of this thread bound its depth: the recorded one.
            needs = new int[n];
            rank = new int[n];
            unverifiableRead = new boolean[n];
            for (int j = 0; j < n; j++) {
                long sub = chan[j].submit[rec[j]];
                needs[j] = plan.completedBy(sub);
                int io = plan.global(chan[j], rec[j]);
                rank[j] = plan.rank[io];
                unverifiableRead[j] = plan.unverifiable(io);
            }
            int[] byCompletion = Sorting.byKey(complete, n);
            int depth = 1;
            int c = 0;
            for (int j = 0; j < n; j++) {
                long sub = chan[j].submit[rec[j]];
                while (c < n && complete[byCompletion[c]] <= sub) {
                    c++;
                }
                depth = Math.max(depth, j - c + 1);
            }
            slots = depth;
            slotBytes = (maxLen + 4095) & ~4095L;
            memory = BufferUtil.allocateDirectAligned((int) Math.min(Integer.MAX_VALUE - 4096, slots * slotBytes), 4096);
            base = BufferUtil.address(memory);
            if ((long) slots * slotBytes > memory.capacity()) {
                throw new IllegalArgumentException("the trace keeps " + slots + " I/Os of up to " + maxLen
                        + " bytes in flight: more buffer memory than one replay thread can have; use fewer --queues");
            }
            // A fixed pattern for writes without recorded data.
            long x = 0x5EED_0F_7E45L + index;
            for (long p = 0; p + 8 <= memory.capacity(); p += 8) {
                x = mix(x, p);
                UnsafeApi.putLong(base + p, x);
            }
            slotItem = new int[slots];
            slotStart = new long[slots];
            free = new int[slots];
            for (int s = 0; s < slots; s++) {
                free[freeCount++] = slots - 1 - s;
            }
        }

        boolean emulates() {
            return emulation != null;
        }

        int issuedSoFar() {
            return (int) NEXT.getOpaque(this);
        }

        void run(CountDownLatch go) {
            Trace.PayloadReader payloads = null;
            try (IoChannel ch = device.openChannel()) {
                emulation = ch instanceof EmulatedLatency ? (EmulatedLatency) ch : null;
                if (trace.hasPayloads()) {
                    payloads = trace.payloadReader();
                }
                opened.countDown();
                go.await();
                loop(ch, payloads);
            } catch (Throwable t) {
                failure = t;
                opened.countDown();
            } finally {
                if (payloads != null) {
                    payloads.close();
                }
            }
        }

        private void loop(IoChannel ch, Trace.PayloadReader payloads) {
            long t0 = start;
            while (true) {
                int issued = 0;
                long waitUntil = 0;
                while (next < n) {
                    int j = next;
                    if (freeCount == 0) {
                        break;
                    }
                    if (donePrefix < needs[j]) {
                        donePrefix = plan.donePrefix(donePrefix);
                        if (donePrefix < needs[j]) {
                            break;
                        }
                    }
                    if (timed) {
                        long due = t0 + target[j];
                        long late = System.nanoTime() - due;
                        if (late < 0) {
                            waitUntil = due;
                            break;
                        }
                        lateness.recordValue(Math.min(late, TimeUnit.HOURS.toNanos(24)));
                    }
                    issue(ch, j, payloads);
                    NEXT.setOpaque(this, j + 1);
                    issued++;
                }
                int polled = ch.poll();
                if (next == n && inFlight == 0) {
                    return;
                }
                if (issued == 0 && polled == 0) {
                    long wait = waitUntil - System.nanoTime();
                    if (waitUntil != 0 && inFlight == 0 && wait > 200_000) {
                        LockSupport.parkNanos(Math.min(wait - 100_000, 10_000_000));
                    } else {
                        Thread.onSpinWait();
                    }
                }
            }
        }

        private void issue(IoChannel ch, int j, Trace.PayloadReader payloads) {
            Trace.Channel c = chan[j];
            int i = rec[j];
            int s = free[--freeCount];
            slotItem[s] = j;
            inFlight++;
            int op = c.op[i];
            long offset = c.offset[i];
            long length = c.length[i];
            int flags = c.flags[i] & TraceRecord.F_IO_MASK;
            long address = base + s * slotBytes;
            sequenceDigest = mix(mix(mix(sequenceDigest, op | (long) flags << 8), offset), length);
            if (op == IoOp.WRITE.ordinal() && payloads != null && c.hasPayload(i)) {
                payloads.copy(c, i, address);
            }
            slotStart[s] = System.nanoTime();
            switch (op) { // IoOp ordinals
                case 0: ch.read(offset, (int) length, address, this, s); break;
                case 1: ch.write(offset, (int) length, address, flags, this, s); break;
                case 2: ch.flush(this, s); break;
                case 3: ch.discard(offset, length, this, s); break;
                default: ch.writeZeroes(offset, length, this, s); break;
            }
            if (emulation != null) {
                long e = emulation.lastEmulatedNanos();
                emulationDigest = mix(emulationDigest, e);
                emulated[op].recordValue(clamp(e));
            }
        }

        @Override
        public void complete(long tag, int result) {
            int s = (int) tag;
            long now = System.nanoTime();
            int j = slotItem[s];
            Trace.Channel c = chan[j];
            int i = rec[j];
            int op = c.op[i];
            latency[op].recordValue(clamp(now - slotStart[s]));
            if (result < 0) {
                errors[op]++;
            } else {
                bytes[op] += op <= 1 ? result : c.length[i];
            }
            if (result != c.result[i]) {
                differing++;
            }
            if (verify && op == IoOp.READ.ordinal() && c.hasChecksum(i) && c.result[i] > 0) {
                if (unverifiableRead[j]) {
                    unverifiable++;
                } else if (result == c.result[i] && checksum.of(base + s * slotBytes, result) == c.checksum[i]) {
                    verified++;
                } else {
                    mismatchCount++;
                    if (mismatches.size() < 10) {
                        mismatches.add(new Mismatch(c.origin(), c.seq[i], c.offset[i], c.length[i]));
                    }
                }
            }
            free[freeCount++] = s;
            inFlight--;
            plan.completed(rank[j]);
        }
    }
}
