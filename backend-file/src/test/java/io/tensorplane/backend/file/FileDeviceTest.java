package io.tensorplane.backend.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.Io;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.ZeroAllocationTest;
import io.tensorplane.uring.IoUring;
import io.tensorplane.uring.IoUringLayout;
import io.tensorplane.uring.IoUringProbe;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the file backend promises beyond the contract: real files, real faults, real geometry. */
class FileDeviceTest {
    @TempDir
    Path dir;

    /** A test of the io_uring mode needs io_uring; the blocking mode runs anywhere. */
    private static void requireIo(String io) {
        if (io.equals("uring")) {
            FileContractTests.requireUring();
        }
    }

    private static String spec(Path f, String io, String more) {
        return "file:" + f + ",io=" + io + more;
    }

    @ParameterizedTest
    @ValueSource(strings = {"uring", "blocking"})
    void dataIsInTheFileAtTheSameOffsets(String io) throws Exception {
        requireIo(io);
        Path f = dir.resolve("d.img");
        ByteBuffer data = Io.pattern(8192, 11);
        try (BlockDevice dev = Devices.open(spec(f, io, ",create=1M")); Io x = new Io(dev.openChannel())) {
            assertEquals(8192, x.write(65536, 8192, data, IoChannel.FLAG_FUA));
        }
        byte[] onDisk = Files.readAllBytes(f);
        assertEquals(1 << 20, onDisk.length);
        for (int i = 0; i < 8192; i++) {
            assertEquals(data.get(i), onDisk[65536 + i], "byte " + i);
        }
        try (BlockDevice dev = Devices.open(spec(f, io, "")); Io x = new Io(dev.openChannel())) {
            ByteBuffer in = Io.buffer(8192);
            assertEquals(8192, x.read(65536, 8192, in));
            Io.assertSame(data, in, 8192, "read back after reopening");
        }
    }

    /** Discard punches a hole: the backing file's allocated blocks drop, and the range reads zeros. */
    @ParameterizedTest
    @ValueSource(strings = {"uring", "blocking"})
    void discardFreesSpaceInTheBackingFile(String io) throws Exception {
        requireIo(io);
        Path f = FileContractTests.scratch("discard-" + io);
        try (FileDevice dev = (FileDevice) Devices.open(spec(f, io, ",create=16M")); Io x = new Io(dev.openChannel())) {
            assertTrue(dev.capabilities().discard(), dev.capabilities().toString());
            ByteBuffer data = Io.pattern(4 << 20, 3);
            assertEquals(4 << 20, x.write(0, 4 << 20, data));
            assertEquals(0, x.flush());
            long before = dev.allocatedBytes();
            assertTrue(before >= 4 << 20, "written blocks are allocated: " + before);
            assertEquals(0, x.discard(1 << 20, 2 << 20));
            long after = dev.allocatedBytes();
            assertTrue(before - after >= 2 << 20, "discard freed " + (before - after) + " bytes of " + before);
            ByteBuffer in = Io.filled(2 << 20, (byte) 1);
            assertEquals(2 << 20, x.read(1 << 20, 2 << 20, in));
            assertTrue(Io.allZero(in, 2 << 20), "a punched hole reads zeros");
        }
    }

    /** tmpfs has no FALLOC_FL_ZERO_RANGE: the device learns it once and zeroes by punching and allocating again. */
    @Test
    void writeZeroesOnTmpfsFallsBackToAHoleThatIsAllocatedAgain() {
        FileContractTests.requireUring();
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isWritable(shm), "no writable /dev/shm");
        Path f = shm.resolve("tp-zeroes-" + System.nanoTime() + ".img");
        f.toFile().deleteOnExit();
        try (FileDevice dev = (FileDevice) Devices.open("file:" + f + ",create=8M"); Io x = new Io(dev.openChannel())) {
            ByteBuffer data = Io.pattern(1 << 20, 5);
            assertEquals(1 << 20, x.write(0, 1 << 20, data));
            assertEquals(0, x.writeZeroes(4096, 65536));
            assertTrue(dev.quirks.noZeroRange, "tmpfs refused ZERO_RANGE and the device remembers");
            assertTrue(dev.allocatedBytes() >= 1 << 20, "the zeroed range is allocated again: " + dev.allocatedBytes());
            ByteBuffer in = Io.buffer(1 << 20);
            assertEquals(1 << 20, x.read(0, 1 << 20, in));
            assertTrue(Io.allZero(in.duplicate().position(4096).slice(), 65536), "zeroed");
            assertEquals(data.get(0), in.get(0));
            assertEquals(data.get(65536 + 4096), in.get(65536 + 4096));
            assertEquals(0, x.writeZeroes(1 << 20, 8192), "later write-zeroes go the learnt way at once");
        } finally {
            f.toFile().delete();
        }
    }

    /**
     * A file system that can neither zero a range nor punch a hole (ramfs here; vfat in the test bed): no discard
     * is offered, and write-zeroes writes zeros.
     */
    @ParameterizedTest
    @ValueSource(strings = {"uring", "blocking"})
    void withoutHolePunchingThereIsNoDiscardAndWriteZeroesWritesZeros(String io) throws Exception {
        requireIo(io);
        Path mnt = Scratch.ramfs();
        try {
            try (FileDevice dev = (FileDevice) Devices.open(spec(mnt.resolve("d.img"), io, ",create=8M")); Io x = new Io(dev.openChannel())) {
                assertFalse(dev.capabilities().discard(), "no hole punching here: " + dev.capabilities());
                assertEquals(-Errno.EOPNOTSUPP, x.discard(0, 4096), "a discard is refused, not ignored");
                ByteBuffer data = Io.pattern(3 << 20, 8);
                assertEquals(3 << 20, x.write(0, 3 << 20, data));
                assertEquals(0, x.writeZeroes(4096, (2 << 20) + 8192), "zeros written in chunks");
                assertTrue(dev.quirks.noHolePunch, "the device learnt that it must write the zeros");
                ByteBuffer in = Io.buffer(3 << 20);
                assertEquals(3 << 20, x.read(0, 3 << 20, in));
                assertTrue(Io.allZero(in.duplicate().position(4096).slice(), (2 << 20) + 8192), "zeroed");
                assertEquals(data.get(4095), in.get(4095));
                assertEquals(data.get((2 << 20) + 12288), in.get((2 << 20) + 12288));
            }
        } finally {
            Scratch.unmount(mnt);
        }
    }

    /** With O_DIRECT, memory that is not aligned (a Netty buffer, say) goes through a bounce buffer. */
    @ParameterizedTest
    @ValueSource(strings = {"uring", "blocking"})
    void directIoWorksWithMisalignedBuffers(String io) throws Exception {
        requireIo(io);
        try (FileDevice dev = (FileDevice) Devices.open(spec(FileContractTests.scratch("misaligned"), io, ",create=4M,direct"));
             Io x = new Io(dev.openChannel())) {
            assertTrue(dev.direct());
            ByteBuffer raw = Io.pattern(3 * 8192 + 7, 13);
            ByteBuffer odd = raw.duplicate().position(7).slice(); // address not aligned
            for (int n : new int[] {4096, 8192, 3 * 8192}) {
                assertEquals(n, x.write(1 << 20, n, odd));
                ByteBuffer in = Io.buffer(n + 3).position(3).slice();
                assertEquals(n, x.read(1 << 20, n, in));
                Io.assertSame(odd, in, n, "misaligned O_DIRECT round trip of " + n);
            }
        }
    }

    /** A file that cannot be written is served read-only: reads work, writes fail with EROFS, and it says so. */
    @ParameterizedTest
    @ValueSource(strings = {"uring", "blocking"})
    void aFileOnAReadOnlyFileSystemIsServedReadOnly(String io) throws Exception {
        requireIo(io);
        Path mnt = Scratch.tmpfs("8m");
        try {
            Path f = mnt.resolve("ro.img");
            try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
                r.setLength(1 << 20);
                r.seek(4096);
                r.write(new byte[] {42});
            }
            Scratch.remountReadOnly(mnt);
            try (BlockDevice dev = Devices.open(spec(f, io, "")); Io x = new Io(dev.openChannel())) {
                assertTrue(dev.capabilities().readOnly(), dev.capabilities().toString());
                assertFalse(dev.capabilities().discard(), "no discard on a read-only device");
                ByteBuffer in = Io.buffer(4096);
                assertEquals(4096, x.read(4096, 4096, in));
                assertEquals(42, in.get(0));
                assertEquals(-Errno.EROFS, x.write(0, 4096, in));
                assertEquals(-Errno.EROFS, x.writeZeroes(0, 4096));
                assertEquals(-Errno.EROFS, x.discard(0, 4096));
                assertEquals(4096, x.read(0, 4096, in), "the device still serves reads after refused writes");
            }
        } finally {
            Scratch.unmount(mnt);
        }
    }

    /** A full file system: the write fails with ENOSPC, nothing hangs, and what was written stays readable. */
    @ParameterizedTest
    @ValueSource(strings = {"uring", "blocking"})
    void aFullFileSystemFailsWritesWithEnospc(String io) throws Exception {
        requireIo(io);
        Path mnt = Scratch.tmpfs("2m");
        try {
            try (BlockDevice dev = Devices.open(spec(mnt.resolve("big.img"), io, ",create=16M")); Io x = new Io(dev.openChannel())) {
                ByteBuffer data = Io.pattern(1 << 20, 7);
                assertEquals(1 << 20, x.write(0, 1 << 20, data));
                int full = 0;
                for (int i = 1; i < 16 && full == 0; i++) {
                    int r = x.write((long) i << 20, 1 << 20, data);
                    if (r < 0) {
                        full = r;
                    }
                }
                assertEquals(-Errno.ENOSPC, full, "a write past the file system's capacity");
                assertEquals(-Errno.ENOSPC, x.writeZeroes(8 << 20, 4 << 20), "zeroing needs space too (it allocates)");
                ByteBuffer in = Io.buffer(1 << 20);
                assertEquals(1 << 20, x.read(0, 1 << 20, in));
                Io.assertSame(data, in, 1 << 20, "data written before the file system filled up");
                assertEquals(0, x.flush());
            }
        } finally {
            Scratch.unmount(mnt);
        }
    }

    /** The backing file shrinks under the device: reads past its new end fail with EIO instead of inventing zeros. */
    @ParameterizedTest
    @ValueSource(strings = {"uring", "blocking"})
    void aBackingFileThatShrinksFailsReadsPastItsEnd(String io) throws Exception {
        requireIo(io);
        Path f = dir.resolve("shrink.img");
        try (BlockDevice dev = Devices.open(spec(f, io, ",create=4M")); Io x = new Io(dev.openChannel())) {
            ByteBuffer data = Io.pattern(8192, 9);
            assertEquals(8192, x.write(0, 8192, data));
            try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
                r.setLength(1 << 20);
            }
            ByteBuffer in = Io.buffer(8192);
            assertEquals(-Errno.EIO, x.read(2 << 20, 8192, in), "past the new end");
            assertEquals(-Errno.EIO, x.read((1 << 20) - 4096, 8192, in), "straddling the new end");
            assertEquals(8192, x.read(0, 8192, in), "before it, reads go on");
            Io.assertSame(data, in, 8192, "data before the new end");
        }
    }

    /** A block device's logical block size comes from the device: no bs= needed, and a smaller one is refused. */
    @Test
    void aBlockDeviceBringsItsOwnBlockSize() throws Exception {
        Path backing = dir.resolve("loop.img");
        try (RandomAccessFile r = new RandomAccessFile(backing.toFile(), "rw")) {
            r.setLength(16 << 20);
        }
        String loop = Scratch.loopDevice(backing, 4096);
        try {
            try (FileDevice dev = (FileDevice) Devices.open("file:" + loop + ",direct"); Io x = new Io(dev.openChannel())) {
                assertTrue(dev.blockDevice());
                assertEquals(4096, dev.blockSize(), "the loop device's 4 KiB sectors");
                assertEquals(16 << 20, dev.sizeBytes());
                assertFalse(dev.capabilities().discardZeroes(), "a block device's discard promises no zeros");
                ByteBuffer data = Io.pattern(8192, 21);
                assertEquals(8192, x.write(4096, 8192, data));
                ByteBuffer in = Io.buffer(8192);
                assertEquals(8192, x.read(4096, 8192, in));
                Io.assertSame(data, in, 8192, "through the loop device");
                assertEquals(0, x.writeZeroes(4096, 4096));
                assertEquals(0, x.flush());
                if (dev.capabilities().discard()) {
                    assertEquals(0, x.discard(8192, 4096));
                }
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Devices.open("file:" + loop + ",direct,bs=512").close());
            assertTrue(e.getMessage().contains("4096-byte logical blocks") && e.getMessage().contains("bs=4096"), e.getMessage());
        } finally {
            Scratch.detach(loop);
        }
    }

    /** An event loop can sleep on the channel's descriptor: it becomes readable when a completion waits. */
    @Test
    void theCompletionDescriptorWakesAWaiter() throws Exception {
        FileContractTests.requireUring();
        try (BlockDevice dev = Devices.open("file:" + dir.resolve("fd.img") + ",create=1M");
             IoChannel ch = dev.openChannel();
             IoUring waiter = IoUring.create(4, 0, 0)) {
            int fd = ch.completionFd();
            assertTrue(fd >= 0);
            ByteBuffer buf = ByteBuffer.allocateDirect(4096);
            int[] result = {Integer.MIN_VALUE};
            ch.read(0, 4096, BufferUtil.address(buf), (tag, r) -> result[0] = r, 1);
            assertEquals(1, ch.inFlight());
            IoUring.prepPollAdd(waiter.nextSqe(), fd, IoUringLayout.POLLIN, false, 77);
            assertEquals(1, waiter.submit());
            ch.poll(); // pushes the read: one io_uring_enter
            assertEquals(1, waiter.submitAndWait(1) >= 0 ? 1 : 0);
            long[] woke = {0};
            waiter.drainCompletions((ud, res, flags) -> woke[0] = ud);
            assertEquals(77, woke[0], "the poll on the channel's descriptor fired");
            while (ch.inFlight() > 0) {
                ch.poll();
            }
            assertEquals(4096, result[0]);
        }
    }

    /** Steady state on io_uring allocates nothing on the I/O thread (the slots and the ring are reused). */
    @Test
    void uringChannelsAllocateNothingPerIo() throws Exception {
        FileContractTests.requireUring();
        Path f = FileContractTests.scratch("zero-alloc");
        assertEquals(0, ZeroAllocationTest.allocatedBy("file:" + f + ",create=64M", 20_000),
                "bytes allocated by the I/O thread over 20 000 I/Os");
        assertEquals(0, ZeroAllocationTest.allocatedBy("file:" + f + ",direct", 20_000),
                "bytes allocated by the I/O thread over 20 000 O_DIRECT I/Os");
    }

    @Test
    void probeSaysWhetherIoUringWorksHere() {
        if (IoUringProbe.isAvailable()) {
            assertEquals(null, IoUringProbe.unavailabilityCause());
            assertTrue(IoUringProbe.supports(IoUringLayout.IORING_OP_READ));
        } else {
            assertTrue(IoUringProbe.unavailabilityCause().length() > 10);
        }
    }

    @Test
    void fileSpecProblemsAreNamed() throws Exception {
        fails("file:/nonexistent/dir/disk.img", "no such file");
        fails("file:/nonexistent/dir/disk.img,create=1G", "cannot create");
        fails("file:/tmp", "is a directory");
        fails("file", "missing path");
        fails("file:", "missing path");
        Path empty = Files.createFile(dir.resolve("empty.img"));
        fails("file:" + empty, "size 0");
        Path odd = dir.resolve("odd.img");
        Files.write(odd, new byte[1000]);
        fails("file:" + odd, "not a multiple of the block size 512");
        Path small = dir.resolve("small.img");
        Files.write(small, new byte[512]);
        fails("file:" + small + ",bs=4096", "not a multiple of the block size 4096");
        fails("file:" + dir.resolve("new.img") + ",create=1000", "not a multiple of the block size");
        fails("file:" + small + ",direct=yes", "takes no value");
        fails("file:" + small + ",limit=1G", "unknown option 'limit'", "file takes direct, create, io, bs");
        fails("file:" + small + ",io=fast", "bad value 'fast' for io");
        assertFalse(Files.exists(dir.resolve("new.img")), "a refused spec leaves no file behind");
    }

    @Test
    void aNewFileIsCreatedSparseAtItsSize() {
        Path f = dir.resolve("new.img");
        try (BlockDevice d = Devices.open("file:" + f + ",create=4M")) {
            assertInstanceOf(FileDevice.class, d);
            assertEquals(4L << 20, d.sizeBytes());
            assertEquals(512, d.blockSize(), "a regular file without direct: 512");
            assertTrue(d.capabilities().volatileWriteCache());
        }
        try (BlockDevice d = Devices.open("file:" + f)) {
            assertEquals(4L << 20, d.sizeBytes(), "an existing file is used at its size");
        }
    }

    private static void fails(String spec, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.open(spec).close(), spec);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message of '" + spec + "' names '" + f + "': " + e.getMessage());
        }
    }
}
