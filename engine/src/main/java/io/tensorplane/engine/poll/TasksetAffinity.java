package io.tensorplane.engine.poll;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Pins threads without native code: finds the calling thread's kernel id through
 * {@code /proc/thread-self} and runs util-linux {@code taskset -p -c <cpu> <tid>} once. A process
 * start per thread is far too slow for an I/O path but fine at a poller's start. Used when no other
 * {@link CpuAffinity} is installed and {@code taskset} exists.
 */
final class TasksetAffinity implements CpuAffinity {
    private final String taskset;

    private TasksetAffinity(String taskset) {
        this.taskset = taskset;
    }

    /** The implementation if {@code taskset} and {@code /proc/thread-self} are available, else null. */
    static CpuAffinity detect() {
        if (!Files.isSymbolicLink(Path.of("/proc/thread-self"))) {
            return null;
        }
        for (String dir : new String[] {"/usr/bin", "/bin", "/usr/local/bin"}) {
            Path p = Path.of(dir, "taskset");
            if (Files.isExecutable(p)) {
                return new TasksetAffinity(p.toString());
            }
        }
        return null;
    }

    /** The kernel thread id of the calling thread. */
    static String currentTid() throws IOException {
        String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString(); // "<pid>/task/<tid>"
        return link.substring(link.lastIndexOf('/') + 1);
    }

    @Override
    public boolean pinCurrentThread(int cpu) {
        try {
            Process p = new ProcessBuilder(taskset, "-p", "-c", Integer.toString(cpu), currentTid())
                    .redirectErrorStream(true)
                    .start();
            try (InputStream out = p.getInputStream()) {
                out.transferTo(OutputSink.INSTANCE);
            }
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public String name() {
        return "taskset";
    }

    /** Discards the child's output. */
    private static final class OutputSink extends java.io.OutputStream {
        static final OutputSink INSTANCE = new OutputSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
