package io.tensorplane.engine.trace;

/**
 * The layout of one recorded I/O: 64 bytes of named offsets, little-endian, written by the I/O thread
 * into its channel's ring and copied unchanged into the trace. In a trace recorded with
 * {@code trace-data=full} a write's data follows its record ({@link #PAYLOAD} bytes).
 *
 * <pre>
 *  0  long  seq        the channel's submission number: 0, 1, 2, ... (replay keeps this order)
 *  8  long  submit     nanoseconds from the start of the trace to the submission
 * 16  long  latency    nanoseconds from submission to completion, as the front door saw it
 * 24  long  offset     byte offset (0 for flush)
 * 32  long  length     byte length (0 for flush; discard and write-zeroes may exceed 2 GiB)
 * 40  long  checksum   64-bit xxHash of the data read or written (trace-data=checksum|full), else 0
 * 48  long  emulated   the latency the emulation model drew for this I/O, or -1 if none was emulated
 * 56  int   result     bytes transferred, or a negative errno
 * 60  byte  op         {@link io.tensorplane.engine.IoOp} ordinal
 * 61  byte  flags      {@link io.tensorplane.engine.IoChannel#FLAG_FUA}, {@link #F_CHECKSUM}, {@link #F_PAYLOAD}
 * 62  short reserved
 * </pre>
 */
public final class TraceRecord {
    public static final int SEQ = 0;
    public static final int SUBMIT = 8;
    public static final int LATENCY = 16;
    public static final int OFFSET = 24;
    public static final int LENGTH = 32;
    public static final int CHECKSUM = 40;
    public static final int EMULATED = 48;
    public static final int RESULT = 56;
    public static final int OP = 60;
    public static final int FLAGS = 61;
    public static final int SIZE = 64;

    /** Flag: {@link #CHECKSUM} holds the data's checksum. */
    public static final int F_CHECKSUM = 0x10;
    /** Flag: the write's data follows the record. */
    public static final int F_PAYLOAD = 0x20;
    /** The flags an I/O carries from its submission ({@code FLAG_FUA}). */
    public static final int F_IO_MASK = 0x0f;

    private TraceRecord() {
    }
}
