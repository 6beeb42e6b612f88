package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;

class MemDeviceContractTest extends BlockDeviceContractTest {
    @Override
    protected BlockDevice open() {
        return Devices.open("mem:64M");
    }
}
