package io.tensorplane.nvmf.fabrics;

/** {@code struct nvmf_property_get_command} / {@code nvmf_property_set_command}: offsets within the SQE. */
public final class PropertyCommand {
    public static final int ATTRIB = 40;
    public static final int OFFSET = 44;
    public static final int VALUE = 48;

    // Controller properties (struct nvme_bar offsets).
    public static final int CAP = 0x00;
    public static final int VS = 0x08;
    public static final int INTMS = 0x0c;
    public static final int INTMC = 0x10;
    public static final int CC = 0x14;
    public static final int CSTS = 0x1c;
    public static final int NSSR = 0x20;

    private PropertyCommand() {
    }
}
