package io.tensorplane.nvmf.core;

/** A periodic task a {@link QueuePair} runs on its own thread (the keep-alive check). */
public interface Timer {
    void cancel();
}
