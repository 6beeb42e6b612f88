package io.tensorplane.ublk;

/** A ublk operation failed with a message meant for the user (one line, no stack trace). */
public final class UblkException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public UblkException(String message) {
        this(message, 0);
    }

    public UblkException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** The positive errno behind this failure, or 0. */
    public int errno() {
        return errno;
    }
}
