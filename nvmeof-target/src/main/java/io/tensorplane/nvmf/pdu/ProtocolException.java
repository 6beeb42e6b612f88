package io.tensorplane.nvmf.pdu;

/**
 * A fatal NVMe/TCP transport error: the connection gets a C2HTermReq with this FES/FEI and is
 * closed. Thrown only on the error path; carries no stack trace.
 */
public final class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int fes;
    private final int fei;

    public ProtocolException(int fes, int fei, String message) {
        super(message, null, false, false);
        this.fes = fes;
        this.fei = fei;
    }

    public int fes() {
        return fes;
    }

    public int fei() {
        return fei;
    }
}
