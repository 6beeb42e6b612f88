package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The file backend with O_DIRECT. It needs a file system that supports O_DIRECT: the test uses the
 * build directory (target/), not /tmp, which is often tmpfs; it skips, naming the reason, if the
 * file system refuses O_DIRECT.
 */
class FileDirectDeviceContractTest extends BlockDeviceContractTest {
    @Override
    protected BlockDevice open() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "direct-io"));
        Path file = dir.resolve("disk-" + System.nanoTime() + ".img");
        BlockDevice dev;
        try {
            dev = Devices.open("file:" + file + ",create=32M,direct,bs=4096");
        } catch (IllegalArgumentException e) {
            Files.deleteIfExists(file);
            assumeTrue(false, "O_DIRECT not available here: " + e.getMessage());
            throw e;
        }
        file.toFile().deleteOnExit();
        return dev;
    }
}
