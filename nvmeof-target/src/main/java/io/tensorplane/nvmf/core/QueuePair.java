package io.tensorplane.nvmf.core;

import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.subsystem.Namespace;
import org.agrona.MutableDirectBuffer;

import java.net.SocketAddress;

/**
 * What the command sets need from a transport's queue pair (SPDK's {@code spdk_nvmf_transport_ops}, one queue's
 * share): send a response, send controller data, close, run a timer, and the engine channels of the thread that
 * serves the queue. Everything is called on that thread, except {@link #close()}. Engine completions of the queue's
 * commands come back through its {@link IoCompletion} side, tagged with {@link Request#tag()}.
 */
public interface QueuePair extends IoCompletion {

    /** NVMe state of this queue: controller, queue id, submission queue head. */
    QueueState state();

    /**
     * A Fabrics Connect bound this queue to {@code c} as queue {@code qid} of {@code size} entries: the transport
     * records it in {@link #state()} and sizes its command slots.
     */
    void connected(Controller c, int qid, int size, boolean disableSqFlow);

    /** Completes {@code r} with a response capsule; the slot is free afterwards. */
    void complete(Request r, int status, long result);

    /**
     * Space for {@code length} bytes of controller-to-host data of {@code r}, from index 0 of the returned view
     * (valid until the request completes): fill it, then {@link #completeWithData}.
     */
    MutableDirectBuffer reply(Request r, int length);

    /** Native address of {@link #reply}'s data (for the engine to read into). */
    long replyAddress(Request r);

    /**
     * Sends the first {@code length} bytes of the reply (capped at the command's SGL length) as the data at offset
     * {@link Request#transferred()}, the transfer's last, and the completion.
     */
    void completeWithData(Request r, int length);

    /**
     * Sends the first {@code length} bytes of the reply as the data at offset {@link Request#transferred()}, not the
     * last of the transfer; once they are on their way (and the reply's buffer is free again) the transport calls
     * {@link Dispatcher#dataSent}, which reads the next piece. One piece per command is in flight at a time.
     */
    void sendData(Request r, int length);

    /**
     * Asks the host for {@code length} bytes of {@code r}'s data at {@code offset} (the next piece of a long write);
     * when they have arrived the transport attaches them and calls {@link Dispatcher#execute} again.
     */
    void requestData(Request r, int offset, int length);

    /** Closes the queue (controller teardown, keep-alive expiry). Safe from any thread. */
    void close();

    /** Whether the queue is closed (its I/O is dropped as it completes). */
    boolean isClosed();

    /** Runs {@code task} once on this queue's thread (live configuration changes, from any thread). */
    void execute(Runnable task);

    /** Runs {@code task} every {@code periodMillis} on this queue's thread until cancelled. */
    Timer every(long periodMillis, Runnable task);

    /** The engine channel of this queue's thread for {@code ns} (opened on first use). */
    IoChannel channel(Namespace ns);

    /** Called after engine submissions: the thread pushes them once per batch and watches for their completion. */
    void submitted(IoChannel ch);

    /** Counters of this queue's thread. */
    Stats stats();

    /** The host's address, for messages. */
    String peer();

    /** The local address the host reached (the discovery log reports it for wildcard ports). */
    SocketAddress localAddress();
}
