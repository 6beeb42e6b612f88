package io.tensorplane.engine;

import io.tensorplane.engine.backend.MemDevice;
import io.tensorplane.engine.backend.NullDevice;
import io.tensorplane.engine.emulation.FaultDevice;
import io.tensorplane.engine.emulation.LatencyDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceSpecTest {
    private static void fails(String spec, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.open(spec).close(), spec);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message of '" + spec + "' names '" + f + "': " + e.getMessage());
        }
    }

    @Test
    void opensEachBackendWithItsGeometry() {
        try (BlockDevice d = Devices.open("null:1T")) {
            assertInstanceOf(NullDevice.class, d);
            assertEquals(1L << 40, d.sizeBytes());
            assertEquals(512, d.blockSize());
            assertEquals("null:1T", d.spec());
        }
        try (BlockDevice d = Devices.open("mem:8G,bs=4096,limit=64M")) {
            MemDevice m = assertInstanceOf(MemDevice.class, d);
            assertEquals(8L << 30, d.sizeBytes());
            assertEquals(4096, d.blockSize());
            assertEquals(64L << 20, m.limitBytes());
        }
        try (BlockDevice d = Devices.open("mem:1M", 4096)) {
            assertEquals(4096, d.blockSize());
        }
        try (BlockDevice d = Devices.open("mem:1M,bs=512", 4096)) {
            assertEquals(512, d.blockSize(), "the spec's bs= wins over the caller's default");
        }
    }

    @Test
    void emulationOptionsStackLatencyOverFaults() {
        try (BlockDevice d = Devices.open("mem:1G,latency=nand,faults=0.01,seed=42")) {
            LatencyDevice l = assertInstanceOf(LatencyDevice.class, d);
            assertEquals("nand", l.model().name());
            assertEquals(20_000, l.model().jitterNanos(), "preset jitter");
            FaultDevice f = assertInstanceOf(FaultDevice.class, l.inner());
            assertEquals(0.01, f.probability());
            assertInstanceOf(MemDevice.class, f.inner());
        }
        try (BlockDevice d = Devices.open("null:1G,latency=optane,jitter=0")) {
            LatencyDevice l = assertInstanceOf(LatencyDevice.class, d);
            assertEquals(0, l.model().jitterNanos());
            assertEquals(7_000, l.model().baseNanos(IoOp.READ, 4096));
            assertEquals(7_000 + 1_600, l.model().baseNanos(IoOp.READ, 8192));
        }
        try (BlockDevice d = Devices.open("null:1G,latency=1.5ms")) {
            assertEquals(1_500_000, ((LatencyDevice) d).model().baseNanos(IoOp.WRITE, 4096));
        }
        try (BlockDevice d = Devices.open("null:1G,jitter=5us")) {
            assertEquals(5_000, ((LatencyDevice) d).model().jitterNanos());
        }
        try (BlockDevice d = Devices.open("null:1G,faults=0.5%")) {
            assertEquals(0.005, ((FaultDevice) d).probability(), 1e-12);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "disk:1G            | unknown backend 'disk'",
        "nvme:/dev/x,bs=512 | unknown backend 'nvme'",
        "mem                | missing size",
        "mem:0              | size 0",
        "null:0G            | size 0",
        "mem:-4K            | negative size",
        "mem:12X            | bad size '12X'",
        "mem:                | missing size",
        "mem:1000           | not a multiple of the block size 512",
        "mem:6K,bs=4096     | not a multiple of the block size 4096",
        "mem:1G,bs=1024     | bad block size 1024",
        "mem:1G,bs=four     | bad block size 'four'",
        "mem:1G,speed=fast  | unknown option 'speed'",
        "null:1G,limit=1G   | unknown option 'limit'",
        "mem:1G,direct      | unknown option 'direct'",
        "mem:1G,direct      | mem takes limit, bs, latency, jitter, faults, seed",
        "null               | missing size",
        "disk:1G            | expected mem:<size> or null:<size>",
        "mem:1G,limit       | option 'limit' needs a value",
        "mem:1G,limit=0     | size 0",
        "mem:1G,limit=lots  | bad size 'lots'",
        "mem:1G,bs=512,bs=4096 | option 'bs' given twice",
        "mem:1G,,bs=512     | empty option",
        "mem:1G,latency=fast | bad latency 'fast'",
        "mem:1G,latency=-3us | bad latency '-3us'",
        "mem:1G,jitter=abc  | bad jitter 'abc'",
        "mem:1G,faults=2    | bad number '2' for faults",
        "mem:1G,faults=x    | bad number 'x' for faults",
        "mem:1G,seed=0x1z   | bad number '0x1z' for seed",
    })
    void badSpecsFailAtParseWithAMessageThatNamesTheProblem(String spec, String fragment) {
        fails(spec.trim(), fragment.trim());
    }

    @Test
    void emptySpecFails() {
        fails("", "empty device spec");
        fails("   ", "empty device spec");
        assertThrows(IllegalArgumentException.class, () -> Devices.open(null));
    }

    @Test
    void badCallerBlockSizeFails() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.open("mem:1G", 1000));
        assertTrue(e.getMessage().contains("bad block size 1000"), e.getMessage());
    }

    @Test
    void parseDoesNotOpenAnything() {
        DeviceSpec s = DeviceSpec.parse("mem:8M,bs=4096", 512);
        assertEquals("mem", s.scheme());
        assertEquals(4096, s.blockSize());
        try (BlockDevice d = s.open()) {
            assertEquals(8L << 20, d.sizeBytes());
        }
        assertEquals(0, DeviceSpec.parse("mem:8M").blockSize(), "no block size asked for: the backend chooses");
        try (BlockDevice d = DeviceSpec.parse("mem:8M").open()) {
            assertEquals(512, d.blockSize(), "mem's own default");
        }
    }

    @Test
    void describeNamesTheGeometryAndPromises() {
        try (BlockDevice d = Devices.open("mem:8G")) {
            assertEquals("mem:8G: 8G, 512-byte blocks, no volatile write cache, discard zeroes", Devices.describe(d));
            assertEquals(d.blockSize(), d.capabilities().logicalBlockSize());
        }
    }

    @Test
    void sizesFormat() {
        assertEquals("8G", Sizes.format(8L << 30));
        assertEquals("1536K", Sizes.format(1536L << 10));
        assertEquals("1000", Sizes.format(1000));
        assertEquals(1L << 40, Sizes.parse("1TiB", "x"));
        assertEquals(4096, Sizes.parse("4kb", "x"));
    }
}
