package io.tensorplane.backend.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.IoChannel;
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
