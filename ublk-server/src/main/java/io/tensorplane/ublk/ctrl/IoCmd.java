package io.tensorplane.ublk.ctrl;

/** {@code struct ublksrv_io_cmd} (16 bytes), carried in a 64-byte SQE's cmd area. */
public final class IoCmd {
    private IoCmd() {
    }

    public static final int SIZE = 16;
    public static final int Q_ID = 0;    // __u16
    public static final int TAG = 2;     // __u16
    public static final int RESULT = 4;  // __s32, COMMIT only
    public static final int ADDR = 8;    // __u64 buffer address (not with USER_COPY)
}
