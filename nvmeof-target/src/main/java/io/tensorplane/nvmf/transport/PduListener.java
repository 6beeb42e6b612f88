package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;
import io.tensorplane.nvmf.pdu.DataPdu;
import io.tensorplane.nvmf.pdu.IcReqPdu;
import io.tensorplane.nvmf.pdu.ProtocolException;
import io.tensorplane.nvmf.pdu.Sqe;

/**
 * Receives what the {@link PduReceiver} parsed, as flyweight decoders over the PDU's header (valid only during the
 * call), without intermediate message objects. Callbacks may throw {@link ProtocolException} to terminate the
 * connection.
 */
interface PduListener {

    /**
     * An ICReq arrived (the first PDU of a connection).
     *
     * @return the digests the controller enables ({@code Pdu.HDR_DIGEST_ENABLE | Pdu.DATA_DIGEST_ENABLE})
     */
    int onIcReq(IcReqPdu.Decoder icreq);

    /**
     * A command capsule.
     *
     * @param inlineLength length of the in-capsule data that follows, 0 if none
     * @return for in-capsule data, the buffer it is appended to (at its writer index), or null to drop it;
     *         then {@link #onCapsuleData(boolean)} follows
     */
    ByteBuf onCapsule(Sqe.Decoder sqe, int inlineLength);

    /** All in-capsule data arrived; {@code digestOk} is false when its data digest did not match. */
    void onCapsuleData(boolean digestOk);

    /**
     * An H2CData PDU header.
     *
     * @return the buffer its data is appended to (the listener checks that the offset is the one it expects)
     */
    ByteBuf onH2CData(DataPdu.Decoder h2c, boolean last);

    /** The data of the current H2CData PDU arrived. */
    void onH2CDataDone(boolean digestOk);

    /** The host terminated the connection. */
    void onTermReq(int fes);

    /** A fatal transport error: send a C2HTermReq and close. Called once; input is discarded afterwards. */
    void onFatal(int fes, int fei, String message);
}
