package io.tensorplane.nvmf.pdu;

import org.agrona.MutableDirectBuffer;

import static io.tensorplane.nvmf.pdu.Pdu.LE;

/** What every PDU encoder shares: the buffer and offset it writes at, and little-endian field setters relative to it. */
abstract class FieldWriter {
    MutableDirectBuffer b;
    int at;

    final void start(MutableDirectBuffer buffer, int offset) {
        b = buffer;
        at = offset;
    }

    final void clear(int length) {
        b.setMemory(at, length, (byte) 0);
    }

    final void u8(int field, int v) {
        b.putByte(at + field, (byte) v);
    }

    final void u16(int field, int v) {
        b.putShort(at + field, (short) v, LE);
    }

    final void u32(int field, int v) {
        b.putInt(at + field, v, LE);
    }

    final void u64(int field, long v) {
        b.putLong(at + field, v, LE);
    }

    /** Writes the header digest after the {@code hlen}-byte header if {@code headerDigest}; returns {@code length}. */
    final int digestHeader(boolean headerDigest, int hlen, int length, Crc32c crc) {
        if (headerDigest) {
            Pdu.putHeaderDigest(b, at, hlen, crc);
        }
        return length;
    }
}
