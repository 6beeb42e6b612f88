package io.tensorplane.dpu.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class HostTest {

    @Test
    void auxvGivesPageSizeAndHwcapAndStopsAtNull() {
        ByteBuffer b = ByteBuffer.allocate(16 * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(6).putLong(65536).putLong(16).putLong(Auxv.HWCAP_ATOMICS | 3).putLong(0).putLong(0).putLong(16).putLong(0);
        Auxv a = Auxv.parse(b.array());
        assertEquals(65536, a.pageSize());
        assertTrue((a.hwcap() & Auxv.HWCAP_ATOMICS) != 0, "the entry after AT_NULL must not count");
        assertTrue(Auxv.parse(new byte[0]).isEmpty());
    }

    @Test
    void midrNamesTheCore() {
        assertEquals("Cortex-A78", CpuPart.parse("0x00000000410fd411").orElseThrow().name());
        assertEquals("Cortex-A72 (part 0xd08 r0p3)", CpuPart.parse("0x00000000410fd083").orElseThrow().toString());
        assertEquals("Neoverse-N1", CpuPart.parse("0x00000000414fd0c1").orElseThrow().name());
        assertEquals("implementer 0x51 part 0x800", CpuPart.parse("0x00000000518f8000").orElseThrow().name());
        assertFalse(CpuPart.parse("garbage").isPresent());
    }

    @Test
    void liveHostReadsThisMachine() {
        LiveHost h = new LiveHost();
        Machine m = Machine.of(h);
        assertTrue(m.onlineCpus().length >= 1);
        assertTrue(m.allowedCpus().length >= 1);
        assertTrue(m.memTotal() > 0);
        assertEquals(4096, m.auxv().pageSize(), "this build machine and the test bed use 4 KiB pages");
        assertTrue(h.interfaces().containsKey("lo"), h.interfaces().toString());
    }
}
