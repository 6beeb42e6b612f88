package io.tensorplane.engine;

import java.util.Locale;

/** Parses human sizes such as {@code 512}, {@code 4k}, {@code 8G}, {@code 1TiB} (binary units). */
public final class Sizes {
    private Sizes() {
    }

    /**
     * Parses a positive size with an optional binary unit suffix ({@code K}, {@code M}, {@code G},
     * {@code T}, {@code P}, optionally followed by {@code iB} or {@code B}).
     *
     * @param context the spec or option the size came from, named in the error message
     * @throws IllegalArgumentException naming the problem (missing, 0, negative, malformed, too large)
     */
    public static long parse(String text, String context) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.isEmpty()) {
            throw new IllegalArgumentException("missing size in '" + context + "'");
        }
        if (s.endsWith("IB")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("B")) {
            s = s.substring(0, s.length() - 1);
        }
        int shift = 0;
        char unit = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
        switch (unit) {
            case 'K': shift = 10; break;
            case 'M': shift = 20; break;
            case 'G': shift = 30; break;
            case 'T': shift = 40; break;
            case 'P': shift = 50; break;
            default: break;
        }
        if (shift != 0) {
            s = s.substring(0, s.length() - 1);
        }
        long value;
        try {
            value = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad size '" + text + "' in '" + context + "'; expected e.g. 512, 4K, 8G, 1T");
        }
        if (value == 0) {
            throw new IllegalArgumentException("size 0 in '" + context + "'; a device needs at least one block");
        }
        if (value < 0) {
            throw new IllegalArgumentException("negative size '" + text + "' in '" + context + "'");
        }
        if (shift != 0 && value > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size too large in '" + context + "'");
        }
        return value << shift;
    }

    /** Formats a byte count with the largest exact binary unit, e.g. {@code 8G}, {@code 1536K}. */
    public static String format(long bytes) {
        String[] units = {"", "K", "M", "G", "T", "P"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v != 0 && (v & 1023) == 0) {
            v >>= 10;
            u++;
        }
        return v + units[u];
    }
}
