package io.tensorplane.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CompletionSlotsTest {

    @Test
    void slotsAreDistinctGrowPastTheInitialCapacityAndCompleteWithTheCallersTag() {
        CompletionSlots slots = new CompletionSlots(4);
        List<long[]> completed = new ArrayList<>();
        IoCompletion c = (tag, result) -> completed.add(new long[] {tag, result});
        Set<Integer> taken = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            int s = slots.take(c, 100 + i);
            assertTrue(s >= 0 && s < slots.capacity(), "slot " + s + " within capacity " + slots.capacity());
            assertTrue(taken.add(s), "slot " + s + " handed out twice");
        }
        assertEquals(16, slots.capacity()); // 4 -> 8 -> 16
        assertEquals(10, slots.inFlight());
        for (int s : taken) {
            slots.complete(s, s * 2);
        }
        assertEquals(0, slots.inFlight());
        assertEquals(10, completed.size());
        for (long[] done : completed) {
            assertTrue(done[0] >= 100 && done[0] < 110, "tag " + done[0]);
        }
    }

    @Test
    void aCompletionThatSubmitsAgainMayReuseItsOwnSlot() {
        CompletionSlots slots = new CompletionSlots(1);
        int[] again = {-1};
        IoCompletion resubmit = (tag, result) -> again[0] = slots.take((t, r) -> { }, tag + 1);
        int s = slots.take(resubmit, 7);
        slots.complete(s, 0);
        assertEquals(s, again[0], "the slot is free before the callback runs");
        assertEquals(1, slots.capacity(), "no growth: the one slot was free again");
        assertEquals(1, slots.inFlight());
    }
}
