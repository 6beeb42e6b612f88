package io.tensorplane.dpu.host;

import java.util.Map;
import java.util.Optional;

/**
 * An Arm CPU core named from its {@code MIDR_EL1} (implementer, part number), as the kernel exposes it in
 * {@code /sys/devices/system/cpu/cpu0/regs/identification/midr_el1}. Part numbers from Arm's technical reference
 * manuals.
 */
public record CpuPart(int implementer, int part, int variant, int revision) {

    private static final Map<Integer, String> ARM = Map.ofEntries(
            Map.entry(0xd03, "Cortex-A53"), Map.entry(0xd04, "Cortex-A35"), Map.entry(0xd05, "Cortex-A55"),
            Map.entry(0xd07, "Cortex-A57"), Map.entry(0xd08, "Cortex-A72"), Map.entry(0xd09, "Cortex-A73"),
            Map.entry(0xd0a, "Cortex-A75"), Map.entry(0xd0b, "Cortex-A76"), Map.entry(0xd0c, "Neoverse-N1"),
            Map.entry(0xd0d, "Cortex-A77"), Map.entry(0xd40, "Neoverse-V1"), Map.entry(0xd41, "Cortex-A78"),
            Map.entry(0xd42, "Cortex-A78AE"), Map.entry(0xd44, "Cortex-X1"), Map.entry(0xd46, "Cortex-A510"),
            Map.entry(0xd47, "Cortex-A710"), Map.entry(0xd49, "Neoverse-N2"), Map.entry(0xd4b, "Cortex-A78C"),
            Map.entry(0xd4f, "Neoverse-V2"));

    static final String MIDR = "/sys/devices/system/cpu/cpu0/regs/identification/midr_el1";

    /** Decodes {@code 0x00000000410fd421}. */
    public static Optional<CpuPart> parse(String midr) {
        try {
            long v = Long.decode(midr.trim());
            return Optional.of(new CpuPart((int) (v >>> 24) & 0xff, (int) (v >>> 4) & 0xfff,
                    (int) (v >>> 20) & 0xf, (int) v & 0xf));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The core's name ({@code Cortex-A78AE}), or its numbers when this table does not know it. */
    public String name() {
        String n = implementer == 0x41 ? ARM.get(part) : null;
        return n != null ? n : String.format("implementer 0x%02x part 0x%03x", implementer, part);
    }

    @Override
    public String toString() {
        return String.format("%s (part 0x%03x r%dp%d)", name(), part, variant, revision);
    }
}
