package io.tensorplane.nvmf.subsystem;

import io.tensorplane.engine.BlockDevice;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * An engine device exported as namespace {@code nsid} of a subsystem. Its UUID and NGUID are
 * stable: given in the configuration, or derived from the subsystem NQN and the NSID.
 */
public final class Namespace {
    private final int nsid;
    private final BlockDevice device;
    private final UUID uuid;
    private final byte[] nguid;
    private final int globalIndex;
    private final int lbaShift;
    private final long blocks;

    public Namespace(String subsystemNqn, int nsid, BlockDevice device, UUID uuid, int globalIndex) {
        int bs = device.blockSize();
        if (Integer.bitCount(bs) != 1 || bs < 512) {
            throw new IllegalArgumentException("block size " + bs + " of " + device.spec() + " is not a power of two >= 512");
        }
        this.nsid = nsid;
        this.device = device;
        this.uuid = uuid != null ? uuid
                : UUID.nameUUIDFromBytes((subsystemNqn + "/ns/" + nsid).getBytes(StandardCharsets.UTF_8));
        this.nguid = derive("nguid:" + subsystemNqn + "/" + nsid + "/" + this.uuid);
        this.globalIndex = globalIndex;
        this.lbaShift = Integer.numberOfTrailingZeros(bs);
        this.blocks = device.sizeBytes() >>> lbaShift;
    }

    private static byte[] derive(String s) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[16];
            System.arraycopy(h, 0, out, 0, 16);
            return out;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public int nsid() { return nsid; }
    public BlockDevice device() { return device; }
    public UUID uuid() { return uuid; }
    public byte[] nguid() { return nguid.clone(); }
    public int globalIndex() { return globalIndex; }
    public int lbaShift() { return lbaShift; }
    public long blocks() { return blocks; }

    public byte[] uuidBytes() {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.putLong(uuid.getMostSignificantBits());
        b.putLong(uuid.getLeastSignificantBits());
        return b.array();
    }
}
