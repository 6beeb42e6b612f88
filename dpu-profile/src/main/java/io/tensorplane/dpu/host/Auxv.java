package io.tensorplane.dpu.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;

/**
 * The auxiliary vector the kernel gave this process ({@code /proc/self/auxv}): pairs of 64-bit words, type then
 * value, ending with {@code AT_NULL}. The kernel's own statement of the CPU's features ({@code AT_HWCAP}) and the
 * page size ({@code AT_PAGESZ}), which {@code /proc/cpuinfo} only paraphrases.
 */
public final class Auxv {
    static final int AT_PAGESZ = 6;
    static final int AT_HWCAP = 16;
    static final int AT_HWCAP2 = 26;

    /** arm64 {@code AT_HWCAP} bits ({@code arch/arm64/include/uapi/asm/hwcap.h}). */
    public static final long HWCAP_ATOMICS = 1L << 8;
    public static final long HWCAP_CPUID = 1L << 11;
    public static final long HWCAP_SVE = 1L << 22;

    private final Map<Long, Long> entries;

    private Auxv(Map<Long, Long> entries) {
        this.entries = entries;
    }

    /** Parses the raw file of a 64-bit little-endian process (arm64 and x86-64 both are). */
    public static Auxv parse(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        Map<Long, Long> e = new TreeMap<>();
        while (b.remaining() >= 16) {
            long type = b.getLong();
            long value = b.getLong();
            if (type == 0) {
                break;
            }
            e.put(type, value);
        }
        return new Auxv(e);
    }

    /** The page size, or 0 when the vector has none. */
    public long pageSize() {
        return entries.getOrDefault((long) AT_PAGESZ, 0L);
    }

    public long hwcap() {
        return entries.getOrDefault((long) AT_HWCAP, 0L);
    }

    public long hwcap2() {
        return entries.getOrDefault((long) AT_HWCAP2, 0L);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }
}
