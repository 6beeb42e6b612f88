package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.tensorplane.nvmf.pdu.Pdu.LE;

/**
 * {@code struct nvme_command} (include/linux/nvme.h): the 64-byte submission queue entry, with the
 * offsets of the common fields, the read/write fields and the fabrics command type.
 */
public final class Sqe {
    public static final int OPCODE = 0;
    public static final int FLAGS = 1;
    public static final int COMMAND_ID = 2;
    public static final int NSID = 4;
    /** Fabrics commands: {@code fctype} sits where the NSID is in other commands. */
    public static final int FCTYPE = 4;
    public static final int CDW2 = 8;
    public static final int CDW3 = 12;
    public static final int METADATA = 16;
    /** {@code union nvme_data_ptr dptr}: one SGL descriptor on fabrics. */
    public static final int DPTR = 24;
    public static final int CDW10 = 40;
    public static final int CDW11 = 44;
    public static final int CDW12 = 48;
    public static final int CDW13 = 52;
    public static final int CDW14 = 56;
    public static final int CDW15 = 60;
    public static final int SIZE = 64;

    // struct nvme_rw_command
    public static final int RW_SLBA = 40;
    public static final int RW_LENGTH = 48;
    public static final int RW_CONTROL = 50;
    /** NVME_RW_FUA in the control field. */
    public static final int RW_FUA = 1 << 14;

    // struct nvme_sgl_desc inside dptr
    public static final int SGL_ADDR = DPTR;
    public static final int SGL_LENGTH = DPTR + 8;
    public static final int SGL_TYPE = DPTR + 15;

    /** (NVME_SGL_FMT_DATA_DESC << 4) | NVME_SGL_FMT_OFFSET: data in the capsule. */
    public static final int SGL_INCAPSULE = 0x01;
    /** (NVME_TRANSPORT_SGL_DATA_DESC << 4) | NVME_SGL_FMT_TRANSPORT_A: data via R2T/H2CData or C2HData. */
    public static final int SGL_TRANSPORT = 0x5A;

    private Sqe() {
    }

    /** Writes an SQE; {@link #wrap} clears it. */
    public static final class Encoder {
        private MutableDirectBuffer b;
        private int at;

        public Encoder wrap(MutableDirectBuffer buffer, int offset) {
            b = buffer;
            at = offset;
            b.setMemory(at, SIZE, (byte) 0);
            return this;
        }

        public Encoder opcode(int v) {
            b.putByte(at + OPCODE, (byte) v);
            return this;
        }

        public Encoder flags(int v) {
            b.putByte(at + FLAGS, (byte) v);
            return this;
        }

        public Encoder cid(int v) {
            b.putShort(at + COMMAND_ID, (short) v, LE);
            return this;
        }

        public Encoder nsid(int v) {
            b.putInt(at + NSID, v, LE);
            return this;
        }

        /** Fabrics command type (overlays the NSID's first byte). */
        public Encoder fctype(int v) {
            b.putByte(at + FCTYPE, (byte) v);
            return this;
        }

        /** Command dword {@code n} (10..15). */
        public Encoder cdw(int n, int v) {
            b.putInt(at + CDW10 + 4 * (n - 10), v, LE);
            return this;
        }

        public Encoder putByte(int field, int v) {
            b.putByte(at + field, (byte) v);
            return this;
        }

        public Encoder putShort(int field, int v) {
            b.putShort(at + field, (short) v, LE);
            return this;
        }

        public Encoder putInt(int field, int v) {
            b.putInt(at + field, v, LE);
            return this;
        }

        public Encoder putLong(int field, long v) {
            b.putLong(at + field, v, LE);
            return this;
        }

        /** The data pointer: one SGL descriptor (in-capsule or transport data block). */
        public Encoder sgl(long address, int length, int type) {
            b.putLong(at + SGL_ADDR, address, LE);
            b.putInt(at + SGL_LENGTH, length, LE);
            b.putByte(at + SGL_TYPE, (byte) type);
            return this;
        }
    }

    public static final class Decoder {
        private DirectBuffer b;
        private int at;

        public Decoder wrap(DirectBuffer buffer, int offset) {
            b = buffer;
            at = offset;
            return this;
        }

        public int opcode() {
            return b.getByte(at + OPCODE) & 0xff;
        }

        public int flags() {
            return b.getByte(at + FLAGS) & 0xff;
        }

        public int cid() {
            return b.getShort(at + COMMAND_ID, LE) & 0xffff;
        }

        public int nsid() {
            return b.getInt(at + NSID, LE);
        }

        public int fctype() {
            return b.getByte(at + FCTYPE) & 0xff;
        }

        /** Command dword {@code n} (10..15). */
        public int cdw(int n) {
            return b.getInt(at + CDW10 + 4 * (n - 10), LE);
        }

        public long sglAddress() {
            return b.getLong(at + SGL_ADDR, LE);
        }

        public int sglLength() {
            return b.getInt(at + SGL_LENGTH, LE);
        }

        public int sglType() {
            return b.getByte(at + SGL_TYPE) & 0xff;
        }
    }
}
