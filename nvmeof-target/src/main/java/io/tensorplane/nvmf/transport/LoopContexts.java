package io.tensorplane.nvmf.transport;

import io.netty.channel.EventLoop;
import io.tensorplane.nvmf.core.Stats;
import io.tensorplane.nvmf.subsystem.Namespace;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * The {@link LoopContext} of every event loop, created on first use; the metrics read their stats.
 * Also the home loop of each I/O queue id: I/O queue {@code q} of every controller is served by
 * loop {@code (q - 1) mod N}, the same spread the Linux host uses for its queues' CPUs
 * ({@code io_cpu}), so with loop {@code i} pinned to CPU {@code i} a command is handled on the CPU
 * that sent it and a round trip wakes no other CPU.
 */
public final class LoopContexts {
    private final ConcurrentHashMap<EventLoop, LoopContext> byLoop = new ConcurrentHashMap<>();
    private volatile EventLoop[] homes = new EventLoop[0];
    /** Connections whose ICReq the handshake answered, and I/O queues it registered on their home loop. */
    final AtomicLong handshakes = new AtomicLong();
    final AtomicLong steered = new AtomicLong();

    /** The event loops in order: I/O queue q goes to homes[(q - 1) % homes.length]. */
    void homes(List<EventLoop> ordered) {
        homes = ordered.toArray(new EventLoop[0]);
    }

    /** I/O queues registered on their home loop by the handshake so far. */
    public long steered() {
        return steered.get();
    }

    /** The loop that should serve I/O queue {@code qid}, or null (admin queue, no homes set). */
    public EventLoop homeFor(int qid) {
        EventLoop[] h = homes;
        return qid <= 0 || h.length == 0 ? null : h[(qid - 1) % h.length];
    }

    LoopContext get(EventLoop loop) {
        return byLoop.computeIfAbsent(loop, l -> new LoopContext(l, new Stats()));
    }

    /** The counters of {@code loop}'s thread (the ones its queues' {@code stats()} return). */
    public Stats statsOf(EventLoop loop) {
        return get(loop).stats;
    }

    /** Drops a loop that served only the start-up warm-up. */
    void forget(EventLoop loop) {
        byLoop.remove(loop);
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

    /** Closes each loop's engine channel on one namespace (detached live), on the loop's own thread. */
    public List<Throwable> closeChannels(Namespace ns) {
        return onEveryLoop((c, errors) -> c.closeChannel(ns.globalIndex(), errors));
    }

    /** Closes each loop's engine channels on its own thread. */
    public List<Throwable> closeAll() {
        return onEveryLoop(LoopContext::closeChannels);
    }

    /** Runs {@code task} on every loop's own thread, one loop after the other (5 s each); returns what failed. */
    private List<Throwable> onEveryLoop(BiConsumer<LoopContext, List<Throwable>> task) {
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        for (var e : byLoop.entrySet()) {
            try {
                e.getKey().submit(() -> task.accept(e.getValue(), errors)).get(5, TimeUnit.SECONDS);
            } catch (Exception ex) {
                errors.add(ex);
            }
        }
        return errors;
    }
}
