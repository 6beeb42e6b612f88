package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;

/** A 1 TiB sparse mem device with 4 KiB blocks. */
class Mem4kDeviceContractTest extends BlockDeviceContractTest {
    @Override
    protected BlockDevice open() {
        return Devices.open("mem:1T,bs=4096");
    }
}
