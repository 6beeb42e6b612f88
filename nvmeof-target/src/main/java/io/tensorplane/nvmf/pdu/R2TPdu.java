package io.tensorplane.nvmf.pdu;

/** {@code struct nvme_tcp_r2t_pdu}: Ready to Transfer (24 bytes). */
public final class R2TPdu {
    public static final int CCCID = 8;
    public static final int TTAG = 10;
    public static final int R2TO = 12;
    public static final int R2TL = 16;
    public static final int HLEN = 24;

    private R2TPdu() {
    }
}
