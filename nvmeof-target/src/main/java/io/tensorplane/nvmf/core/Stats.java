package io.tensorplane.nvmf.core;

/**
 * Plain per-event-loop counters, written only by their loop thread and summed by the metrics
 * reader (a slightly stale sum is fine). Padded so that two loops' counters do not share a cache line.
 */
public final class Stats {
    long p01, p02, p03, p04, p05, p06, p07, p08;
    public long commands;
    public long reads;
    public long writes;
    public long readBytes;
    public long writeBytes;
    public long errors;
    public long termReqs;
    public long r2ts;
    /** Runs of the loop's engine poll (submissions pushed, completions reaped): a spinning loop runs it endlessly. */
    public long enginePolls;
    /** Flushes written by the loop itself with one writev (io_uring), not through Netty's channel. */
    public long directSends;
    long p11, p12, p13, p14, p15, p16, p17, p18;
}
