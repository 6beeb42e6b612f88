package io.tensorplane.ublk.ctrl;

import org.agrona.UnsafeApi;

/** {@code struct ublksrv_ctrl_dev_info} (64 bytes): a device's queues, depth, state, server pid and flags. */
public final class DevInfo {
    public static final int SIZE = 64;
    public static final int NR_HW_QUEUES = 0;      // __u16
    public static final int QUEUE_DEPTH = 2;       // __u16
    public static final int STATE = 4;             // __u16
    public static final int PAD0 = 6;              // __u16
    public static final int MAX_IO_BUF_BYTES = 8;  // __u32
    public static final int DEV_ID = 12;           // __u32
    public static final int UBLKSRV_PID = 16;      // __s32
    public static final int PAD1 = 20;             // __u32
    public static final int FLAGS = 24;            // __u64
    public static final int UBLKSRV_FLAGS = 32;    // __u64
    public static final int OWNER_UID = 40;        // __u32
    public static final int OWNER_GID = 44;        // __u32
    public static final int RESERVED1 = 48;        // __u64
    public static final int RESERVED2 = 56;        // __u64

    public int nrHwQueues;
    public int queueDepth;
    public int state;
    public int maxIoBufBytes;
    public int devId;
    public int ublksrvPid;
    public long flags;
    public long ublksrvFlags;
    public int ownerUid;
    public int ownerGid;

    /** Writes this struct at {@code addr} (all 64 bytes, reserved fields zero). */
    public void encode(long addr) {
        UnsafeApi.setMemory(addr, SIZE, (byte) 0);
        UnsafeApi.putShort(addr + NR_HW_QUEUES, (short) nrHwQueues);
        UnsafeApi.putShort(addr + QUEUE_DEPTH, (short) queueDepth);
        UnsafeApi.putShort(addr + STATE, (short) state);
        UnsafeApi.putInt(addr + MAX_IO_BUF_BYTES, maxIoBufBytes);
        UnsafeApi.putInt(addr + DEV_ID, devId);
        UnsafeApi.putInt(addr + UBLKSRV_PID, ublksrvPid);
        UnsafeApi.putLong(addr + FLAGS, flags);
        UnsafeApi.putLong(addr + UBLKSRV_FLAGS, ublksrvFlags);
        UnsafeApi.putInt(addr + OWNER_UID, ownerUid);
        UnsafeApi.putInt(addr + OWNER_GID, ownerGid);
    }

    /** Reads the struct at {@code addr}. */
    public static DevInfo decode(long addr) {
        DevInfo d = new DevInfo();
        d.nrHwQueues = Short.toUnsignedInt(UnsafeApi.getShort(addr + NR_HW_QUEUES));
        d.queueDepth = Short.toUnsignedInt(UnsafeApi.getShort(addr + QUEUE_DEPTH));
        d.state = Short.toUnsignedInt(UnsafeApi.getShort(addr + STATE));
        d.maxIoBufBytes = UnsafeApi.getInt(addr + MAX_IO_BUF_BYTES);
        d.devId = UnsafeApi.getInt(addr + DEV_ID);
        d.ublksrvPid = UnsafeApi.getInt(addr + UBLKSRV_PID);
        d.flags = UnsafeApi.getLong(addr + FLAGS);
        d.ublksrvFlags = UnsafeApi.getLong(addr + UBLKSRV_FLAGS);
        d.ownerUid = UnsafeApi.getInt(addr + OWNER_UID);
        d.ownerGid = UnsafeApi.getInt(addr + OWNER_GID);
        return d;
    }
}
