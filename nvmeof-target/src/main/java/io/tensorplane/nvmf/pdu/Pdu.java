package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The NVMe/TCP common header ({@code struct nvme_tcp_hdr}, include/linux/nvme-tcp.h), the PDU type and flag values,
 * and the accessors every PDU flyweight shares. Every PDU starts with these 8 bytes; multi-byte fields are little
 * endian.
 */
public final class Pdu {
    public static final int TYPE = 0;
    public static final int FLAGS = 1;
    public static final int HLEN = 2;
    public static final int PDO = 3;
    public static final int PLEN = 4;
    /** sizeof(struct nvme_tcp_hdr). */
    public static final int COMMON_HEADER_SIZE = 8;
    /** The longest PDU header (ICReq/ICResp) plus a header digest: what a receiver must buffer at most. */
    public static final int MAX_HEADER = 128 + 4;

    /** NVME_TCP_DIGEST_LENGTH: a CRC32C header or data digest. */
    public static final int DIGEST_LENGTH = 4;
    /** NVME_TCP_ADMIN_CCSZ: the in-capsule data the Linux host assumes on the admin queue. */
    public static final int ADMIN_CCSZ = 8192;
    /** NVME_TCP_DISC_PORT. */
    public static final int DISCOVERY_PORT = 8009;
    /** NVME_TCP_PFV_1_0. */
    public static final int PFV_1_0 = 0;

    // enum nvme_tcp_pdu_type
    public static final int ICREQ = 0x0;
    public static final int ICRESP = 0x1;
    public static final int H2C_TERM = 0x2;
    public static final int C2H_TERM = 0x3;
    public static final int CMD = 0x4;
    public static final int RSP = 0x5;
    public static final int H2C_DATA = 0x6;
    public static final int C2H_DATA = 0x7;
    public static final int R2T = 0x9;

    // enum nvme_tcp_pdu_flags
    public static final int F_HDGST = 1;
    public static final int F_DDGST = 1 << 1;
    public static final int F_DATA_LAST = 1 << 2;
    public static final int F_DATA_SUCCESS = 1 << 3;

    // enum nvme_tcp_digest_option (ICReq/ICResp digest field)
    public static final int HDR_DIGEST_ENABLE = 1;
    public static final int DATA_DIGEST_ENABLE = 1 << 1;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Pdu() {
    }

    public static int type(DirectBuffer b, int at) {
        return b.getByte(at + TYPE) & 0xff;
    }

    public static int flags(DirectBuffer b, int at) {
        return b.getByte(at + FLAGS) & 0xff;
    }

    public static int hlen(DirectBuffer b, int at) {
        return b.getByte(at + HLEN) & 0xff;
    }

    public static int pdo(DirectBuffer b, int at) {
        return b.getByte(at + PDO) & 0xff;
    }

    /** PLEN as an unsigned value. */
    public static long plen(DirectBuffer b, int at) {
        return b.getInt(at + PLEN, LE) & 0xffffffffL;
    }

    /** Writes a common header at {@code at}. */
    public static void putHeader(MutableDirectBuffer b, int at, int type, int flags, int hlen, int pdo, int plen) {
        b.putByte(at + TYPE, (byte) type);
        b.putByte(at + FLAGS, (byte) flags);
        b.putByte(at + HLEN, (byte) hlen);
        b.putByte(at + PDO, (byte) pdo);
        b.putInt(at + PLEN, plen, LE);
    }

    /** Writes the CRC32C of the {@code hlen}-byte header at {@code at} right after it. */
    static void putHeaderDigest(MutableDirectBuffer b, int at, int hlen, Crc32c crc) {
        b.putInt(at + hlen, crc.compute(b, at, hlen), LE);
    }

    public static String typeName(int type) {
        switch (type) {
            case ICREQ: return "ICReq";
            case ICRESP: return "ICResp";
            case H2C_TERM: return "H2CTermReq";
            case C2H_TERM: return "C2HTermReq";
            case CMD: return "CapsuleCmd";
            case RSP: return "CapsuleResp";
            case H2C_DATA: return "H2CData";
            case C2H_DATA: return "C2HData";
            case R2T: return "R2T";
            default: return "type 0x" + Integer.toHexString(type);
        }
    }
}
