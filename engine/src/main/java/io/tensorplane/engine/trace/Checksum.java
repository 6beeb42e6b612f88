package io.tensorplane.engine.trace;

import net.openhft.chronicle.bytes.PointerBytesStore;
import net.openhft.chronicle.bytes.algo.XxHash;

/**
 * The 64-bit xxHash (seed 0) of native memory, through Chronicle Bytes' implementation over a reused
 * pointer: no allocation per call. Confined to one thread, like the channel that owns it.
 */
final class Checksum {
    private final PointerBytesStore pointer = new PointerBytesStore();

    long of(long address, long length) {
        if (length <= 0) {
            return 0;
        }
        pointer.set(address, length);
        return XxHash.INSTANCE.applyAsLong(pointer, length);
    }
}
