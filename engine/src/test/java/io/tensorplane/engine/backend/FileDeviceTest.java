package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.Io;
import io.tensorplane.engine.IoChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FileDeviceTest {
    @TempDir
    Path dir;

    @Test
    void dataIsInTheFileAtTheSameOffsets() throws Exception {
        Path f = dir.resolve("d.img");
        ByteBuffer data = Io.pattern(8192, 11);
        try (BlockDevice dev = Devices.open("file:" + f + ",create=1M"); Io io = new Io(dev.openChannel())) {
            assertEquals(8192, io.write(65536, 8192, data, IoChannel.FLAG_FUA));
        }
        byte[] onDisk = Files.readAllBytes(f);
        assertEquals(1 << 20, onDisk.length);
        for (int i = 0; i < 8192; i++) {
            assertEquals(data.get(i), onDisk[65536 + i], "byte " + i);
        }
        try (BlockDevice dev = Devices.open("file:" + f); Io io = new Io(dev.openChannel())) {
            ByteBuffer in = Io.buffer(8192);
            assertEquals(8192, io.read(65536, 8192, in));
            Io.assertSame(data, in, 8192, "read back after reopening");
        }
    }

    @Test
    void discardKeepsTheDataAsItPromises() {
        try (BlockDevice dev = Devices.open("file:" + dir.resolve("e.img") + ",create=1M"); Io io = new Io(dev.openChannel())) {
            ByteBuffer data = Io.pattern(4096, 12);
            assertEquals(4096, io.write(0, 4096, data));
            assertEquals(0, io.discard(0, 4096));
            ByteBuffer in = Io.buffer(4096);
            assertEquals(4096, io.read(0, 4096, in));
            Io.assertSame(data, in, 4096, "discard is a hint on files: discardZeroes() is false");
            assertEquals(false, dev.discardZeroes());
        }
    }

    /**
     * An interrupted I/O thread must not close the file under the device (an interruptible
     * FileChannel would): the channel is made uninterruptible (with --add-exports java.base/sun.nio.ch,
     * as the launcher and the tests run), and each channel has its own FileChannel anyway.
     */
    @Test
    void anInterruptedIoThreadKeepsWorking() {
        try (BlockDevice dev = Devices.open("file:" + dir.resolve("i.img") + ",create=1M");
             Io io = new Io(dev.openChannel());
             Io other = new Io(dev.openChannel())) {
            ByteBuffer data = Io.pattern(4096, 14);
            Thread.currentThread().interrupt();
            try {
                assertEquals(4096, io.write(0, 4096, data), "write with the interrupt flag set");
                ByteBuffer in = Io.buffer(4096);
                assertEquals(4096, io.read(0, 4096, in), "read with the interrupt flag set");
                Io.assertSame(data, in, 4096, "data");
            } finally {
                Thread.interrupted();
            }
            ByteBuffer in = Io.buffer(4096);
            assertEquals(4096, other.read(0, 4096, in), "another channel is unaffected");
            Io.assertSame(data, in, 4096, "data through the other channel");
        }
    }

    /** With O_DIRECT, I/O from and to memory that is not aligned goes through a bounce buffer. */
    @Test
    void directIoWorksWithMisalignedBuffers() throws Exception {
        Path d = Files.createDirectories(Path.of("target", "direct-io"));
        Path f = d.resolve("misaligned-" + System.nanoTime() + ".img");
        BlockDevice dev;
        try {
            dev = Devices.open("file:" + f + ",create=4M,direct,bs=4096");
        } catch (IllegalArgumentException e) {
            Files.deleteIfExists(f);
            assumeTrue(false, "O_DIRECT not available here: " + e.getMessage());
            return;
        }
        try (dev; Io io = new Io(dev.openChannel())) {
            assertTrue(((FileDevice) dev).direct());
            ByteBuffer raw = Io.pattern(3 * 8192 + 7, 13);
            ByteBuffer odd = raw.duplicate().position(7).slice(); // address not aligned
            for (int n : new int[] {4096, 8192, 3 * 8192}) {
                assertEquals(n, io.write(1 << 20, n, odd));
                ByteBuffer in = Io.buffer(n + 3).position(3).slice();
                assertEquals(n, io.read(1 << 20, n, in));
                Io.assertSame(odd, in, n, "misaligned O_DIRECT round trip of " + n);
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
