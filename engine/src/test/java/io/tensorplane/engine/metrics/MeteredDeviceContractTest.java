package io.tensorplane.engine.metrics;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;

/** The metrics decorator over mem with latency emulation (deferred completions) passes the contract. */
class MeteredDeviceContractTest extends BlockDeviceContractTest {
    @Override
    protected BlockDevice open() {
        return new MeteredDevice(Devices.open("mem:64M,latency=1us"), "contract");
    }
}
