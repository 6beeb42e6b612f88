package io.tensorplane.nvmf.subsystem;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The target's configuration at run time: subsystems by NQN (plus the discovery subsystem), the
 * I/O ports, the discovery generation counter and target-wide control-path counters.
 */
public final class Registry {
    private final TargetOptions options;
    private final Map<String, Subsystem> subsystems = new LinkedHashMap<>();
    private final Subsystem discovery;
    private final List<Port> ports = new CopyOnWriteArrayList<>();
    private final AtomicLong genctr = new AtomicLong();
    public final AtomicLong keepAliveTimeouts = new AtomicLong();
    public final AtomicLong controllersCreated = new AtomicLong();
    public final AtomicLong connectsRejected = new AtomicLong();
    private volatile IoStatsSource ioStats = () -> new long[4];

    public Registry(TargetOptions options) {
        this.options = options.validate();
        this.discovery = new Subsystem(Subsystem.DISCOVERY_NQN, true, List.of(), List.of());
    }

    public TargetOptions options() {
        return options;
    }

    public synchronized void add(Subsystem s) {
        if (s.nqn().equals(Subsystem.DISCOVERY_NQN)) {
            throw new IllegalArgumentException("the discovery NQN cannot name an NVM subsystem");
        }
        if (subsystems.containsKey(s.nqn())) {
            throw new IllegalArgumentException("subsystem " + s.nqn() + " is configured twice");
        }
        subsystems.put(s.nqn(), s);
        genctr.incrementAndGet();
    }

    /** Removes a subsystem from a live target (new Connects to it are refused); its controllers stay until torn down. */
    public synchronized Subsystem remove(String nqn) {
        Subsystem s = subsystems.remove(nqn);
        if (s == null) {
            throw new IllegalArgumentException("no subsystem " + nqn);
        }
        genctr.incrementAndGet();
        return s;
    }

    public void addPort(Port p) {
        ports.add(p);
        genctr.incrementAndGet();
    }

    public List<Port> ports() {
        return Collections.unmodifiableList(ports);
    }

    public synchronized Subsystem find(String nqn) {
        if (Subsystem.DISCOVERY_NQN.equals(nqn)) {
            return discovery;
        }
        return subsystems.get(nqn);
    }

    public synchronized List<Subsystem> subsystems() {
        return new ArrayList<>(subsystems.values());
    }

    public Subsystem discovery() {
        return discovery;
    }

    public long generation() {
        return genctr.get();
    }

    /** Source of the I/O counters (read commands, write commands, bytes read, bytes written) for SMART. */
    public interface IoStatsSource {
        long[] snapshot();
    }

    public void ioStats(IoStatsSource s) {
        ioStats = s;
    }

    public long[] ioStats() {
        return ioStats.snapshot();
    }
}
