package io.tensorplane.engine.trace;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;

import java.nio.file.Files;

/** The trace decorator over inline completions (mem without emulation), write data recorded, passes the contract. */
class TraceDeviceInlineContractTest extends BlockDeviceContractTest {
    @Override
    protected BlockDevice open() throws Exception {
        return Devices.open("mem:64M,trace=" + Files.createTempDirectory("tp-trace") + ",trace-data=full");
    }
}
