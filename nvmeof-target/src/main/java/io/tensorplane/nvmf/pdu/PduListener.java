package io.tensorplane.nvmf.pdu;

import io.netty.buffer.ByteBuf;

/**
 * Receives what the {@link PduDecoder} parsed, without intermediate message objects. Callbacks may
 * throw {@link ProtocolException} to terminate the connection.
 */
public interface PduListener {

    /**
     * An ICReq arrived (the first PDU of a connection).
     *
     * @return the digests the controller enables ({@link Pdu#HDR_DIGEST_ENABLE} | {@link Pdu#DATA_DIGEST_ENABLE})
     */
    int onIcReq(int hpda, int digest, int maxr2t);

    /**
     * A command capsule; the 64-byte SQE is at {@code sqeIndex} in {@code in} (valid only during the call).
     *
     * @param inlineLength length of the in-capsule data that follows, 0 if none
     * @return for in-capsule data, the buffer it is appended to (at its writer index), or null to drop it;
     *         then {@link #onCapsuleData(boolean)} follows
     */
    ByteBuf onCapsule(ByteBuf in, int sqeIndex, int inlineLength);

    /** All in-capsule data arrived; {@code digestOk} is false when its data digest did not match. */
    void onCapsuleData(boolean digestOk);

    /**
     * An H2CData PDU header.
     *
     * @return the buffer its data is appended to (the listener checks that its writer index equals {@code offset})
     */
    ByteBuf onH2CData(int cccid, int ttag, int offset, int length, boolean last);

    /** The data of the current H2CData PDU arrived. */
    void onH2CDataDone(boolean digestOk);

    /** The host terminated the connection. */
    void onTermReq(int fes);

    /** A fatal transport error: send a C2HTermReq and close. Called once; input is discarded afterwards. */
    void onFatal(int fes, int fei, String message);
}
