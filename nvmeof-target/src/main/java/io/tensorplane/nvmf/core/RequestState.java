package io.tensorplane.nvmf.core;

/** Where a command slot is in its life (SPDK's {@code spdk_nvmf_tcp_req_state}, reduced to what this target does). */
public enum RequestState {
    /** Unused; waits in the queue's free list. */
    FREE,
    /** Its host data is arriving: in-capsule, or through R2T and H2CData. */
    RECEIVING,
    /** With a command set or the engine; completes through {@link Request#complete}. */
    EXECUTING,
    /** Controller-to-host data of a large read is being sent piece by piece. */
    SENDING,
    /** Held without a deadline: an Asynchronous Event Request waiting for an event. */
    PARKED
}
