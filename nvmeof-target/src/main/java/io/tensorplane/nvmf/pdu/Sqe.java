package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

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
    public static final class Encoder extends FieldWriter {

        public Encoder wrap(MutableDirectBuffer buffer, int offset) {
            start(buffer, offset);
            clear(SIZE);
            return this;
        }

        public Encoder opcode(int v) {
            u8(OPCODE, v);
            return this;
        }

        public Encoder flags(int v) {
            u8(FLAGS, v);
            return this;
        }

        public Encoder cid(int v) {
            u16(COMMAND_ID, v);
            return this;
        }

        public Encoder nsid(int v) {
            u32(NSID, v);
            return this;
        }

        /** Fabrics command type (overlays the NSID's first byte). */
        public Encoder fctype(int v) {
            u8(FCTYPE, v);
            return this;
        }

        /** Command dword {@code n} (10..15). */
        public Encoder cdw(int n, int v) {
            u32(CDW10 + 4 * (n - 10), v);
            return this;
        }

        public Encoder putByte(int field, int v) {
            u8(field, v);
            return this;
        }

        public Encoder putShort(int field, int v) {
            u16(field, v);
            return this;
        }

        public Encoder putInt(int field, int v) {
            u32(field, v);
            return this;
        }

        public Encoder putLong(int field, long v) {
            u64(field, v);
            return this;
        }

        /** The data pointer: one SGL descriptor (in-capsule or transport data block). */
        public Encoder sgl(long address, int length, int type) {
            u64(SGL_ADDR, address);
            u32(SGL_LENGTH, length);
            u8(SGL_TYPE, type);
            return this;
        }
    }

    public static final class Decoder extends FieldReader {

        public Decoder wrap(DirectBuffer buffer, int offset) {
            start(buffer, offset);
            return this;
        }

        public int opcode() {
            return u8(OPCODE);
        }

        public int flags() {
            return u8(FLAGS);
        }

        public int cid() {
            return u16(COMMAND_ID);
        }

        public int nsid() {
            return i32(NSID);
        }

        public int fctype() {
            return u8(FCTYPE);
        }

        /** Command dword {@code n} (10..15). */
        public int cdw(int n) {
            return i32(CDW10 + 4 * (n - 10));
        }

        public long sglAddress() {
            return i64(SGL_ADDR);
        }

        public int sglLength() {
            return i32(SGL_LENGTH);
        }

        public int sglType() {
            return u8(SGL_TYPE);
        }
    }
}
