package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.tensorplane.nvmf.pdu.CapsuleCmdPdu;
import io.tensorplane.nvmf.pdu.Crc32c;
import io.tensorplane.nvmf.pdu.DataPdu;
import io.tensorplane.nvmf.pdu.IcReqPdu;
import io.tensorplane.nvmf.pdu.Pdu;
import io.tensorplane.nvmf.pdu.ProtocolException;
import io.tensorplane.nvmf.pdu.TermReqPdu;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.List;

/**
 * The NVMe/TCP receive state machine: common header, PDU header (+ header digest), padding, data
 * (+ data digest). Each header is copied into a small array and read through the codec's flyweight
 * decoders (the same ones the test host uses). Data bytes are copied straight from the socket buffer
 * into the destination the listener provides (a command's data buffer), so large writes are not
 * accumulated first.
 *
 * <p>Every malformed, out-of-order or oversized PDU ends in {@link PduListener#onFatal}; after that
 * all input is dropped. The decoder never throws to the pipeline for bad input.
 */
class PduReceiver extends ByteToMessageDecoder {
    private enum State { COMMON, HEADER, PAD, DATA, DDGST, FAILED }

    private PduListener listener;
    private final int maxInline;
    private final int maxH2cData;
    private final Digest digest = new Digest();
    private final Crc32c headerCrc = new Crc32c();
    private final byte[] header = new byte[Pdu.MAX_HEADER];
    private final UnsafeBuffer headerView = new UnsafeBuffer(header);
    private final IcReqPdu.Decoder icreq = new IcReqPdu.Decoder();
    private final CapsuleCmdPdu.Decoder capsule = new CapsuleCmdPdu.Decoder();
    private final DataPdu.Decoder h2cData = new DataPdu.Decoder();
    private final TermReqPdu.Decoder term = new TermReqPdu.Decoder();

    private State state = State.COMMON;
    private boolean icDone;
    private boolean hdgst;
    private boolean ddgst;

    private int type;
    private int flags;
    private int hlen;
    private int pdo;
    private int plen;
    private int dataLength;
    private int remaining;
    private ByteBuf dest;

    /**
     * @param maxInline  the largest in-capsule data accepted (IOCCSZ * 16 - 64)
     * @param maxH2cData the MAXH2CDATA announced in the ICResp
     */
    PduReceiver(PduListener listener, int maxInline, int maxH2cData) {
        this.listener = listener;
        this.maxInline = maxInline;
        this.maxH2cData = maxH2cData;
    }

    /** For subclasses that create their listener once the channel is known. */
    protected PduReceiver(int maxInline, int maxH2cData) {
        this(null, maxInline, maxH2cData);
    }

    protected final void listener(PduListener l) {
        this.listener = l;
    }

    boolean headerDigest() {
        return hdgst;
    }

    boolean dataDigest() {
        return ddgst;
    }

    /** The ICReq was answered before this receiver took the connection over: start after it, with these digests. */
    final void afterIcReq(boolean headerDigest, boolean dataDigest) {
        icDone = true;
        hdgst = headerDigest;
        ddgst = dataDigest;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            decodeLoop(in);
        } catch (ProtocolException e) {
            fail(in, e.fes(), e.fei(), e.getMessage());
        }
    }

    private void decodeLoop(ByteBuf in) {
        for (;;) {
            switch (state) {
                case COMMON:
                    if (in.readableBytes() < Pdu.COMMON_HEADER_SIZE) {
                        return;
                    }
                    in.getBytes(in.readerIndex(), header, 0, Pdu.COMMON_HEADER_SIZE);
                    checkCommonHeader();
                    state = State.HEADER;
                    break;
                case HEADER: {
                    int hd = headerDigestLength();
                    if (in.readableBytes() < hlen + hd) {
                        return;
                    }
                    int start = in.readerIndex();
                    in.getBytes(start, header, 0, hlen + hd);
                    if (hd != 0) {
                        int expected = headerCrc.compute(headerView, 0, hlen);
                        int got = in.getIntLE(start + hlen);
                        if (expected != got) {
                            throw new ProtocolException(TermReqPdu.FES_HDR_DIGEST_ERR, 0,
                                    String.format("header digest error in %s: received 0x%08x, computed 0x%08x",
                                            Pdu.typeName(type), got, expected));
                        }
                    }
                    dispatchHeader();
                    if (state == State.FAILED) {
                        return;
                    }
                    in.skipBytes(hlen + hd);
                    if (dataLength > 0) {
                        remaining = pdo - hlen - hd;
                        state = remaining > 0 ? State.PAD : State.DATA;
                        if (state == State.DATA) {
                            remaining = dataLength;
                        }
                        digest.reset();
                    } else if (type == Pdu.H2C_TERM) {
                        remaining = plen - hlen;
                        state = remaining > 0 ? State.PAD : State.FAILED;
                    } else {
                        state = State.COMMON;
                    }
                    break;
                }
                case PAD: {
                    int n = Math.min(in.readableBytes(), remaining);
                    in.skipBytes(n);
                    remaining -= n;
                    if (remaining > 0) {
                        return;
                    }
                    if (type == Pdu.H2C_TERM) {
                        state = State.FAILED;
                        break;
                    }
                    remaining = dataLength;
                    state = State.DATA;
                    break;
                }
                case DATA: {
                    int n = Math.min(in.readableBytes(), remaining);
                    if (n == 0) {
                        return;
                    }
                    if (dest != null) {
                        int at = dest.writerIndex();
                        dest.writeBytes(in, n);
                        if (ddgst) {
                            digest.update(dest, at, n);
                        }
                    } else {
                        if (ddgst) {
                            digest.update(in, in.readerIndex(), n);
                        }
                        in.skipBytes(n);
                    }
                    remaining -= n;
                    if (remaining > 0) {
                        return;
                    }
                    if (ddgst) {
                        state = State.DDGST;
                    } else {
                        dataDone(true);
                    }
                    break;
                }
                case DDGST: {
                    if (in.readableBytes() < Pdu.DIGEST_LENGTH) {
                        return;
                    }
                    boolean ok = in.readIntLE() == digest.value();
                    dataDone(ok);
                    break;
                }
                case FAILED:
                default:
                    in.skipBytes(in.readableBytes());
                    return;
            }
        }
    }

    private int headerDigestLength() {
        return hdgst && type != Pdu.ICREQ && type != Pdu.H2C_TERM ? Pdu.DIGEST_LENGTH : 0;
    }

    private void dataDone(boolean ok) {
        dest = null;
        state = State.COMMON;
        dataLength = 0;
        if (type == Pdu.CMD) {
            listener.onCapsuleData(ok);
        } else {
            listener.onH2CDataDone(ok);
        }
    }

    private void checkCommonHeader() {
        type = Pdu.type(headerView, 0);
        flags = Pdu.flags(headerView, 0);
        hlen = Pdu.hlen(headerView, 0);
        pdo = Pdu.pdo(headerView, 0);
        long plenU = Pdu.plen(headerView, 0);
        dataLength = 0;
        if (!icDone && type != Pdu.ICREQ && type != Pdu.H2C_TERM) {
            throw new ProtocolException(TermReqPdu.FES_PDU_SEQ_ERR, Pdu.TYPE,
                    Pdu.typeName(type) + " before ICReq");
        }
        switch (type) {
            case Pdu.ICREQ:
                if (icDone) {
                    throw new ProtocolException(TermReqPdu.FES_PDU_SEQ_ERR, Pdu.TYPE, "second ICReq");
                }
                expectHlen(IcReqPdu.SIZE);
                if (plenU != IcReqPdu.SIZE) {
                    throw invalid(Pdu.PLEN, "ICReq plen " + plenU);
                }
                if (pdo != 0) {
                    throw invalid(Pdu.PDO, "ICReq pdo " + pdo);
                }
                plen = IcReqPdu.SIZE;
                return;
            case Pdu.H2C_TERM:
                expectHlen(TermReqPdu.HLEN);
                if (plenU < TermReqPdu.HLEN || plenU > TermReqPdu.HLEN + TermReqPdu.MAX_ERROR_DATA) {
                    throw invalid(Pdu.PLEN, "H2CTermReq plen " + plenU);
                }
                plen = (int) plenU;
                return;
            case Pdu.CMD:
                expectHlen(CapsuleCmdPdu.HLEN);
                checkDigestFlags(plenU, maxInline, true);
                return;
            case Pdu.H2C_DATA:
                expectHlen(DataPdu.HLEN);
                checkDigestFlags(plenU, maxH2cData, false);
                if (dataLength == 0) {
                    throw invalid(Pdu.PLEN, "H2CData without data");
                }
                return;
            default:
                throw invalid(Pdu.TYPE, "unexpected PDU " + Pdu.typeName(type) + " from host");
        }
    }

    private void checkDigestFlags(long plenU, int maxData, boolean dataOptional) {
        int hd = hdgst ? Pdu.DIGEST_LENGTH : 0;
        if (((flags & Pdu.F_HDGST) != 0) != hdgst) {
            throw invalid(Pdu.FLAGS, Pdu.typeName(type) + " HDGST flag does not match the negotiated header digest");
        }
        long minimum = hlen + hd;
        if (plenU < minimum) {
            throw invalid(Pdu.PLEN, Pdu.typeName(type) + " plen " + plenU + " shorter than its header");
        }
        if (plenU == minimum) {
            if ((flags & Pdu.F_DDGST) != 0) {
                throw invalid(Pdu.FLAGS, Pdu.typeName(type) + " DDGST flag without data");
            }
            plen = (int) minimum;
            dataLength = 0;
            return;
        }
        if (((flags & Pdu.F_DDGST) != 0) != ddgst) {
            throw invalid(Pdu.FLAGS, Pdu.typeName(type) + " DDGST flag does not match the negotiated data digest");
        }
        int dd = ddgst ? Pdu.DIGEST_LENGTH : 0;
        // The host's PDU data alignment is 0 (HPDA 0 asked in the ICReq): allow padding up to 128 bytes.
        if (pdo < minimum || pdo > minimum + 128 || pdo + dd >= plenU) {
            throw invalid(Pdu.PDO, Pdu.typeName(type) + " pdo " + pdo + " with plen " + plenU);
        }
        long data = plenU - pdo - dd;
        if (data > maxData) {
            throw new ProtocolException(dataOptional ? TermReqPdu.FES_INVALID_PDU_HDR : TermReqPdu.FES_DATA_LIMIT_EXCEEDED,
                    Pdu.PLEN, Pdu.typeName(type) + " carries " + data + " data bytes, the limit is " + maxData);
        }
        plen = (int) plenU;
        dataLength = (int) data;
    }

    private void expectHlen(int expected) {
        if (hlen != expected) {
            throw invalid(Pdu.HLEN, Pdu.typeName(type) + " hlen " + hlen + ", expected " + expected);
        }
    }

    private static ProtocolException invalid(int field, String message) {
        return new ProtocolException(TermReqPdu.FES_INVALID_PDU_HDR, field, message);
    }

    /** Checks an ICReq's fields (after its common header was checked). */
    static void checkIcReq(IcReqPdu.Decoder ic) {
        int pfv = ic.pfv();
        if (pfv != Pdu.PFV_1_0) {
            throw new ProtocolException(TermReqPdu.FES_UNSUPPORTED_PARAM, IcReqPdu.PFV,
                    "unsupported PDU format version " + pfv);
        }
        int hpda = ic.hpda();
        if (hpda > 31) {
            throw new ProtocolException(TermReqPdu.FES_INVALID_PDU_HDR, IcReqPdu.HPDA, "HPDA " + hpda);
        }
    }

    private void dispatchHeader() {
        switch (type) {
            case Pdu.ICREQ: {
                icreq.wrap(headerView, 0);
                checkIcReq(icreq);
                int enabled = listener.onIcReq(icreq);
                hdgst = (enabled & Pdu.HDR_DIGEST_ENABLE) != 0;
                ddgst = (enabled & Pdu.DATA_DIGEST_ENABLE) != 0;
                icDone = true;
                return;
            }
            case Pdu.H2C_TERM:
                listener.onTermReq(term.wrap(headerView, 0).fes());
                return;
            case Pdu.CMD:
                dest = listener.onCapsule(capsule.wrap(headerView, 0).sqe(), dataLength);
                return;
            case Pdu.H2C_DATA: {
                h2cData.wrap(headerView, 0);
                int datal = h2cData.datal();
                if (datal != dataLength) {
                    throw new ProtocolException(TermReqPdu.FES_INVALID_PDU_HDR, DataPdu.DATAL,
                            "H2CData DATAL " + Integer.toUnsignedString(datal) + " but the PDU carries " + dataLength);
                }
                dest = listener.onH2CData(h2cData, (flags & Pdu.F_DATA_LAST) != 0);
                return;
            }
            default:
                throw invalid(Pdu.TYPE, "unexpected PDU type " + type);
        }
    }

    private void fail(ByteBuf in, int fes, int fei, String message) {
        if (state == State.FAILED) {
            in.skipBytes(in.readableBytes());
            return;
        }
        state = State.FAILED;
        dest = null;
        in.skipBytes(in.readableBytes());
        listener.onFatal(fes, fei, message);
    }
}
