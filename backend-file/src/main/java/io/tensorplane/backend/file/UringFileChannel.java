package io.tensorplane.backend.file;

import static io.tensorplane.uring.IoUringLayout.*;

import io.tensorplane.engine.CompletionSlots;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.engine.RegisteredBufferIo;
import io.tensorplane.uring.CqeHandler;
import io.tensorplane.uring.ErrnoException;
import io.tensorplane.uring.IoUring;
import io.tensorplane.uring.LibC;
import io.tensorplane.uring.SharedRing;
import io.tensorplane.uring.UserData;
import java.util.Arrays;
import java.util.logging.Logger;
import org.agrona.UnsafeApi;

/**
 * File and block-device I/O on io_uring, never blocking the I/O thread: each submission fills an SQE
 * and returns; {@link #poll()} pushes the batch with one {@code io_uring_enter} and reaps completions
 * from the completion ring in place, without a system call.
 *
 * <p>On a ring of its own, the ring's descriptor is the {@link #completionFd()} an event loop waits
 * on. On a ring its thread lends it ({@link SharedRing}: a ublk queue's), the thread's own submit
 * pushes these SQEs with its commands and its reaping hands this channel its CQEs through a route.
 *
 * <p>On a lent ring it also reads and writes buffers registered with that ring, by index
 * ({@link RegisteredBufferIo}: a ublk request's own pages, zero copy), with {@code READ_FIXED}/{@code WRITE_FIXED}.
 *
 * <p>Each I/O lives in a pre-allocated slot (parallel arrays that grow only at a new high-water mark
 * of I/O in flight): no allocation per I/O. Short transfers are continued where they stopped; a read
 * that meets the end of the file fails with EIO (the file shrank). Operations the kernel turns out
 * not to have are done another way, learnt once per device: zeroing by hole punching and allocation
 * where {@code FALLOC_FL_ZERO_RANGE} is refused (tmpfs), writing zeros where hole punching is refused too
 * (vfat), the discard ioctl where the io_uring discard command is refused (Linux before 6.12).
 */
final class UringFileChannel extends FileChannelBase implements CqeHandler, RegisteredBufferIo {
    private static final Logger LOG = Logger.getLogger(FileDevice.class.getName());
    /** Entries of a channel's own ring; more I/O than this in flight just waits for SQ space at submit. */
    private static final int OWN_RING_ENTRIES = 256;
    private static final int INITIAL_SLOTS = 64;

    private static final byte READ = 0;
    private static final byte WRITE = 1;
    private static final byte FLUSH = 2;
    private static final byte DISCARD = 3;
    private static final byte ZEROES = 4;
    /** write-zeroes as a hole punched, then allocated again: two linked fallocates. */
    private static final byte ZEROES_BY_HOLE = 5;
    /** write-zeroes as plain writes of zeros, where the file system can neither zero a range nor punch a hole (vfat). */
    private static final byte ZEROES_BY_WRITE = 6;
    private static final int ZERO_CHUNK = 1 << 20;

    private final IoUring ring;
    private final boolean ownRing;
    private final SharedRing shared;
    private final int route;

    private final CompletionSlots slots = new CompletionSlots(INITIAL_SLOTS);
    private byte[] ops = new byte[INITIAL_SLOTS];
    private long[] offsets = new long[INITIAL_SLOTS];
    /** Length of the whole I/O (long: discard and write-zeroes ranges may exceed 2 GiB). */
    private long[] lengths = new long[INITIAL_SLOTS];
    /** Bytes transferred so far (short transfers continue from here). */
    private int[] progress = new int[INITIAL_SLOTS];
    /** The caller's memory. */
    private long[] addresses = new long[INITIAL_SLOTS];
    /** The memory the kernel transfers to or from: the caller's, or the slot's bounce buffer. */
    private long[] buffers = new long[INITIAL_SLOTS];
    private int[] rwFlags = new int[INITIAL_SLOTS];
    /** The index of the registered buffer the slot's data is in ({@link RegisteredBufferIo}), or -1: at its address. */
    private int[] registered = new int[INITIAL_SLOTS];
    /** CQEs still to come for the slot, and the first error among those that came. */
    private int[] pending = new int[INITIAL_SLOTS];
    private int[] errors = new int[INITIAL_SLOTS];
    private Bounce[] bounces = new Bounce[INITIAL_SLOTS];
    /** Zeros for {@link #ZEROES_BY_WRITE}, made on first use. */
    private Bounce zeros;
    private boolean closed;

    private UringFileChannel(FileDevice device, FileTarget target, IoUring ring, boolean ownRing, SharedRing shared) {
        super(device, target);
        this.ring = ring;
        this.ownRing = ownRing;
        this.shared = shared;
        this.route = shared == null ? 0 : shared.addRoute(this);
    }

    static UringFileChannel onOwnRing(FileDevice device, FileTarget target) {
        IoUring ring;
        try {
            // SINGLE_ISSUER (6.0+) lets the kernel skip locking: the channel is confined to one thread.
            ring = IoUring.create(OWN_RING_ENTRIES, 4 * OWN_RING_ENTRIES, IORING_SETUP_SINGLE_ISSUER);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EINVAL) {
                throw e;
            }
            ring = IoUring.create(OWN_RING_ENTRIES, 4 * OWN_RING_ENTRIES, 0);
        }
        return new UringFileChannel(device, target, ring, true, null);
    }

    static UringFileChannel onSharedRing(FileDevice device, FileTarget target, SharedRing shared) {
        return new UringFileChannel(device, target, shared.ring(), false, shared);
    }

    // ---------------------------------------------------------------- submission

    private int slot(IoCompletion completion, long tag, byte op, long offset, long length, long address) {
        int s = slots.take(completion, tag);
        if (s >= ops.length) {
            grow(slots.capacity());
        }
        ops[s] = op;
        offsets[s] = offset;
        lengths[s] = length;
        progress[s] = 0;
        addresses[s] = address;
        buffers[s] = address;
        rwFlags[s] = 0;
        registered[s] = -1;
        pending[s] = 1;
        errors[s] = 0;
        return s;
    }

    private void grow(int n) {
        ops = Arrays.copyOf(ops, n);
        offsets = Arrays.copyOf(offsets, n);
        lengths = Arrays.copyOf(lengths, n);
        progress = Arrays.copyOf(progress, n);
        addresses = Arrays.copyOf(addresses, n);
        buffers = Arrays.copyOf(buffers, n);
        rwFlags = Arrays.copyOf(rwFlags, n);
        registered = Arrays.copyOf(registered, n);
        pending = Arrays.copyOf(pending, n);
        errors = Arrays.copyOf(errors, n);
        bounces = Arrays.copyOf(bounces, n);
    }

    /** A free SQE; when the submission queue is full, what is in it is pushed to the kernel first. */
    private long sqe() {
        long sqe = ring.nextSqe();
        while (sqe == 0) {
            int r = ring.submit();
            if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
                throw new ErrnoException("io_uring_enter for '" + target.path + "'", -r);
            }
            sqe = ring.nextSqe();
        }
        return sqe;
    }

    private long userData(int slot) {
        return UserData.pack(route, slot);
    }

    @Override
    public void read(long offset, int length, long address, IoCompletion completion, long tag) {
        int r = reject(offset, length, false);
        if (r != 0) {
            completion.complete(tag, r);
            return;
        }
        int s = slot(completion, tag, READ, offset, length, address);
        if (misaligned(address)) {
            buffers[s] = bounce(s, length);
        }
        submitTransfer(s);
    }

    @Override
    public void write(long offset, int length, long address, int flags, IoCompletion completion, long tag) {
        int r = reject(offset, length, true);
        if (r != 0) {
            completion.complete(tag, r);
            return;
        }
        int s = slot(completion, tag, WRITE, offset, length, address);
        if (misaligned(address)) {
            long b = bounce(s, length);
            UnsafeApi.copyMemory(address, b, length);
            buffers[s] = b;
        }
        // FUA: the write itself is durable (REQ_FUA on a block device, a data sync of the range on a file)
        rwFlags[s] = (flags & FLAG_FUA) != 0 ? RWF_DSYNC : 0;
        submitTransfer(s);
    }

    @Override
    public RegisteredBufferIo registeredBufferIo() {
        // only the ring's owner can register buffers with it: on a ring of our own there are none
        return shared != null ? this : null;
    }

    @Override
    public void readRegistered(long offset, int length, int bufIndex, IoCompletion completion, long tag) {
        int r = reject(offset, length, false);
        if (r != 0) {
            completion.complete(tag, r);
            return;
        }
        int s = slot(completion, tag, READ, offset, length, 0);
        registered[s] = bufIndex;
        submitTransfer(s);
    }

    @Override
    public void writeRegistered(long offset, int length, int bufIndex, int flags, IoCompletion completion, long tag) {
        int r = reject(offset, length, true);
        if (r != 0) {
            completion.complete(tag, r);
            return;
        }
        int s = slot(completion, tag, WRITE, offset, length, 0);
        registered[s] = bufIndex;
        rwFlags[s] = (flags & FLAG_FUA) != 0 ? RWF_DSYNC : 0;
        submitTransfer(s);
    }

    private long bounce(int s, int length) {
        Bounce b = bounces[s];
        if (b == null) {
            b = new Bounce(target.memoryAlignment);
            bounces[s] = b;
        }
        return b.address(length);
    }

    /** Submits what is left of a read or write (all of it, or the rest after a short transfer). */
    private void submitTransfer(int s) {
        int at = progress[s];
        int len = (int) lengths[s] - at;
        long sqe = sqe();
        long buf;
        int fixed;
        if (registered[s] >= 0) {
            fixed = registered[s];
            buf = shared.fixedBufferAddress(fixed) + at;
        } else {
            buf = buffers[s] + at;
            fixed = shared == null ? -1 : shared.fixedBuffer(buf, len);
        }
        boolean read = ops[s] == READ;
        if (fixed >= 0) {
            IoUring.prepRwFixed(sqe, read ? IORING_OP_READ_FIXED : IORING_OP_WRITE_FIXED, fd, buf, len, offsets[s] + at, fixed, userData(s));
        } else {
            IoUring.prepRw(sqe, read ? IORING_OP_READ : IORING_OP_WRITE, fd, buf, len, offsets[s] + at, userData(s));
        }
        if (rwFlags[s] != 0) {
            IoUring.setRwFlags(sqe, rwFlags[s]);
        }
    }

    @Override
    public void flush(IoCompletion completion, long tag) {
        int s = slot(completion, tag, FLUSH, 0, 0, 0);
        IoUring.prepFsync(sqe(), fd, IORING_FSYNC_DATASYNC, userData(s));
    }

    @Override
    public void discard(long offset, long length, IoCompletion completion, long tag) {
        int r = reject(offset, length, true);
        if (r == 0 && !device.capabilities().discard()) {
            // said, not ignored: the front doors do not advertise discard for this device
            r = -Errno.EOPNOTSUPP;
        }
        if (r != 0) {
            completion.complete(tag, r);
            return;
        }
        if (target.blockDevice && device.quirks.noUringDiscard) {
            completion.complete(tag, blockingDiscard(offset, length));
            return;
        }
        int s = slot(completion, tag, DISCARD, offset, length, 0);
        submitDiscard(s);
    }

    private void submitDiscard(int s) {
        long sqe = sqe();
        if (target.blockDevice) {
            IoUring.prepUringCmd(sqe, fd, false, LibC.BLOCK_URING_CMD_DISCARD, userData(s));
            UnsafeApi.putLong(sqe + SQE_ADDR, offsets[s]);
            UnsafeApi.putLong(sqe + SQE_ADDR3, lengths[s]);
        } else {
            IoUring.prepFallocate(sqe, fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offsets[s], lengths[s], userData(s));
        }
    }

    @Override
    public void writeZeroes(long offset, long length, IoCompletion completion, long tag) {
        int r = reject(offset, length, true);
        if (r != 0) {
            completion.complete(tag, r);
            return;
        }
        int s = slot(completion, tag, ZEROES, offset, length, 0);
        if (device.quirks.noHolePunch) {
            submitZeroesByWrite(s);
        } else if (device.quirks.noZeroRange) {
            submitZeroesByHole(s);
        } else {
            IoUring.prepFallocate(sqe(), fd, LibC.FALLOC_FL_ZERO_RANGE | LibC.FALLOC_FL_KEEP_SIZE, offset, length, userData(s));
        }
    }

    /** Punch a hole (it reads as zeros), then allocate the range again so later writes cannot run out of space. */
    private void submitZeroesByHole(int s) {
        ops[s] = ZEROES_BY_HOLE;
        errors[s] = 0;
        pending[s] = 2;
        long punch = sqe();
        IoUring.prepFallocate(punch, fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offsets[s], lengths[s], userData(s));
        IoUring.setFlags(punch, IOSQE_IO_LINK);
        IoUring.prepFallocate(sqe(), fd, LibC.FALLOC_FL_KEEP_SIZE, offsets[s], lengths[s], userData(s));
    }

    /** Writes zeros over the range, in chunks from one zeroed buffer; the slot completes with the last of them. */
    private void submitZeroesByWrite(int s) {
        ops[s] = ZEROES_BY_WRITE;
        errors[s] = 0;
        if (zeros == null) {
            zeros = new Bounce(target.memoryAlignment);
            UnsafeApi.setMemory(zeros.address(ZERO_CHUNK), ZERO_CHUNK, (byte) 0);
        }
        long zero = zeros.address(ZERO_CHUNK);
        long end = offsets[s] + lengths[s];
        int chunks = (int) ((lengths[s] + ZERO_CHUNK - 1) / ZERO_CHUNK);
        pending[s] = chunks;
        for (long pos = offsets[s]; pos < end; pos += ZERO_CHUNK) {
            int n = (int) Math.min(ZERO_CHUNK, end - pos);
            IoUring.prepRw(sqe(), IORING_OP_WRITE, fd, zero, n, pos, userData(s));
        }
    }

    // ---------------------------------------------------------------- completion

    /** A CQE of this channel: from its own ring in {@link #poll()}, or routed by the ring's owner. */
    @Override
    public void onCqe(long userData, int res, int flags) {
        int s = (int) UserData.value(userData);
        switch (ops[s]) {
            case READ:
            case WRITE:
                transferred(s, res);
                return;
            case DISCARD:
                if (res < 0 && target.blockDevice && unsupported(res) && !device.quirks.noUringDiscard) {
                    device.quirks.noUringDiscard = true;
                    LOG.info("file backend: this kernel has no io_uring discard for block devices (Linux 6.12+);"
                            + " discards on '" + target.path + "' use the blocking BLKDISCARD ioctl");
                    finish(s, blockingDiscard(offsets[s], lengths[s]));
                    return;
                }
                finish(s, res < 0 ? res : 0);
                return;
            case ZEROES:
                if (res == -Errno.EOPNOTSUPP && !target.blockDevice) {
                    device.quirks.noZeroRange = true;
                    submitZeroesByHole(s);
                    return;
                }
                finish(s, res < 0 ? res : 0);
                return;
            case ZEROES_BY_HOLE:
                // the linked allocation of a failed punch ends with ECANCELED, maybe before the punch's own CQE
                if (res < 0 && (errors[s] == 0 || errors[s] == -Errno.ECANCELED)) {
                    errors[s] = res;
                }
                if (--pending[s] == 0) {
                    if (errors[s] == -Errno.EOPNOTSUPP) {
                        // no hole punching either (vfat): write the zeros
                        device.quirks.noHolePunch = true;
                        submitZeroesByWrite(s);
                        return;
                    }
                    finish(s, errors[s]);
                }
                return;
            case ZEROES_BY_WRITE:
                if (res <= 0 && errors[s] == 0) {
                    errors[s] = res < 0 ? res : -Errno.EIO;
                }
                if (--pending[s] == 0) {
                    finish(s, errors[s]);
                }
                return;
            default:
                finish(s, res < 0 ? res : 0);
        }
    }

    private static boolean unsupported(int res) {
        return res == -Errno.EINVAL || res == -Errno.EOPNOTSUPP || res == -Errno.ENOTTY;
    }

    private void transferred(int s, int res) {
        if (res < 0) {
            if (res == -Errno.EAGAIN || res == -Errno.EINTR) {
                submitTransfer(s); // transient: try again
                return;
            }
            finish(s, res);
            return;
        }
        if (res == 0) {
            // no progress: a read at the end of a file that shrank, or a write that cannot advance
            finish(s, ops[s] == READ ? shrunk(offsets[s] + progress[s]) : -Errno.EIO);
            return;
        }
        progress[s] += res;
        if (progress[s] < lengths[s]) {
            submitTransfer(s);
            return;
        }
        if (ops[s] == READ && buffers[s] != addresses[s]) {
            UnsafeApi.copyMemory(buffers[s], addresses[s], lengths[s]);
        }
        finish(s, (int) lengths[s]);
    }

    private void finish(int s, int result) {
        slots.complete(s, result);
    }

    /** The discard ioctl, on kernels whose io_uring cannot discard a block device: blocks the thread. */
    private int blockingDiscard(long offset, long length) {
        long range = UnsafeApi.allocateMemory(16);
        try {
            UnsafeApi.putLong(range, offset);
            UnsafeApi.putLong(range + 8, length);
            return LibC.ioctl(fd, LibC.BLKDISCARD, range) < 0 ? -LibC.errno() : 0;
        } finally {
            UnsafeApi.freeMemory(range);
        }
    }

    // ---------------------------------------------------------------- driving an own ring

    @Override
    public int poll() {
        if (!ownRing) {
            return 0; // the ring's owner submits and reaps
        }
        if (ring.pendingSubmissions() > 0) {
            int r = ring.submit();
            if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
                throw new ErrnoException("io_uring_enter for '" + target.path + "'", -r);
            }
        }
        if (ring.cqOverflowPending()) {
            ring.submitAndReap(); // moves completions the CQ had no room for back into it
        }
        return ring.drainCompletions(this);
    }

    @Override
    public int inFlight() {
        return slots.inFlight();
    }

    @Override
    public int completionFd() {
        // io_uring's descriptor is readable while its completion queue holds entries
        return ownRing ? ring.fd() : COMPLETES_THROUGH_HOST;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ownRing) {
            // The kernel may still write into bounce buffers of I/O in flight: let it finish first.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (slots.inFlight() > 0 && System.nanoTime() < deadline) {
                if (ring.submitAndWait(1) < 0 && ring.pendingSubmissions() == 0 && !ring.hasCompletions()) {
                    Thread.onSpinWait();
                }
                ring.drainCompletions(this);
            }
            ring.close();
        }
        for (Bounce b : bounces) {
            if (b != null) {
                b.free();
            }
        }
        if (zeros != null) {
            zeros.free();
        }
    }
}
