package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;

import java.util.zip.CRC32C;

/**
 * CRC32C data digests over Netty buffers, without copying: a buffer backed by one NIO
 * buffer is digested through its internal (cached) NIO view. The digest goes on the wire little endian.
 */
final class Digest {
    private final CRC32C crc = new CRC32C();

    public void reset() {
        crc.reset();
    }

    public void update(ByteBuf buf, int index, int length) {
        if (length <= 0) {
            return;
        }
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.internalNioBuffer(index, length));
        } else {
            for (java.nio.ByteBuffer b : buf.nioBuffers(index, length)) {
                crc.update(b);
            }
        }
    }

    public int value() {
        return (int) crc.getValue();
    }

    /** CRC32C of {@code length} bytes at {@code index}. */
    public int compute(ByteBuf buf, int index, int length) {
        crc.reset();
        update(buf, index, length);
        return (int) crc.getValue();
    }
}
