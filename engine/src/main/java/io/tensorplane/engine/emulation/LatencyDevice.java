package io.tensorplane.engine.emulation;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.CompletionSlots;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.engine.IoOp;

import java.util.Arrays;

/**
 * Latency emulation over any device. Each operation is submitted to the inner device at once; its
 * completion is held back until {@code submit time + model latency + seeded jitter} and delivered
 * from {@link IoChannel#poll()} once due. Completions are therefore never inline: a front door must
 * poll.
 *
 * <p>Per channel, in-flight operations live in pre-allocated parallel slot arrays (completion,
 * tag, due time, result) and completed-but-not-yet-due ones in a binary min-heap of slot indices
 * ordered by due time. The arrays grow (doubling) only when a new high-water mark of in-flight I/O
 * is reached, so steady state allocates nothing.
 */
public final class LatencyDevice implements BlockDevice {
    private static final int INITIAL_SLOTS = 256;

    private final BlockDevice inner;
    private final LatencyModel model;
    private final long seed;
    private long channelsOpened;

    public LatencyDevice(BlockDevice inner, LatencyModel model, long seed) {
        this.inner = inner;
        this.model = model;
        this.seed = seed;
    }

    public LatencyModel model() { return model; }
    public BlockDevice inner() { return inner; }

    @Override public String spec() { return inner.spec(); }
    @Override public long sizeBytes() { return inner.sizeBytes(); }
    @Override public void grow(long newBytes) { inner.grow(newBytes); }
    @Override public int blockSize() { return inner.blockSize(); }
    @Override public Capabilities capabilities() { return inner.capabilities(); }
    @Override public void close() { inner.close(); }

    @Override
    public IoChannel openChannel(ChannelHost host) {
        long stream;
        synchronized (this) {
            stream = channelsOpened++;
        }
        // A different stream from the fault injector's, which uses the same seed.
        return new Channel(inner.openChannel(host), new SplitMix64(~seed, stream));
    }

    private final class Channel implements IoChannel, IoCompletion, EmulatedLatency {
        private final IoChannel inner;
        private final SplitMix64 random;
        private final long jitter = model.jitterNanos();

        private final CompletionSlots slots = new CompletionSlots(INITIAL_SLOTS);
        private long[] due = new long[INITIAL_SLOTS];
        private int[] results = new int[INITIAL_SLOTS];
        /** Min-heap of slots whose inner I/O completed, by due time. */
        private int[] heap = new int[INITIAL_SLOTS];
        private int heapSize;
        private long lastLatency;

        Channel(IoChannel inner, SplitMix64 random) {
            this.inner = inner;
            this.random = random;
        }

        private int slot(IoOp op, long length, IoCompletion completion, long tag) {
            int s = slots.take(completion, tag);
            if (s >= due.length) {
                grow(slots.capacity());
            }
            long latency = model.baseNanos(op, length);
            if (jitter > 0) {
                latency += random.nextLong(jitter);
            }
            lastLatency = latency;
            due[s] = System.nanoTime() + latency;
            return s;
        }

        private void grow(int n) {
            due = Arrays.copyOf(due, n);
            results = Arrays.copyOf(results, n);
            heap = Arrays.copyOf(heap, n);
        }

        /** The inner device completed slot {@code tag}: queue it for delivery when due. */
        @Override
        public void complete(long tag, int result) {
            int s = (int) tag;
            results[s] = result;
            int i = heapSize++;
            long d = due[s];
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                int p = heap[parent];
                if (due[p] <= d) {
                    break;
                }
                heap[i] = p;
                i = parent;
            }
            heap[i] = s;
        }

        private int popHeap() {
            int top = heap[0];
            int last = heap[--heapSize];
            int n = heapSize;
            int i = 0;
            long d = due[last];
            while (true) {
                int child = 2 * i + 1;
                if (child >= n) {
                    break;
                }
                if (child + 1 < n && due[heap[child + 1]] < due[heap[child]]) {
                    child++;
                }
                if (due[heap[child]] >= d) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            if (n > 0) {
                heap[i] = last;
            }
            return top;
        }

        @Override
        public void read(long offset, int length, long address, IoCompletion completion, long tag) {
            inner.read(offset, length, address, this, slot(IoOp.READ, length, completion, tag));
        }

        @Override
        public void write(long offset, int length, long address, int flags, IoCompletion completion, long tag) {
            inner.write(offset, length, address, flags, this, slot(IoOp.WRITE, length, completion, tag));
        }

        @Override
        public void flush(IoCompletion completion, long tag) {
            inner.flush(this, slot(IoOp.FLUSH, 0, completion, tag));
        }

        @Override
        public void discard(long offset, long length, IoCompletion completion, long tag) {
            inner.discard(offset, length, this, slot(IoOp.DISCARD, length, completion, tag));
        }

        @Override
        public void writeZeroes(long offset, long length, IoCompletion completion, long tag) {
            inner.writeZeroes(offset, length, this, slot(IoOp.WRITE_ZEROES, length, completion, tag));
        }

        @Override
        public int poll() {
            inner.poll();
            if (heapSize == 0) {
                return 0;
            }
            long now = System.nanoTime();
            int delivered = 0;
            // Bounded by what was queued on entry, so callbacks that submit again cannot keep us here.
            for (int budget = heapSize; budget > 0 && heapSize > 0 && due[heap[0]] - now <= 0; budget--) {
                int s = popHeap();
                delivered++;
                slots.complete(s, results[s]);
            }
            return delivered;
        }

        @Override
        public int inFlight() {
            return slots.inFlight();
        }

        @Override
        public long lastEmulatedNanos() {
            return lastLatency;
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
