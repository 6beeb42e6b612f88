package io.tensorplane.engine.emulation;

/** The bounds check of the contract, applied by decorators before they inject anything. */
final class Ranges {
    private Ranges() {
    }

    static boolean invalid(long offset, long length, long size, int blockSize) {
        long mask = blockSize - 1;
        return offset < 0 || length < 0 || ((offset | length) & mask) != 0 || offset > size - length;
    }
}
