package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

class FileDeviceContractTest extends BlockDeviceContractTest {
    @TempDir
    Path dir;

    @Override
    protected BlockDevice open() {
        return Devices.open("file:" + dir.resolve("disk.img") + ",create=32M");
    }
}
