package io.tensorplane.ublk.ctrl;

/** {@code struct ublksrv_ctrl_cmd} (32 bytes), carried in a 128-byte SQE's cmd area. */
public final class CtrlCmd {
    private CtrlCmd() {
    }

    public static final int SIZE = 32;
    public static final int DEV_ID = 0;        // __u32
    public static final int QUEUE_ID = 4;      // __u16, -1 when not for a queue
    public static final int LEN = 6;           // __u16
    public static final int ADDR = 8;          // __u64
    public static final int DATA = 16;         // __u64 data[1]
    public static final int DEV_PATH_LEN = 24; // __u16
    public static final int PAD = 26;          // __u16
    public static final int RESERVED = 28;     // __u32
}
