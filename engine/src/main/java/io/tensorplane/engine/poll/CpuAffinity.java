package io.tensorplane.engine.poll;

import java.util.ServiceLoader;

/**
 * Service interface for pinning the calling thread to a CPU. The engine has no native access of its
 * own (it must not depend on JNA); a module that has it (e.g. the ublk server, which uses JNA for
 * {@code sched_setaffinity}) provides an implementation through {@link ServiceLoader}
 * ({@code META-INF/services/io.tensorplane.engine.poll.CpuAffinity}) or {@link #install(CpuAffinity)}.
 * Without one, the engine falls back to running util-linux {@code taskset} once per pinned thread
 * (when it is installed), else pinning is a no-op that reports {@code false}.
 */
public interface CpuAffinity {
    /**
     * Pins the calling thread to one CPU.
     *
     * @return true if pinned, false if pinning is not possible (the thread keeps running unpinned)
     */
    boolean pinCurrentThread(int cpu);

    /** A short name for messages, e.g. {@code sched_setaffinity}. */
    String name();

    /**
     * The implementation in use: one installed explicitly, else the first found by ServiceLoader, else
     * {@code taskset} if available, else a no-op.
     */
    static CpuAffinity installed() {
        return Holder.current();
    }

    /** Installs an implementation for this process (replaces any found by ServiceLoader); null restores the default. */
    static void install(CpuAffinity affinity) {
        Holder.install(affinity);
    }

    /** The no-op used when nothing is installed. */
    CpuAffinity NONE = new CpuAffinity() {
        @Override
        public boolean pinCurrentThread(int cpu) {
            return false;
        }

        @Override
        public String name() {
            return "none";
        }
    };

    /** Holds the process-wide choice. */
    final class Holder {
        private static volatile CpuAffinity current;

        private Holder() {
        }

        static CpuAffinity current() {
            CpuAffinity c = current;
            if (c == null) {
                synchronized (Holder.class) {
                    c = current;
                    if (c == null) {
                        c = ServiceLoader.load(CpuAffinity.class).findFirst().orElse(null);
                        if (c == null) {
                            c = TasksetAffinity.detect();
                        }
                        if (c == null) {
                            c = NONE;
                        }
                        current = c;
                    }
                }
            }
            return c;
        }

        /** Installs an implementation; null goes back to the default choice. */
        static synchronized void install(CpuAffinity affinity) {
            current = affinity;
        }
    }
}
