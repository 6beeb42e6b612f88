package io.tensorplane.engine.metrics;

import io.tensorplane.engine.IoOp;

/**
 * Totals of one operation kind on one device since it was metered.
 *
 * @param ops     completed operations (successful and failed)
 * @param bytes   bytes transferred by successful reads and writes; bytes covered by successful
 *                discards and write-zeroes
 * @param errors  operations that completed with a negative errno
 * @param p50Nanos   median submit-to-completion latency
 * @param p99Nanos   99th percentile latency
 * @param p999Nanos  99.9th percentile latency
 * @param meanNanos  mean latency
 */
public record OpSnapshot(IoOp op, long ops, long bytes, long errors,
                         long p50Nanos, long p99Nanos, long p999Nanos, double meanNanos) {
}
