package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Bounds;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import org.agrona.UnsafeApi;

/** {@code null:<size>}: reads return zeros, writes are dropped. The ceiling for front-door overhead. */
public final class NullDevice implements BlockDevice {
    private final String spec;
    private final long size;
    private final int blockSize;
    private final Capabilities capabilities;

    public NullDevice(String spec, long size, int blockSize) {
        if (size % blockSize != 0) {
            throw new IllegalArgumentException("size " + size + " of '" + spec + "' is not a multiple of the block size " + blockSize);
        }
        this.spec = spec;
        this.size = size;
        this.blockSize = blockSize;
        this.capabilities = Capabilities.builder(blockSize).maxDiscardBytes(size).maxWriteZeroesBytes(size).build();
    }

    @Override public String spec() { return spec; }
    @Override public long sizeBytes() { return size; }
    @Override public int blockSize() { return blockSize; }
    /** Nothing is kept, so nothing needs flushing and everything reads as zeros. */
    @Override public Capabilities capabilities() { return capabilities; }
    @Override public IoChannel openChannel(ChannelHost host) { return new Channel(); }
    @Override public void close() { }

    private boolean bad(long offset, long length) {
        return Bounds.invalid(offset, length, size, blockSize);
    }

    private final class Channel implements IoChannel {
        @Override
        public void read(long offset, int length, long address, IoCompletion done, long tag) {
            if (bad(offset, length)) {
                done.complete(tag, -Errno.EINVAL);
                return;
            }
            UnsafeApi.setMemory(address, length, (byte) 0);
            done.complete(tag, length);
        }

        @Override
        public void write(long offset, int length, long address, int flags, IoCompletion done, long tag) {
            done.complete(tag, bad(offset, length) ? -Errno.EINVAL : length);
        }

        @Override
        public void flush(IoCompletion done, long tag) {
            done.complete(tag, 0);
        }

        @Override
        public void discard(long offset, long length, IoCompletion done, long tag) {
            done.complete(tag, bad(offset, length) ? -Errno.EINVAL : 0);
        }

        @Override
        public void writeZeroes(long offset, long length, IoCompletion done, long tag) {
            done.complete(tag, bad(offset, length) ? -Errno.EINVAL : 0);
        }

        @Override public int poll() { return 0; }
        @Override public int inFlight() { return 0; }
        @Override public void close() { }
    }
}
