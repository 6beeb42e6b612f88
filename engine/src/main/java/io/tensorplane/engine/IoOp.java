package io.tensorplane.engine;

import java.util.Locale;

/** The operations of an {@link IoChannel}, for metrics and emulation. Hot paths use {@link #ordinal()}. */
public enum IoOp {
    READ, WRITE, FLUSH, DISCARD, WRITE_ZEROES;

    /** All operations, indexed by ordinal (a shared array: do not modify). */
    public static final IoOp[] ALL = values();

    /** Lower-case name used in metric tags and specs: {@code read}, {@code write}, {@code write_zeroes}, ... */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
