package io.tensorplane.engine;

/**
 * Receives the completion of one I/O submitted on an {@link IoChannel}.
 *
 * <p>Called exactly once per submission, on the thread that owns the channel: either inline,
 * from inside the submit call, or later from {@link IoChannel#poll()}. Implementations must not
 * block and should not allocate.
 */
@FunctionalInterface
public interface IoCompletion {
    /**
     * @param tag    the caller's tag given at submission (a ublk tag, an NVMe command id, ...)
     * @param result bytes transferred (0 for flush, discard, write-zeroes) or a negative errno
     *               from {@link Errno}
     */
    void complete(long tag, int result);
}
