package io.tensorplane.engine.poll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** CPU lists in the kernel's notation ({@code 0-3,6}), and the CPUs this process may run on. */
public final class CpuList {
    private CpuList() {
    }

    /** Parses {@code 2,3}, {@code 4-7} or {@code 0,2-3}; an empty or blank list is no CPU. */
    public static int[] parse(String list) {
        if (list == null || list.isBlank()) {
            return new int[0];
        }
        int[] out = new int[0];
        for (String part : list.split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-');
                int lo = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
                int hi = dash < 0 ? lo : Integer.parseInt(p.substring(dash + 1));
                if (lo < 0 || hi < lo || hi - lo > 4096) {
                    throw new NumberFormatException();
                }
                int at = out.length;
                out = Arrays.copyOf(out, at + hi - lo + 1);
                for (int c = lo; c <= hi; c++) {
                    out[at++] = c;
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad CPU list '" + list + "'; expected e.g. 2,3 or 4-7");
            }
        }
        return out;
    }

    /**
     * The CPUs this process may run on ({@code Cpus_allowed_list} of {@code /proc/self/status}, which
     * honours {@code taskset} and cgroups); without procfs, 0 to availableProcessors - 1.
     */
    public static int[] allowed() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    int[] cpus = parse(line.substring(line.indexOf(':') + 1).trim());
                    if (cpus.length > 0) {
                        return cpus;
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // fall through: not Linux, or a format this parser does not know
        }
        int[] cpus = new int[Runtime.getRuntime().availableProcessors()];
        Arrays.setAll(cpus, i -> i);
        return cpus;
    }

    /** {@code [0, 1, 2, 5]} as {@code 0-2,5}. */
    public static String format(int[] cpus) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cpus.length; i++) {
            int j = i;
            while (j + 1 < cpus.length && cpus[j + 1] == cpus[j] + 1) {
                j++;
            }
            b.append(b.length() == 0 ? "" : ",").append(cpus[i]);
            if (j > i) {
                b.append('-').append(cpus[j]);
            }
            i = j;
        }
        return b.toString();
    }
}
