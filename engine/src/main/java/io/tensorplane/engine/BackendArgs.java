package io.tensorplane.engine;

import java.util.Map;

/**
 * What a {@link Backend} gets to parse: the spec's target and the options that are its own (already
 * checked to be among {@link Backend#options()}, each given once, values present where needed), and
 * the block size asked for.
 */
public final class BackendArgs {
    private final String spec;
    private final String target;
    private final int blockSize;
    private final Map<String, String> options;

    BackendArgs(String spec, String target, int blockSize, Map<String, String> options) {
        this.spec = spec;
        this.target = target;
        this.blockSize = blockSize;
        this.options = options;
    }

    /** The whole spec, for messages and for {@link BlockDevice#spec()}. */
    public String spec() {
        return spec;
    }

    /** What follows the colon, up to the first comma. */
    public String target() {
        return target;
    }

    /**
     * The logical block size asked for: the spec's {@code bs=}, else the caller's (a front door's
     * {@code --block-size}), else 0, meaning the backend chooses (a block device's own, or 512).
     */
    public int blockSize() {
        return blockSize;
    }

    /** {@link #blockSize()}, or {@code fallback} if none was asked for. */
    public int blockSizeOr(int fallback) {
        return blockSize != 0 ? blockSize : fallback;
    }

    /** Whether the option was given (a flag, or with a value). */
    public boolean has(String option) {
        return options.containsKey(option);
    }

    /** The option's value, or null if it was not given. */
    public String value(String option) {
        return options.get(option);
    }

    /** The option's value as a size ({@link Sizes#parse}), or 0 if it was not given. */
    public long size(String option) {
        String v = options.get(option);
        return v == null ? 0 : Sizes.parse(v, spec + " (" + option + ")");
    }

    /** The target as a size ({@link Sizes#parse}). */
    public long targetSize() {
        return Sizes.parse(target, spec);
    }

    /** Fails unless {@code bytes} is a multiple of {@code blockSize}, naming what it is. */
    public void requireMultiple(long bytes, int blockSize, String what) {
        if (bytes % blockSize != 0) {
            throw new IllegalArgumentException(what + " " + bytes + " in spec '" + spec
                    + "' is not a multiple of the block size " + blockSize);
        }
    }
}
