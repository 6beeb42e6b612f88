package io.tensorplane.engine.poll;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuListTest {
    @Test
    void parsesAndFormatsTheKernelNotation() {
        assertArrayEquals(new int[] {0, 2, 3, 4, 7}, CpuList.parse("0,2-4, 7"));
        assertArrayEquals(new int[0], CpuList.parse(" "));
        assertEquals("0,2-4,7", CpuList.format(new int[] {0, 2, 3, 4, 7}));
        assertEquals("5", CpuList.format(new int[] {5}));
    }

    @Test
    void rejectsMalformedLists() {
        for (String bad : new String[] {"a", "3-1", "-1", "1,,2", "0-"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuList.parse(bad), bad);
            assertTrue(e.getMessage().contains("bad CPU list"), e.getMessage());
        }
    }

    @Test
    void allowedCpusAreTheOnesThisProcessMayUse() {
        int[] cpus = CpuList.allowed();
        assertTrue(cpus.length >= 1 && cpus[0] >= 0, CpuList.format(cpus));
        for (int i = 1; i < cpus.length; i++) {
            assertTrue(cpus[i] > cpus[i - 1], "ascending");
        }
    }
}
