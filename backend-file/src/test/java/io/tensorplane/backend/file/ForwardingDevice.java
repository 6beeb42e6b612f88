package io.tensorplane.backend.file;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.IoChannel;

/** A device that forwards everything; tests override what they change. */
class ForwardingDevice implements BlockDevice {
    final BlockDevice inner;

    ForwardingDevice(BlockDevice inner) {
        this.inner = inner;
    }

    @Override public String spec() { return inner.spec(); }
    @Override public long sizeBytes() { return inner.sizeBytes(); }
    @Override public int blockSize() { return inner.blockSize(); }
    @Override public Capabilities capabilities() { return inner.capabilities(); }
    @Override public IoChannel openChannel(ChannelHost host) { return inner.openChannel(host); }
    @Override public void close() { inner.close(); }
}
