package io.tensorplane.engine.trace;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;

import java.nio.file.Files;

/** The trace decorator over mem with latency emulation (completions from poll()) passes the contract. */
class TraceDeviceContractTest extends BlockDeviceContractTest {
    @Override
    protected BlockDevice open() throws Exception {
        return Devices.open("mem:64M,latency=1us,trace=" + Files.createTempDirectory("tp-trace") + ",trace-data=checksum");
    }
}
