package io.tensorplane.engine.poll;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs pollers (Agrona {@link Agent}s) as a {@link PollerConfig} says: each on its own thread, all on
 * one thread, or on the caller's thread ({@link #invoke()}). Poller threads pin themselves in
 * {@link Agent#onStart()} through {@link CpuAffinity#installed()}, before any set-up of the agent.
 * Poller threads are named {@code <config name>-<agent role>}.
 */
public final class PollerGroup implements AutoCloseable {
    private final List<AgentRunner> runners = new ArrayList<>();
    private final AgentInvoker invoker;
    private final PollerConfig config;
    private final AtomicInteger pinned = new AtomicInteger();

    private PollerGroup(PollerConfig config, List<? extends Agent> agents) {
        this.config = config;
        int[] cpus = config.cpus();
        ErrorHandler errors = t -> System.err.println("tensorplane: poller error: " + t);
        switch (config.threading()) {
            case DEDICATED: {
                invoker = null;
                for (int i = 0; i < agents.size(); i++) {
                    int cpu = cpus.length == 0 ? -1 : cpus[i % cpus.length];
                    runners.add(new AgentRunner(IdleStrategies.parse(config.idle()), errors, null,
                            new Pinned(agents.get(i), config.name() + "-" + agents.get(i).roleName(), cpu, pinned)));
                }
                break;
            }
            case SHARED: {
                invoker = null;
                Agent all = agents.size() == 1 ? agents.get(0) : new CompositeAgent(agents);
                runners.add(new AgentRunner(IdleStrategies.parse(config.idle()), errors, null,
                        new Pinned(all, config.name() + "-" + all.roleName(), cpus.length == 0 ? -1 : cpus[0], pinned)));
                break;
            }
            case INVOKER: {
                Agent all = agents.size() == 1 ? agents.get(0) : new CompositeAgent(agents);
                invoker = new AgentInvoker(errors, null, all);
                break;
            }
            default:
                throw new AssertionError(config.threading());
        }
    }

    /** Starts the pollers (threads, or the invoker's {@code onStart} on the calling thread). */
    public static PollerGroup start(PollerConfig config, List<? extends Agent> agents) {
        if (agents.isEmpty()) {
            throw new IllegalArgumentException("no pollers to start");
        }
        PollerGroup g = new PollerGroup(config, agents);
        if (g.invoker != null) {
            g.invoker.start();
        } else {
            for (AgentRunner r : g.runners) {
                AgentRunner.startOnThread(r); // the runner names its thread after the agent's role
            }
        }
        return g;
    }

    public static PollerGroup start(PollerConfig config, Agent... agents) {
        return start(config, List.of(agents));
    }

    /** One round of work of all pollers, on the calling thread; only in {@link ThreadingMode#INVOKER} mode. */
    public int invoke() {
        if (invoker == null) {
            throw new IllegalStateException("invoke() is for the invoker threading mode; this group runs " + config.threading());
        }
        return invoker.invoke();
    }

    /** Number of poller threads that were pinned to a CPU. */
    public int pinnedThreads() {
        return pinned.get();
    }

    /** Poller threads (empty in invoker mode). */
    public List<Thread> threads() {
        List<Thread> out = new ArrayList<>();
        for (AgentRunner r : runners) {
            Thread t = r.thread();
            if (t != null && t != AgentRunner.TOMBSTONE) {
                out.add(t);
            }
        }
        return out;
    }

    public PollerConfig config() {
        return config;
    }

    /** Stops the pollers and waits for their threads ({@link Agent#onClose()} runs on each). */
    @Override
    public void close() {
        if (invoker != null) {
            invoker.close();
        }
        for (AgentRunner r : runners) {
            r.close();
        }
    }

    /** Pins the thread, then delegates. */
    private static final class Pinned implements Agent {
        private final Agent agent;
        private final String role;
        private final int cpu;
        private final AtomicInteger pinned;

        Pinned(Agent agent, String role, int cpu, AtomicInteger pinned) {
            this.agent = agent;
            this.role = role;
            this.cpu = cpu;
            this.pinned = pinned;
        }

        @Override
        public void onStart() {
            if (cpu >= 0) {
                CpuAffinity affinity = CpuAffinity.installed();
                if (affinity.pinCurrentThread(cpu)) {
                    pinned.incrementAndGet();
                } else if (affinity == CpuAffinity.NONE) {
                    System.err.println("tensorplane: no CPU pinning available (no CpuAffinity installed); "
                            + Thread.currentThread().getName() + " runs unpinned");
                }
            }
            agent.onStart();
        }

        @Override
        public int doWork() throws Exception {
            return agent.doWork();
        }

        @Override
        public void onClose() {
            agent.onClose();
        }

        @Override
        public String roleName() {
            return role;
        }
    }
}
