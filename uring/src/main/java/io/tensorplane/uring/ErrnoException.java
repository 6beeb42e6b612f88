package io.tensorplane.uring;

/** A system call failed at the edges (setup, control path). The I/O path returns errno values instead. */
public class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public ErrnoException(String what, int errno) {
        super(what + ": " + LibC.strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }
}
