package io.tensorplane.uring;

/** Receives completion queue entries, read in place from the ring. */
@FunctionalInterface
public interface CqeHandler {
    void onCqe(long userData, int res, int flags);
}
