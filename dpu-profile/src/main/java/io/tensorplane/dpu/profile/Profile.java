package io.tensorplane.dpu.profile;

import io.tensorplane.engine.Sizes;
import io.tensorplane.engine.poll.CpuList;

import java.util.List;
import java.util.Map;

/**
 * A profile's effective settings on one machine: what {@code serve --profile}, the launcher, the systemd unit and
 * preflight apply. Made by {@link Profiles#resolve}; {@link #misfits()} lists why it cannot run here (empty: it fits).
 *
 * @param source          {@code built-in} or the file it came from, with what it extends
 * @param housekeeping    CPUs of the OS, the JIT compiler and the garbage collector: the JVM process's affinity
 * @param data            CPUs of the ublk queue threads and NVMe/TCP event loops, one pinned thread each
 * @param snap            CPUs left to NVIDIA SNAP (empty when SNAP does not run: they join {@code data})
 * @param snapRunning     whether SNAP was found running (or, for {@link Profiles#onTarget}, is assumed)
 * @param scaledFrom      the target the core map and budgets were scaled from ({@code 16 cores, 16G}), or null
 * @param bindAddress     the NVMe/TCP listen address resolved on this machine, or null when it cannot be
 * @param metricsAddress  the Prometheus endpoint's address, or null
 * @param memoryMax       the service's memory limit: heap + direct + JVM overhead
 * @param jvmFlags        the JVM's command-line flags for this target (computed ones first)
 */
public record Profile(String name, int version, String description, String source, String arch,
        int[] housekeeping, int[] data, int[] snap, boolean snapRunning, String scaledFrom,
        int ublkQueues, int ublkDepth, int nvmfMaxIoQueues, int nvmfMaxQueueSize,
        String bindInterface, String bindAddress, int bindPort,
        String metricsInterface, String metricsAddress, int metricsPort,
        long osMemory, long snapMemory, long heap, long direct, long jvmOverhead, long memoryMax,
        long hugepageSize, int snapHugepages, long memlock,
        Map<String, String> frontDoors, List<String> jvmFlags, List<String> misfits) {

    public boolean fits() {
        return misfits.isEmpty();
    }

    /** Whether a front door ({@code nvmf}, {@code ublk}) must work for this profile to run. */
    public boolean requires(String frontDoor) {
        return "required".equals(frontDoors.get(frontDoor));
    }

    /** The memory the whole machine needs: the OS's share, SNAP's when it runs, and this service's. */
    public long memoryNeeded() {
        return osMemory + (snapRunning ? snapMemory : 0) + memoryMax;
    }

    /** CPUs the service's cgroup must allow: housekeeping and data. */
    public int[] serviceCpus() {
        int[] all = new int[housekeeping.length + data.length];
        System.arraycopy(housekeeping, 0, all, 0, housekeeping.length);
        System.arraycopy(data, 0, all, housekeeping.length, data.length);
        java.util.Arrays.sort(all);
        return all;
    }

    /** {@code 10.0.0.2:4420}, or the interface when it has no address here. */
    public String listen() {
        return (bindAddress != null ? hostPort(bindAddress) : "<" + bindInterface + ">") + ":" + bindPort;
    }

    public String metricsListen() {
        return (metricsAddress != null ? hostPort(metricsAddress) : "<" + metricsInterface + ">") + ":" + metricsPort;
    }

    static String hostPort(String address) {
        return address.indexOf(':') >= 0 ? "[" + address + "]" : address;
    }

    /** A size for people: {@code 2G}, {@code 13.5G}, {@code 480M}. */
    public static String human(long bytes) {
        long g = 1L << 30;
        if (bytes >= g && bytes % g != 0) {
            return String.format(java.util.Locale.ROOT, "%.1fG", bytes / (double) g);
        }
        long m = 1L << 20;
        if (bytes >= m && bytes % m != 0) {
            return (bytes / m) + "M";
        }
        return Sizes.format(bytes);
    }

    static String cpus(int[] list) {
        return list.length == 0 ? "none" : CpuList.format(list);
    }
}
