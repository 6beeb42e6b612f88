package io.tensorplane.engine.emulation;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;

class LatencyDeviceContractTest extends BlockDeviceContractTest {
    @Override
    protected BlockDevice open() {
        return Devices.open("mem:64M,latency=2us,jitter=3us,seed=7");
    }
}
