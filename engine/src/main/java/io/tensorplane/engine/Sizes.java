package io.tensorplane.engine;

import java.util.Locale;

/** Parses human sizes such as {@code 512}, {@code 4k}, {@code 8G}, {@code 1TiB} (binary units). */
public final class Sizes {
    private Sizes() {
    }

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
        if (value <= 0) {
            throw new IllegalArgumentException("size must be positive in '" + context + "'");
        }
        if (shift != 0 && value > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size too large in '" + context + "'");
        }
        return value << shift;
    }
}
