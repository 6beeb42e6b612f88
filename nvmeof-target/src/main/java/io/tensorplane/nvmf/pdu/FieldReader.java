package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;

import static io.tensorplane.nvmf.pdu.Pdu.LE;

/** What every PDU decoder shares: the buffer and offset it reads at, and little-endian field getters relative to it. */
abstract class FieldReader {
    DirectBuffer b;
    int at;

    final void start(DirectBuffer buffer, int offset) {
        b = buffer;
        at = offset;
    }

    final int u8(int field) {
        return b.getByte(at + field) & 0xff;
    }

    final int u16(int field) {
        return b.getShort(at + field, LE) & 0xffff;
    }

    final int i32(int field) {
        return b.getInt(at + field, LE);
    }

    final long i64(int field) {
        return b.getLong(at + field, LE);
    }
}
