package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;

class NullDeviceContractTest extends BlockDeviceContractTest {
    @Override
    protected BlockDevice open() {
        return Devices.open("null:1T");
    }

    @Override
    protected boolean keepsData() {
        return false;
    }
}
