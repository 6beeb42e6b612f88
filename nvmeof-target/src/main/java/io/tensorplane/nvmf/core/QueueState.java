package io.tensorplane.nvmf.core;

import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.subsystem.Registry;

/**
 * The NVMe side of a queue pair, set by its Fabrics Connect: the controller, queue id, size, and the submission queue
 * head reported in each completion (or 0xffff when the host disabled SQ flow control). Confined to the queue's thread.
 */
public final class QueueState {
    private final Registry registry;
    private Controller controller;
    private int qid = -1;
    private int size;
    private boolean sqFlowControlDisabled;
    private int sqHead;

    public QueueState(Registry registry) {
        this.registry = registry;
    }

    /** The target the queue belongs to. */
    public Registry registry() {
        return registry;
    }

    /** Binds the queue to {@code c} after a successful Connect (called by the transport's {@link QueuePair#connected}). */
    public void connected(Controller c, int queueId, int queueSize, boolean disableSqFlow) {
        controller = c;
        qid = queueId;
        size = queueSize;
        sqFlowControlDisabled = disableSqFlow;
    }

    public boolean isConnected() {
        return controller != null;
    }

    public Controller controller() {
        return controller;
    }

    /** The queue id, -1 before Connect. */
    public int qid() {
        return qid;
    }

    public int size() {
        return size;
    }

    public boolean sqFlowControlDisabled() {
        return sqFlowControlDisabled;
    }

    /** SQHD for the next completion: the head moves by one per completed command. */
    public int nextSqHead() {
        if (sqFlowControlDisabled) {
            return 0xffff;
        }
        sqHead = size == 0 ? 0 : (sqHead + 1) % size;
        return sqHead;
    }
}
