package io.tensorplane.nvmf.transport;

import io.netty.channel.EventLoop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** The {@link LoopContext} of every event loop, created on first use; the metrics read their stats. */
public final class LoopContexts {
    private final ConcurrentHashMap<EventLoop, LoopContext> byLoop = new ConcurrentHashMap<>();

    LoopContext get(EventLoop loop) {
        return byLoop.computeIfAbsent(loop, l -> new LoopContext(l, new Stats()));
    }

    public List<Stats> stats() {
        List<Stats> all = new ArrayList<>();
        for (LoopContext c : byLoop.values()) {
            all.add(c.stats);
        }
        return all;
    }

    public long sum(java.util.function.ToLongFunction<Stats> f) {
        long s = 0;
        for (LoopContext c : byLoop.values()) {
            s += f.applyAsLong(c.stats);
        }
        return s;
    }

    /** Closes each loop's engine channels on its own thread. */
    public List<Throwable> closeAll() {
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (var e : byLoop.entrySet()) {
            try {
                e.getKey().submit(() -> e.getValue().closeChannels(errors)).get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception ex) {
                errors.add(ex);
            }
        }
        return errors;
    }
}
