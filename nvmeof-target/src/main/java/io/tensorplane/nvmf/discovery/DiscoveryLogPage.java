package io.tensorplane.nvmf.discovery;

/** {@code struct nvmf_disc_rsp_page_hdr} and {@code struct nvmf_disc_rsp_page_entry}. */
public final class DiscoveryLogPage {
    public static final int GENCTR = 0;
    public static final int NUMREC = 8;
    public static final int RECFMT = 16;
    public static final int HEADER_SIZE = 1024;

    public static final int E_TRTYPE = 0;
    public static final int E_ADRFAM = 1;
    public static final int E_SUBTYPE = 2;
    public static final int E_TREQ = 3;
    public static final int E_PORTID = 4;
    public static final int E_CNTLID = 6;
    public static final int E_ASQSZ = 8;
    public static final int E_EFLAGS = 10;
    public static final int E_TRSVCID = 32;
    public static final int E_SUBNQN = 256;
    public static final int E_TRADDR = 512;
    public static final int E_TSAS = 768;
    public static final int ENTRY_SIZE = 1024;
    public static final int TRSVCID_SIZE = 32;
    public static final int NQN_SIZE = 256;
    public static final int TRADDR_SIZE = 256;

    public static final int TRTYPE_TCP = 3;
    public static final int ADRFAM_IP4 = 1;
    public static final int ADRFAM_IP6 = 2;
    /** NVME_NQN_NVME: an NVM subsystem. */
    public static final int SUBTYPE_NVME = 2;
    /** NVMF_TREQ_NOT_SPECIFIED | NVMF_TREQ_DISABLE_SQFLOW. */
    public static final int TREQ = 0x04;

    private DiscoveryLogPage() {
    }
}
