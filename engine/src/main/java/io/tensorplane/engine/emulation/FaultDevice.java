package io.tensorplane.engine.emulation;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Bounds;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;

/**
 * Fault injection over any device: each valid operation fails with {@code -EIO}, without reaching
 * the backend, with a fixed probability. The decisions are deterministic: channel number {@code n}
 * (in the order channels are opened) draws from a SplitMix64 stream seeded with {@code (seed, n)}, so
 * the same seed and the same sequence of operations give the same faults. Out-of-range or misaligned
 * I/O still completes with {@code -EINVAL} (and draws nothing).
 */
public final class FaultDevice implements BlockDevice {
    private final BlockDevice inner;
    private final double probability;
    private final long seed;
    private long channelsOpened;

    public FaultDevice(BlockDevice inner, double probability, long seed) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("fault probability must be in [0, 1]: " + probability);
        }
        this.inner = inner;
        this.probability = probability;
        this.seed = seed;
    }

    public double probability() { return probability; }
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
        return new Channel(inner.openChannel(host), new SplitMix64(seed, stream));
    }

    private final class Channel implements IoChannel {
        private final IoChannel inner;
        private final SplitMix64 random;
        private final int blockSize = blockSize();

        Channel(IoChannel inner, SplitMix64 random) {
            this.inner = inner;
            this.random = random;
        }

        private boolean fail() {
            return random.nextDouble() < probability;
        }

        private boolean bad(long offset, long length) {
            return Bounds.invalid(offset, length, sizeBytes(), blockSize); // not cached: the device may grow
        }

        @Override
        public void read(long offset, int length, long address, IoCompletion done, long tag) {
            if (!bad(offset, length) && fail()) {
                done.complete(tag, -Errno.EIO);
            } else {
                inner.read(offset, length, address, done, tag);
            }
        }

        @Override
        public void write(long offset, int length, long address, int flags, IoCompletion done, long tag) {
            if (!bad(offset, length) && fail()) {
                done.complete(tag, -Errno.EIO);
            } else {
                inner.write(offset, length, address, flags, done, tag);
            }
        }

        @Override
        public void flush(IoCompletion done, long tag) {
            if (fail()) {
                done.complete(tag, -Errno.EIO);
            } else {
                inner.flush(done, tag);
            }
        }

        @Override
        public void discard(long offset, long length, IoCompletion done, long tag) {
            if (!bad(offset, length) && fail()) {
                done.complete(tag, -Errno.EIO);
            } else {
                inner.discard(offset, length, done, tag);
            }
        }

        @Override
        public void writeZeroes(long offset, long length, IoCompletion done, long tag) {
            if (!bad(offset, length) && fail()) {
                done.complete(tag, -Errno.EIO);
            } else {
                inner.writeZeroes(offset, length, done, tag);
            }
        }

        @Override public int poll() { return inner.poll(); }
        @Override public int inFlight() { return inner.inFlight(); }
        @Override public int completionFd() { return inner.completionFd(); }
        @Override public void close() { inner.close(); }
    }
}
