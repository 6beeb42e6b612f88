package io.tensorplane.engine.trace;

import io.tensorplane.engine.IoOp;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * Writes a trace as an fio {@code read_iolog} of version 3 ({@code fio version 3 iolog}): one file
 * {@code FILE} added, opened, its I/O as {@code <us> FILE read|write|sync|trim <offset> <length>} in
 * submission order (all queues merged by time), then closed. fio's {@code --read_iolog} replays it,
 * against another device with {@code --replay_redirect}, at its own queue depth.
 *
 * <p>fio (3.31 and later) reads the timestamps as microseconds and waits the difference between one
 * line's and the previous one's, but waits nothing after a line stamped 0: so times start at 1. A
 * write-zeroes has no fio action and is written as a trim.
 */
public final class FioLog {
    private FioLog() {
    }

    /** @return the number of I/O lines written */
    public static long write(Trace t, String file, Writer out) throws IOException {
        List<Trace.Channel> busy = t.busyChannels();
        int total = 0;
        for (Trace.Channel c : busy) {
            total += c.count;
        }
        long[] submit = new long[total];
        long[] ids = new long[total];
        Trace.Channel[] ch = new Trace.Channel[total];
        int[] rec = new int[total];
        int k = 0;
        long origin = Long.MAX_VALUE;
        for (Trace.Channel c : busy) {
            origin = Math.min(origin, c.submit[0]);
            for (int i = 0; i < c.count; i++, k++) {
                submit[k] = c.submit[i];
                ids[k] = ((long) c.id() << 40) | i;
                ch[k] = c;
                rec[k] = i;
            }
        }
        int[] order = Sorting.byKeys(submit, ids, total);
        out.write("fio version 3 iolog\n");
        out.write("1 " + file + " add\n");
        out.write("1 " + file + " open\n");
        long lastUs = 1;
        for (int j = 0; j < total; j++) {
            Trace.Channel c = ch[order[j]];
            int i = rec[order[j]];
            long us = (c.submit[i] - origin) / 1_000 + 1;
            lastUs = us;
            IoOp op = c.op(i);
            String action;
            switch (op) {
                case READ: action = "read"; break;
                case WRITE: action = "write"; break;
                case FLUSH: action = "sync"; break;
                case DISCARD: action = "trim"; break;
                default: action = "trim"; break; // write-zeroes: fio has no such action
            }
            out.write(us + " " + file + " " + action + " " + c.offset[i] + " " + c.length[i] + "\n");
        }
        out.write(lastUs + " " + file + " close\n");
        return total;
    }
}
