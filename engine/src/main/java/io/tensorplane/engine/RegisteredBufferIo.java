package io.tensorplane.engine;

/**
 * Reads and writes memory the caller names by its index in the buffer table of the io_uring its thread lends the
 * channel ({@link ChannelHost}), not by an address: memory the caller may not be able to address at all. A ublk
 * request's own pages are such memory: the kernel registers them in the queue's ring under an index the queue
 * chose ({@code UBLK_F_AUTO_BUF_REG}), and a backend whose I/O runs on that ring moves the data straight between
 * its file and the request (zero copy): no byte passes through the server.
 *
 * <p>Offered by {@link IoChannel#registeredBufferIo()} only where it works: a channel whose reads and writes go on
 * the host's ring (the {@code file:} backend on a lent ring). Backends that need the bytes in memory ({@code mem},
 * {@code null}, the emulation decorators, NVMe/TCP) do not offer it, and a front door asks
 * {@link BlockDevice#offersRegisteredBufferIo()} before it commits to zero copy. Completion, errors and checks are
 * those of {@link IoChannel#read} and {@link IoChannel#write}.
 */
public interface RegisteredBufferIo {

    /** Reads {@code length} bytes at device {@code offset} into registered buffer {@code bufIndex}, from its start. */
    void readRegistered(long offset, int length, int bufIndex, IoCompletion done, long tag);

    /** Writes {@code length} bytes from the start of registered buffer {@code bufIndex} at device {@code offset}. */
    void writeRegistered(long offset, int length, int bufIndex, int flags, IoCompletion done, long tag);
}
