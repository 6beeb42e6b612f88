package io.tensorplane.engine.backend;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.BlockDeviceContractTest;
import io.tensorplane.engine.Devices;

/** A mem device whose size is not a multiple of the 1 MiB chunk: its last chunk is short. */
class MemOddSizeContractTest extends BlockDeviceContractTest {
    @Override
    protected BlockDevice open() {
        return Devices.open("mem:16388K,limit=64M");
    }
}
