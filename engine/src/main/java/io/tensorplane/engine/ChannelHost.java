package io.tensorplane.engine;

/**
 * The I/O thread that opens a channel, and what it offers the backend behind it.
 *
 * <p>A front door that already drives a completion mechanism of its own can lend it to the backend:
 * a ublk queue thread, for instance, offers its io_uring, so that an io_uring backend puts its reads
 * and writes on the same ring and one system call per loop submits the queue's commits and the
 * backend's I/O together (as ublksrv and libublk-rs do). What a facility is, is agreed between the
 * modules that offer and use it; the engine only carries it. A backend that finds nothing it can use
 * works on its own.
 */
@FunctionalInterface
public interface ChannelHost {
    /** A thread that offers nothing: the backend brings everything it needs. */
    ChannelHost NONE = new ChannelHost() {
        @Override
        public <T> T facility(Class<T> type) {
            return null;
        }

        @Override
        public String toString() {
            return "ChannelHost.NONE";
        }
    };

    /** The facility of this type the thread offers, or null. */
    <T> T facility(Class<T> type);
}
