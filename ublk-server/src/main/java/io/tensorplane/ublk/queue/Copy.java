package io.tensorplane.ublk.queue;

/** How a queue moves a request's data between the kernel and the backend. */
public enum Copy {
    /**
     * Zero copy ({@code UBLK_F_SUPPORT_ZERO_COPY + UBLK_F_AUTO_BUF_REG}): the kernel registers each request's pages in
     * the queue ring's buffer table under the request's tag, and the backend reads and writes them there by index
     * ({@link io.tensorplane.engine.RegisteredBufferIo}); no byte passes through the server.
     */
    ZERO("zero"),
    /** User copy ({@code UBLK_F_USER_COPY}): {@code pread}/{@code pwrite} on {@code /dev/ublkcN} into per-tag buffers. */
    USER("user"),
    /** The kernel copies into per-tag buffers whose addresses go with each command. */
    BUFFER("buffer");

    /** The name {@code ublk add --copy}, its JSON and {@code ublk list} use. */
    public final String label;

    Copy(String label) {
        this.label = label;
    }
}
