package io.tensorplane.engine.emulation;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;

/** Fault injection with probability 0, under a latency model, must be a transparent pass-through. */
class FaultDeviceContractTest extends BlockDeviceContractTest {
    @Override
    protected BlockDevice open() {
        return new LatencyDevice(new FaultDevice(Devices.open("mem:64M"), 0.0, 3), LatencyModel.fixed(1_000), 3);
    }
}
