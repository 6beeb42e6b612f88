package io.tensorplane.engine;

/** The bounds and alignment check every backend applies before touching anything (see {@link IoChannel}). */
public final class Bounds {
    private Bounds() {
    }

    /** True if {@code [offset, offset + length)} is outside a device of {@code size} bytes or not block aligned. */
    public static boolean invalid(long offset, long length, long size, int blockSize) {
        long mask = blockSize - 1;
        return offset < 0 || length < 0 || ((offset | length) & mask) != 0 || offset > size - length;
    }
}
