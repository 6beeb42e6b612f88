package io.tensorplane.engine;

/**
 * Opens engine devices from a spec string. A bad spec fails here, before any resource is taken,
 * with an {@link IllegalArgumentException} whose message names the problem (unknown scheme, size 0,
 * size not a multiple of the block size, missing or unreadable path, bad option, bad number, bad
 * block size).
 *
 * <h2>Grammar</h2>
 * <pre>
 * spec    := scheme ':' target { ',' option }
 * scheme  := the name of a registered {@link Backend}: 'null' and 'mem' (the engine's), 'file' (module backend-file), ...
 * target  := size            (null, mem)
 *          | path            (file: a regular file or a block device; the path may not contain ',')
 * size    := digits [ 'K' | 'M' | 'G' | 'T' | 'P' ] [ 'iB' | 'B' ]      binary units, case-insensitive
 * option  := 'bs=' ( '512' | '4096' )                 logical block size (default: the caller's, else the
 *                                                     backend's: a block device's own, otherwise 512)
 *          | 'latency=' ( 'optane' | 'nand' | time )   emulated completion latency
 *          | 'jitter=' time                            extra seeded uniform random latency in [0, time)
 *          | 'faults=' probability                     per-operation chance of -EIO, e.g. 0.001 or 0.1%
 *          | 'seed=' integer                           seed of jitter and faults (default 1)
 *          | a backend's own option                    mem: 'limit=' size (memory cap; writes needing more
 *                                                     fail -ENOSPC); file: 'direct', 'create=' size, ...
 * time    := number [ 'ns' | 'us' | 'ms' | 's' ]       default unit: microseconds
 * </pre>
 *
 * <p>Examples: {@code null:1T}, {@code mem:8G}, {@code mem:1T,limit=2G,bs=4096},
 * {@code file:/var/lib/tp/disk.img,create=10G}, {@code file:/dev/nvme0n1,direct},
 * {@code mem:4G,latency=nand,faults=0.0001,seed=42}.
 *
 * <p>Presets: {@code optane} reads 4 KiB in about 7 µs, writes in 9 µs, flushes in 7 µs;
 * {@code nand} reads 4 KiB in about 60 µs, writes in 20 µs (into the drive's cache) and flushes in
 * 500 µs; both add a per-4 KiB transfer time for larger I/O and a preset jitter unless
 * {@code jitter=} is given.
 *
 * <p>Decorators stack as {@code latency(faults(backend))}: an injected error is delivered after
 * the emulated latency, like a real device error.
 */
public final class Devices {
    private Devices() {
    }

    /** The registered backends, by scheme, for help texts: e.g. {@code file:<path>, mem:<size> or null:<size>}. */
    public static String backends() {
        return Backends.synopsis();
    }

    /** Opens a device with the block size its spec or its backend gives it. */
    public static BlockDevice open(String spec) {
        return DeviceSpec.parse(spec).open();
    }

    /**
     * One line describing a device for logs and front-door output, e.g.
     * {@code mem:8G: 8G, 512-byte blocks, no volatile write cache, discard zeroes}.
     */
    public static String describe(BlockDevice device) {
        return device.spec() + ": " + Sizes.format(device.sizeBytes()) + ", " + device.capabilities();
    }

    /**
     * Opens a device whose block size is {@code blockSize} unless the spec names one with {@code bs=}
     * (the spec wins: it is the more specific of the two).
     */
    public static BlockDevice open(String spec, int blockSize) {
        return DeviceSpec.parse(spec, blockSize).open();
    }
}
