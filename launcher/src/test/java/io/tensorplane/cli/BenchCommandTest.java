package io.tensorplane.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    @Test
    void countsEveryCompletedIoAndItsBytes() {
        try (BlockDevice dev = Devices.open("null:64M")) {
            BenchCommand.Result r = BenchCommand.run(dev, BenchCommand.Pattern.randrw, 4096, 8, 0, 0.2, 7);
            assertTrue(r.ios() > 100, "too few I/Os: " + r.ios());
            assertEquals(0, r.errors());
            assertEquals(r.ios() * 4096, r.bytes());
            assertEquals(r.ios(), r.latencyNanos().getTotalCount());
        }
    }
}
