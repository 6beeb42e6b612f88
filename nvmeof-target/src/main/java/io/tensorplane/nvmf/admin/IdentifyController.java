package io.tensorplane.nvmf.admin;

/** {@code struct nvme_id_ctrl}: offsets of the fields the target fills (4096 bytes). */
public final class IdentifyController {
    public static final int VID = 0;
    public static final int SSVID = 2;
    public static final int SN = 4;
    public static final int MN = 24;
    public static final int FR = 64;
    public static final int RAB = 72;
    public static final int IEEE = 73;
    public static final int CMIC = 76;
    public static final int MDTS = 77;
    public static final int CNTLID = 78;
    public static final int VER = 80;
    public static final int OAES = 92;
    public static final int CTRATT = 96;
    public static final int CNTRLTYPE = 111;
    public static final int OACS = 256;
    public static final int ACL = 258;
    public static final int AERL = 259;
    public static final int FRMW = 260;
    public static final int LPA = 261;
    public static final int ELPE = 262;
    public static final int NPSS = 263;
    public static final int KAS = 320;
    public static final int SQES = 512;
    public static final int CQES = 513;
    public static final int MAXCMD = 514;
    public static final int NN = 516;
    public static final int ONCS = 520;
    public static final int FUSES = 522;
    public static final int FNA = 524;
    public static final int VWC = 525;
    public static final int SGLS = 536;
    public static final int MNAN = 540;
    public static final int SUBNQN = 768;
    public static final int IOCCSZ = 1792;
    public static final int IORCSZ = 1796;
    public static final int ICDOFF = 1800;
    public static final int CTRATTR = 1802;
    public static final int MSDBD = 1803;
    public static final int DCTYPE = 1806;
    public static final int PSD = 2048;
    public static final int VS = 3072;
    public static final int SIZE = 4096;

    public static final int CMIC_MULTI_CTRL = 1 << 1;
    public static final int ONCS_DSM = 1 << 2;
    public static final int ONCS_WRITE_ZEROES = 1 << 3;
    public static final int LPA_SMART_PER_NS = 1;
    public static final int LPA_CMD_EFFECTS = 1 << 1;
    public static final int LPA_EXTENDED = 1 << 2;
    public static final int OAES_NS_ATTR = 1 << 8;
    public static final int CNTRLTYPE_IO = 1;
    public static final int CNTRLTYPE_DISCOVERY = 2;

    private IdentifyController() {
    }
}
