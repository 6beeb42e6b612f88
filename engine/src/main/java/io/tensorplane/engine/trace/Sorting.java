package io.tensorplane.engine.trace;

import java.util.Arrays;

/** Sorting columns by a key: a permutation of indices, then each column permuted (set-up work, not the I/O path). */
final class Sorting {
    private Sorting() {
    }

    /** Indices {@code 0..n-1} ordered by {@code key}, ties by index (stable). */
    static int[] byKey(long[] key, int n) {
        return byKeys(key, null, n);
    }

    /** Indices ordered by {@code key}, then {@code tie} (may be null), then index. */
    static int[] byKeys(long[] key, long[] tie, int n) {
        Integer[] boxed = new Integer[n];
        boolean sorted = true;
        for (int i = 0; i < n; i++) {
            boxed[i] = i;
            if (i > 0 && (key[i] < key[i - 1] || key[i] == key[i - 1] && tie != null && tie[i] < tie[i - 1])) {
                sorted = false;
            }
        }
        if (!sorted) {
            Arrays.sort(boxed, (a, b) -> {
                int c = Long.compare(key[a], key[b]);
                if (c == 0 && tie != null) {
                    c = Long.compare(tie[a], tie[b]);
                }
                return c != 0 ? c : Integer.compare(a, b);
            });
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = boxed[i];
        }
        return order;
    }

    static long[] permute(long[] a, int[] order) {
        long[] out = new long[order.length];
        for (int i = 0; i < order.length; i++) {
            out[i] = a[order[i]];
        }
        return out;
    }

    static int[] permute(int[] a, int[] order) {
        int[] out = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            out[i] = a[order[i]];
        }
        return out;
    }

    static byte[] permute(byte[] a, int[] order) {
        byte[] out = new byte[order.length];
        for (int i = 0; i < order.length; i++) {
            out[i] = a[order[i]];
        }
        return out;
    }
}
