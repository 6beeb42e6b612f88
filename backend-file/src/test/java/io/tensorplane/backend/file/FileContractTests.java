package io.tensorplane.backend.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.Io;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.RegisteredBufferIo;
import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import io.tensorplane.uring.IoUringProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The engine's contract suite on every way the file backend works: io_uring on its own ring, on a lent
 * ring, with O_DIRECT, blocking, on tmpfs (no FALLOC_FL_ZERO_RANGE there, so zeroing goes another way).
 * Files live under target/ (the build's file system, which has O_DIRECT and hole punching) or /dev/shm.
 */
class FileContractTests {

    static Path scratch(String name) throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "file-backend"));
        Path f = dir.resolve(name + "-" + System.nanoTime() + ".img");
        f.toFile().deleteOnExit();
        return f;
    }

    static void requireUring() {
        assumeTrue(IoUringProbe.isAvailable(), "io_uring unavailable here: " + IoUringProbe.unavailabilityCause());
    }

    @Nested
    class OwnRing extends BlockDeviceContractTest {
        @Override
        protected BlockDevice open() throws Exception {
            requireUring();
            return Devices.open("file:" + scratch("own") + ",create=32M");
        }

        @Test
        void channelsWorkOnIoUringAndWakeThroughTheirRing() {
            FileDevice f = assertInstanceOf(FileDevice.class, device);
            assertEquals("io_uring", f.ioMode());
            assertTrue(io.channel().completionFd() >= 0, "an own ring's descriptor to wait on");
            assertTrue(device.capabilities().discard() && device.capabilities().discardZeroes(), device.capabilities().toString());
        }
    }

    @Nested
    class Direct extends BlockDeviceContractTest {
        @Override
        protected BlockDevice open() throws Exception {
            requireUring();
            return Devices.open("file:" + scratch("direct") + ",create=32M,direct");
        }
    }

    @Nested
    class Blocking extends BlockDeviceContractTest {
        @Override
        protected BlockDevice open() throws Exception {
            return Devices.open("file:" + scratch("blocking") + ",create=32M,io=blocking");
        }

        @Test
        void completesInline() {
            assertEquals("blocking", ((FileDevice) device).ioMode());
        }
    }

    @Nested
    class BlockingDirect extends BlockDeviceContractTest {
        @Override
        protected BlockDevice open() throws Exception {
            return Devices.open("file:" + scratch("blocking-direct") + ",create=32M,direct,io=blocking");
        }
    }

    /** tmpfs refuses FALLOC_FL_ZERO_RANGE: write-zeroes punches a hole and allocates it again. */
    @Nested
    class Tmpfs extends BlockDeviceContractTest {
        @Override
        protected BlockDevice open() throws Exception {
            requireUring();
            Path shm = Path.of("/dev/shm");
            assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no writable /dev/shm");
            Path f = shm.resolve("tp-contract-" + System.nanoTime() + ".img");
            f.toFile().deleteOnExit();
            return Devices.open("file:" + f + ",create=32M");
        }
    }

    @Nested
    class TmpfsBlocking extends BlockDeviceContractTest {
        @Override
        protected BlockDevice open() throws Exception {
            Path f = Path.of("/dev/shm").resolve("tp-contract-b-" + System.nanoTime() + ".img");
            f.toFile().deleteOnExit();
            return Devices.open("file:" + f + ",create=32M,io=blocking");
        }
    }

    /** The backend on a ring its thread lends it, as a ublk queue does: the owner's submit and reaping drive it. */
    @Nested
    class LentRingDirect extends BlockDeviceContractTest {
        private LentRing lent;

        @Override
        protected BlockDevice open() throws Exception {
            requireUring();
            lent = new LentRing();
            BlockDevice d = Devices.open("file:" + scratch("lent") + ",create=32M,direct");
            return new LentDevice(d, lent);
        }

        @Test
        void channelCompletesThroughTheLender() {
            assertEquals(IoChannel.COMPLETES_THROUGH_HOST, io.channel().completionFd());
        }

        /**
         * Zero copy's backend side: data named only by a slot of the lent ring's buffer table (as a ublk queue names a
         * request's pages) is written to the file and read back into another slot; an empty slot fails with EFAULT,
         * so the table, not an address, is what the channel used.
         */
        @Test
        void readsAndWritesRegisteredBuffersByIndex() {
            assertTrue(((LentDevice) device).inner.offersRegisteredBufferIo());
            RegisteredBufferIo zc = io.channel().registeredBufferIo();
            assertTrue(zc != null, "a channel on a lent ring offers registered-buffer I/O");
            assertEquals(0, lent.ring.registerSparseBuffers(8));
            int len = 128 * 1024;
            ByteBuffer out = Io.pattern(len, 42);
            ByteBuffer in = ByteBuffer.allocateDirect(len + 4096);
            long inAddr = (BufferUtil.address(in) + 4095) & ~4095L;
            long outAddr = BufferUtil.address(out);
            assertEquals(0, lent.ring.updateBuffer(3, outAddr, len));
            assertEquals(0, lent.ring.updateBuffer(5, inAddr, len));
            lent.slotAddresses[3] = outAddr;
            lent.slotAddresses[5] = inAddr;
            int[] res = {Integer.MIN_VALUE};
            zc.writeRegistered(3 * 4096L, len, 3, IoChannel.FLAG_FUA, (tag, r) -> res[0] = r, 7);
            await(res);
            assertEquals(len, res[0]);
            res[0] = Integer.MIN_VALUE;
            zc.readRegistered(3 * 4096L, len, 5, (tag, r) -> res[0] = r, 8);
            await(res);
            assertEquals(len, res[0]);
            Io.assertSame(out, in.slice((int) (inAddr - BufferUtil.address(in)), len), len, "read back through slot 5");
            res[0] = Integer.MIN_VALUE;
            zc.readRegistered(0, 4096, 6, (tag, r) -> res[0] = r, 9);
            await(res);
            assertEquals(-Errno.EFAULT, res[0], "slot 6 is empty");
            res[0] = Integer.MIN_VALUE;
            zc.readRegistered(size, 4096, 5, (tag, r) -> res[0] = r, 10);
            assertEquals(-Errno.EINVAL, res[0], "past the end: refused inline, as for read()");
            assertEquals(0, io.channel().inFlight());
        }

        private void await(int[] res) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (res[0] == Integer.MIN_VALUE && System.nanoTime() < deadline) {
                io.channel().poll();
            }
        }
    }

    @Test
    void onlyChannelsOnALentRingOfferRegisteredBufferIo() throws Exception {
        requireUring();
        try (BlockDevice own = Devices.open("file:" + scratch("own-zc") + ",create=1M");
             IoChannel ch = own.openChannel()) {
            assertTrue(own.offersRegisteredBufferIo());
            assertNull(ch.registeredBufferIo(), "no lent ring, no registered buffers");
        }
        try (BlockDevice blocking = Devices.open("file:" + scratch("blocking-zc") + ",create=1M,io=blocking");
             IoChannel ch = blocking.openChannel()) {
            assertFalse(blocking.offersRegisteredBufferIo());
            assertNull(ch.registeredBufferIo());
        }
        // emulation decorators keep the default even over a file: they do not pass registered buffers on
        for (String spec : new String[] {"mem:1M", "null:1M", "mem:1M,latency=10us", "file:" + scratch("lat-zc") + ",create=1M,latency=10us"}) {
            try (BlockDevice d = Devices.open(spec); IoChannel ch = d.openChannel()) {
                assertFalse(d.offersRegisteredBufferIo(), spec);
                assertNull(ch.registeredBufferIo(), spec);
            }
        }
    }

    /** The trace decorator over the file backend on a lent ring: completions reach it through the lender's reaping. */
    @Nested
    class TracedLentRing extends BlockDeviceContractTest {
        @Override
        protected BlockDevice open() throws Exception {
            requireUring();
            Path trace = Files.createTempDirectory(Path.of("target"), "trace");
            return new LentDevice(Devices.open("file:" + scratch("traced-lent") + ",create=32M,direct,trace=" + trace
                    + ",trace-data=checksum"), new LentRing());
        }

        @Test
        void theTracePassesTheLendersRingOn() {
            assertEquals(IoChannel.COMPLETES_THROUGH_HOST, io.channel().completionFd());
        }
    }

    /** The trace decorator over the file backend on its own ring: the ring's descriptor passes through. */
    @Nested
    class TracedOwnRing extends BlockDeviceContractTest {
        @Override
        protected BlockDevice open() throws Exception {
            requireUring();
            Path trace = Files.createTempDirectory(Path.of("target"), "trace");
            return Devices.open("file:" + scratch("traced-own") + ",create=32M,trace=" + trace);
        }

        @Test
        void theTracePassesTheRingsDescriptorOn() {
            assertTrue(io.channel().completionFd() >= 0, "completionFd " + io.channel().completionFd());
        }
    }

    /** Opens every channel on the lent ring and has its poll() drive it (the contract suite only polls). */
    static final class LentDevice extends ForwardingDevice {
        private final LentRing lent;

        LentDevice(BlockDevice inner, LentRing lent) {
            super(inner);
            this.lent = lent;
        }

        @Override
        public IoChannel openChannel(ChannelHost host) {
            // other threads of the suite (concurrent writers) get their own rings, as they would in a front door
            return Thread.currentThread() == owner ? lent.driven(inner.openChannel(lent)) : inner.openChannel(host);
        }

        private final Thread owner = Thread.currentThread();

        @Override
        public void close() {
            super.close();
            lent.close();
        }
    }
}
