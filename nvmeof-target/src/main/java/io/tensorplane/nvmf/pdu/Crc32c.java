package io.tensorplane.nvmf.pdu;

import org.agrona.DirectBuffer;

import java.util.zip.CRC32C;

/**
 * CRC32C header and data digests over any Agrona buffer (a byte array, a direct buffer or raw memory) without
 * allocating: memory that is not an array is digested through a small scratch array. One instance per thread.
 */
public final class Crc32c {
    private final CRC32C crc = new CRC32C();
    private final byte[] scratch = new byte[512];

    public void reset() {
        crc.reset();
    }

    public void update(DirectBuffer b, int index, int length) {
        byte[] array = b.byteArray();
        if (array != null) {
            crc.update(array, b.wrapAdjustment() + index, length);
            return;
        }
        for (int done = 0; done < length; ) {
            int n = Math.min(scratch.length, length - done);
            b.getBytes(index + done, scratch, 0, n);
            crc.update(scratch, 0, n);
            done += n;
        }
    }

    public int value() {
        return (int) crc.getValue();
    }

    /** CRC32C of {@code length} bytes at {@code index}, as it goes on the wire (little endian int). */
    public int compute(DirectBuffer b, int index, int length) {
        crc.reset();
        update(b, index, length);
        return (int) crc.getValue();
    }
}
