package io.tensorplane.nvmf.pdu;

/** {@code struct nvme_tcp_data_pdu}: the header of H2CData and C2HData PDUs (24 bytes). */
public final class DataPdu {
    public static final int CCCID = 8;
    public static final int TTAG = 10;
    public static final int DATAO = 12;
    public static final int DATAL = 16;
    public static final int HLEN = 24;

    private DataPdu() {
    }
}
