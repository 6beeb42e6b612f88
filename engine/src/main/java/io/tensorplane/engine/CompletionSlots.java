package io.tensorplane.engine;

import java.util.Arrays;

/**
 * The I/Os in flight through one channel of a layer (a decorator or a backend): each takes a slot, whose number is
 * its tag to the layer below and which holds the caller's completion and tag until {@link #complete}. Free slots are
 * a stack that doubles when empty, so memory grows only at a new high-water mark of I/Os in flight and the steady
 * state allocates nothing. The layer keeps its own per-slot data in arrays indexed by slot number, and grows them
 * to {@link #capacity()} when {@link #take} returns a slot past their end. One thread only.
 */
public final class CompletionSlots {
    private IoCompletion[] done;
    private long[] tags;
    private int[] free;
    private int freeCount;
    private int inFlight;

    public CompletionSlots(int initialCapacity) {
        done = new IoCompletion[initialCapacity];
        tags = new long[initialCapacity];
        free = new int[initialCapacity];
        for (int i = 0; i < initialCapacity; i++) {
            free[i] = initialCapacity - 1 - i;
        }
        freeCount = initialCapacity;
    }

    /** A slot for the I/O that {@code completion} completes with {@code tag}; may grow {@link #capacity()}. */
    public int take(IoCompletion completion, long tag) {
        if (freeCount == 0) {
            grow();
        }
        int s = free[--freeCount];
        done[s] = completion;
        tags[s] = tag;
        inFlight++;
        return s;
    }

    /** Frees slot {@code s}, then completes its I/O with {@code result} (the callback may take a slot again). */
    public void complete(int s, int result) {
        IoCompletion completion = done[s];
        long tag = tags[s];
        done[s] = null;
        free[freeCount++] = s;
        inFlight--;
        completion.complete(tag, result);
    }

    /** One more than the highest slot number {@link #take} has returned or can return without growing. */
    public int capacity() {
        return done.length;
    }

    public int inFlight() {
        return inFlight;
    }

    private void grow() {
        int old = done.length;
        int n = old * 2;
        done = Arrays.copyOf(done, n);
        tags = Arrays.copyOf(tags, n);
        free = Arrays.copyOf(free, n);
        for (int i = n - 1; i >= old; i--) {
            free[freeCount++] = i;
        }
    }
}
