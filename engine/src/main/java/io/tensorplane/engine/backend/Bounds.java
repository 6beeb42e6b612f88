package io.tensorplane.engine.backend;

/** The bounds and alignment check every backend applies before touching anything. */
final class Bounds {
    private Bounds() {
    }

    /** True if {@code [offset, offset + length)} is outside a device of {@code size} bytes or not block aligned. */
    static boolean invalid(long offset, long length, long size, int blockSize) {
        long mask = blockSize - 1;
        return offset < 0 || length < 0 || ((offset | length) & mask) != 0 || offset > size - length;
    }
}
