package io.tensorplane.nvmf.admin;

/** Log page identifiers and layouts (include/linux/nvme.h). */
public final class LogPages {
    public static final int ERROR = 0x01;
    public static final int SMART = 0x02;
    public static final int FW_SLOT = 0x03;
    public static final int CHANGED_NS = 0x04;
    public static final int CMD_EFFECTS = 0x05;
    public static final int DISCOVERY = 0x70;

    /** {@code struct nvme_error_slot}. */
    public static final int ERROR_ENTRY_SIZE = 64;

    /** {@code struct nvme_smart_log} (512 bytes). */
    public static final int SMART_CRITICAL_WARNING = 0;
    public static final int SMART_TEMPERATURE = 1;
    public static final int SMART_AVAIL_SPARE = 3;
    public static final int SMART_SPARE_THRESH = 4;
    public static final int SMART_PERCENT_USED = 5;
    public static final int SMART_DATA_UNITS_READ = 32;
    public static final int SMART_DATA_UNITS_WRITTEN = 48;
    public static final int SMART_HOST_READS = 64;
    public static final int SMART_HOST_WRITES = 80;
    public static final int SMART_POWER_CYCLES = 112;
    public static final int SMART_POWER_ON_HOURS = 128;
    public static final int SMART_SIZE = 512;

    /** {@code struct nvme_fw_slot_info_log} (512 bytes). */
    public static final int FW_AFI = 0;
    public static final int FW_FRS1 = 8;
    public static final int FW_SIZE = 512;

    /** Changed namespace list: 1024 NSIDs. */
    public static final int CHANGED_NS_SIZE = 4096;

    /** {@code struct nvme_effects_log}: acs[256] then iocs[256], le32 each. */
    public static final int EFFECTS_ACS = 0;
    public static final int EFFECTS_IOCS = 1024;
    public static final int EFFECTS_SIZE = 4096;
    public static final int EFFECTS_CSUPP = 1;
    public static final int EFFECTS_LBCC = 1 << 1;

    private LogPages() {
    }
}
