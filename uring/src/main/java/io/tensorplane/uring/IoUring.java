package io.tensorplane.uring;

import static io.tensorplane.uring.IoUringLayout.*;

import org.agrona.UnsafeApi;

/**
 * A small io_uring: the submission and completion rings mapped into this process and accessed in
 * place, with acquire/release ordering on the indices the kernel shares with us.
 *
 * <p>Confined to one thread (the rings are single-producer/single-consumer on our side). SQEs are
 * filled with {@link #nextSqe()} and handed to the kernel in one batch by {@link #submitAndWait};
 * completions are consumed in place by {@link #drainCompletions}. No native call is made per field
 * and none per I/O: one {@code io_uring_enter} per batch.
 */
public final class IoUring implements AutoCloseable {
    private final int ringFd;
    private final int sqeSize;
    private final int sqEntries;
    private final int sqMask;
    private final long sqHead;   // kernel writes (consumer); we read with acquire
    private final long sqTail;   // we write (producer) with release
    private final long sqFlags;  // kernel writes: IORING_SQ_TASKRUN etc.
    private final long sqes;
    private final int cqMask;
    private final int cqEntries;
    private final long cqHead;   // we write (consumer) with release
    private final long cqTail;   // kernel writes (producer); we read with acquire
    private final long cqes;
    private final int cqeSize;
    private final long ringBase;
    private final long ringBytes;
    private final long cqRingBase;
    private final long cqRingBytes;
    private final long sqesBytes;
    private final int features;

    /** Our producer tail (not yet published SQEs lie between sqPublished and it). */
    private int sqLocalTail;
    /** Our consumer head of the CQ. */
    private int cqLocalHead;
    private boolean closed;

    private IoUring(int ringFd, long params, int flags) {
        this.ringFd = ringFd;
        this.sqeSize = (flags & IORING_SETUP_SQE128) != 0 ? SQE128_SIZE : SQE_SIZE;
        this.cqeSize = (flags & IORING_SETUP_CQE32) != 0 ? 2 * CQE_SIZE : CQE_SIZE;
        this.features = UnsafeApi.getInt(params + PARAMS_FEATURES);
        this.sqEntries = UnsafeApi.getInt(params + PARAMS_SQ_ENTRIES);
        this.cqEntries = UnsafeApi.getInt(params + PARAMS_CQ_ENTRIES);
        long sq = params + PARAMS_SQ_OFF;
        long cq = params + PARAMS_CQ_OFF;
        long sqRingBytes = UnsafeApi.getInt(sq + SQ_OFF_ARRAY) + 4L * sqEntries;
        long cqBytes = UnsafeApi.getInt(cq + CQ_OFF_CQES) + (long) cqeSize * cqEntries;
        boolean single = (features & IORING_FEAT_SINGLE_MMAP) != 0;
        long sqMap = 0;
        long cqMap = 0;
        long sqeMap = 0;
        try {
            long sqLen = single ? Math.max(sqRingBytes, cqBytes) : sqRingBytes;
            sqMap = map(sqLen, ringFd, IORING_OFF_SQ_RING, "mmap io_uring SQ ring");
            cqMap = single ? sqMap : map(cqBytes, ringFd, IORING_OFF_CQ_RING, "mmap io_uring CQ ring");
            sqeMap = map((long) sqeSize * sqEntries, ringFd, IORING_OFF_SQES, "mmap io_uring SQEs");
        } catch (RuntimeException e) {
            if (sqeMap != 0) {
                LibC.munmap(sqeMap, (long) sqeSize * sqEntries);
            }
            if (cqMap != 0 && cqMap != sqMap) {
                LibC.munmap(cqMap, cqBytes);
            }
            if (sqMap != 0) {
                LibC.munmap(sqMap, single ? Math.max(sqRingBytes, cqBytes) : sqRingBytes);
            }
            throw e;
        }
        this.ringBase = sqMap;
        this.ringBytes = single ? Math.max(sqRingBytes, cqBytes) : sqRingBytes;
        this.cqRingBase = cqMap;
        this.cqRingBytes = single ? 0 : cqBytes;
        this.sqes = sqeMap;
        this.sqesBytes = (long) sqeSize * sqEntries;
        this.sqHead = sqMap + UnsafeApi.getInt(sq + SQ_OFF_HEAD);
        this.sqTail = sqMap + UnsafeApi.getInt(sq + SQ_OFF_TAIL);
        this.sqFlags = sqMap + UnsafeApi.getInt(sq + SQ_OFF_FLAGS);
        this.sqMask = UnsafeApi.getInt(sqMap + UnsafeApi.getInt(sq + SQ_OFF_RING_MASK));
        long sqArray = sqMap + UnsafeApi.getInt(sq + SQ_OFF_ARRAY);
        this.cqHead = cqMap + UnsafeApi.getInt(cq + CQ_OFF_HEAD);
        this.cqTail = cqMap + UnsafeApi.getInt(cq + CQ_OFF_TAIL);
        this.cqMask = UnsafeApi.getInt(cqMap + UnsafeApi.getInt(cq + CQ_OFF_RING_MASK));
        this.cqes = cqMap + UnsafeApi.getInt(cq + CQ_OFF_CQES);
        // The SQ index array maps ring slots to SQEs; we keep it the identity once and for all.
        for (int i = 0; i < sqEntries; i++) {
            UnsafeApi.putInt(sqArray + 4L * i, i);
        }
        this.sqLocalTail = UnsafeApi.getIntAcquire(null, sqTail);
        this.cqLocalHead = UnsafeApi.getIntAcquire(null, cqHead);
    }

    private static long map(long len, int fd, long off, String what) {
        long a = LibC.mmap(0, len, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, fd, off);
        if (a == LibC.MAP_FAILED) {
            throw new ErrnoException(what, LibC.errno());
        }
        return a;
    }

    /**
     * Creates a ring.
     *
     * @param entries    submission queue entries (rounded up to a power of two by the kernel)
     * @param cqEntries  completion queue entries, or 0 for the kernel's default (twice {@code entries})
     * @param flags      {@code IORING_SETUP_*} flags, e.g. {@link IoUringLayout#IORING_SETUP_SQE128}
     */
    public static IoUring create(int entries, int cqEntries, int flags) {
        long params = UnsafeApi.allocateMemory(PARAMS_SIZE);
        try {
            UnsafeApi.setMemory(params, PARAMS_SIZE, (byte) 0);
            int f = flags;
            if (cqEntries > 0) {
                f |= IORING_SETUP_CQSIZE;
                UnsafeApi.putInt(params + PARAMS_CQ_ENTRIES, cqEntries);
            }
            UnsafeApi.putInt(params + PARAMS_FLAGS, f);
            long fd = LibC.ioUringSetup(entries, params);
            if (fd < 0) {
                int errno = LibC.errno();
                throw new ErrnoException("io_uring_setup(" + entries + ", flags 0x" + Integer.toHexString(f) + ")", errno);
            }
            try {
                return new IoUring((int) fd, params, f);
            } catch (RuntimeException e) {
                LibC.close((int) fd);
                throw e;
            }
        } finally {
            UnsafeApi.freeMemory(params);
        }
    }

    public int fd() {
        return ringFd;
    }

    public int sqeSize() {
        return sqeSize;
    }

    public int sqEntries() {
        return sqEntries;
    }

    public int cqEntries() {
        return cqEntries;
    }

    public int features() {
        return features;
    }

    /**
     * The address of the next free SQE, zeroed, or 0 when the submission queue is full. The entry
     * is handed to the kernel by the next {@link #submit()} or {@link #submitAndWait(int)}.
     */
    public long nextSqe() {
        int head = UnsafeApi.getIntAcquire(null, sqHead);
        if (sqLocalTail - head >= sqEntries) {
            return 0;
        }
        long sqe = sqes + (long) (sqLocalTail & sqMask) * sqeSize;
        sqLocalTail++;
        UnsafeApi.setMemory(sqe, sqeSize, (byte) 0);
        return sqe;
    }

    /** SQEs filled but not yet consumed by the kernel. */
    public int pendingSubmissions() {
        return sqLocalTail - UnsafeApi.getIntAcquire(null, sqHead);
    }

    /**
     * Publishes the filled SQEs and enters the kernel once: submits them and, if
     * {@code minComplete > 0}, waits until that many completions are available.
     *
     * @return the number of SQEs the kernel consumed, or a negative errno (EINTR, EAGAIN, EBUSY are
     *         transient: the SQEs stay queued and the next call submits them)
     */
    public int submitAndWait(int minComplete) {
        // Release: the SQE contents written before become visible to the kernel before the tail.
        UnsafeApi.putIntRelease(null, sqTail, sqLocalTail);
        int toSubmit = sqLocalTail - UnsafeApi.getIntAcquire(null, sqHead);
        if (toSubmit == 0 && minComplete == 0) {
            return 0;
        }
        long r = LibC.ioUringEnter(ringFd, toSubmit, minComplete, minComplete > 0 ? IORING_ENTER_GETEVENTS : 0);
        if (r < 0) {
            return -LibC.errno();
        }
        return (int) r;
    }

    /**
     * Submits and runs pending task work (completions the kernel queued for this thread) without
     * waiting: {@code io_uring_enter(toSubmit, 0, GETEVENTS)}.
     */
    public int submitAndReap() {
        UnsafeApi.putIntRelease(null, sqTail, sqLocalTail);
        int toSubmit = sqLocalTail - UnsafeApi.getIntAcquire(null, sqHead);
        long r = LibC.ioUringEnter(ringFd, toSubmit, 0, IORING_ENTER_GETEVENTS);
        if (r < 0) {
            return -LibC.errno();
        }
        return (int) r;
    }

    /**
     * Whether the kernel has queued task work for this ring (with {@code IORING_SETUP_TASKRUN_FLAG}):
     * one acquire load; a system call then delivers the completions.
     */
    public boolean taskRunPending() {
        return (UnsafeApi.getIntAcquire(null, sqFlags) & IORING_SQ_TASKRUN) != 0;
    }

    /**
     * Whether completions are waiting in the kernel's overflow list because the CQ was full; a
     * {@link #submitAndReap()} moves them into the CQ.
     */
    public boolean cqOverflowPending() {
        return (UnsafeApi.getIntAcquire(null, sqFlags) & IORING_SQ_CQ_OVERFLOW) != 0;
    }

    /** Submits without waiting. */
    public int submit() {
        return submitAndWait(0);
    }

    /** Whether a completion is waiting in the CQ (one acquire load, no system call). */
    public boolean hasCompletions() {
        return UnsafeApi.getIntAcquire(null, cqTail) != cqLocalHead;
    }

    /**
     * Hands every available CQE to {@code handler}, in place, then releases the slots to the kernel.
     *
     * @return the number of completions handled
     */
    public int drainCompletions(CqeHandler handler) {
        int head = cqLocalHead;
        // Acquire: the CQE contents the kernel wrote before publishing the tail are visible.
        int tail = UnsafeApi.getIntAcquire(null, cqTail);
        int n = 0;
        while (head != tail) {
            long cqe = cqes + (long) (head & cqMask) * cqeSize;
            long userData = UnsafeApi.getLong(cqe + CQE_USER_DATA);
            int res = UnsafeApi.getInt(cqe + CQE_RES);
            int flags = UnsafeApi.getInt(cqe + CQE_FLAGS);
            head++;
            n++;
            // Release the slot before running the handler so the kernel may reuse it.
            cqLocalHead = head;
            UnsafeApi.putIntRelease(null, cqHead, head);
            handler.onCqe(userData, res, flags);
            if (head == tail) {
                tail = UnsafeApi.getIntAcquire(null, cqTail);
            }
        }
        return n;
    }

    /**
     * Registers one region of memory as fixed buffer 0, so that {@code READ_FIXED}/{@code WRITE_FIXED}
     * into it skip pinning the pages on every I/O. The pages are pinned once (memlock is charged).
     *
     * @return 0, or a negative errno (ENOMEM when RLIMIT_MEMLOCK is too low, ...): the caller then
     *         keeps using plain reads and writes
     */
    public int registerBuffer(long address, long length) {
        long iov = UnsafeApi.allocateMemory(IOVEC_SIZE);
        try {
            UnsafeApi.putLong(iov, address);
            UnsafeApi.putLong(iov + 8, length);
            return LibC.ioUringRegister(ringFd, IORING_REGISTER_BUFFERS, iov, 1) < 0 ? -LibC.errno() : 0;
        } finally {
            UnsafeApi.freeMemory(iov);
        }
    }

    /**
     * Registers a table of {@code slots} empty fixed buffers, to be filled later: by the kernel (a ublk
     * request's pages, registered automatically under the index its command names) or by
     * {@link #updateBuffer(int, long, long)}. Replaces nothing: call it instead of {@link #registerBuffer}.
     *
     * @return 0 or a negative errno (EINVAL before Linux 5.19)
     */
    public int registerSparseBuffers(int slots) {
        long reg = UnsafeApi.allocateMemory(RSRC_REGISTER_SIZE);
        try {
            UnsafeApi.setMemory(reg, RSRC_REGISTER_SIZE, (byte) 0);
            UnsafeApi.putInt(reg + RSRC_REGISTER_NR, slots);
            UnsafeApi.putInt(reg + RSRC_REGISTER_FLAGS, IORING_RSRC_REGISTER_SPARSE);
            return LibC.ioUringRegister(ringFd, IORING_REGISTER_BUFFERS2, reg, RSRC_REGISTER_SIZE) < 0 ? -LibC.errno() : 0;
        } finally {
            UnsafeApi.freeMemory(reg);
        }
    }

    /**
     * Puts user memory into slot {@code index} of a buffer table made with {@link #registerSparseBuffers(int)}.
     *
     * @return 0 or a negative errno
     */
    public int updateBuffer(int index, long address, long length) {
        long up = UnsafeApi.allocateMemory(RSRC_UPDATE2_SIZE + IOVEC_SIZE);
        try {
            long iov = up + RSRC_UPDATE2_SIZE;
            UnsafeApi.setMemory(up, RSRC_UPDATE2_SIZE, (byte) 0);
            UnsafeApi.putLong(iov, address);
            UnsafeApi.putLong(iov + 8, length);
            UnsafeApi.putInt(up + RSRC_UPDATE2_OFFSET, index);
            UnsafeApi.putLong(up + RSRC_UPDATE2_DATA, iov);
            UnsafeApi.putInt(up + RSRC_UPDATE2_NR, 1);
            long r = LibC.ioUringRegister(ringFd, IORING_REGISTER_BUFFERS_UPDATE, up, RSRC_UPDATE2_SIZE);
            return r < 0 ? -LibC.errno() : 0;
        } finally {
            UnsafeApi.freeMemory(up);
        }
    }

    /** Registers files so SQEs can name them by index with {@link IoUringLayout#IOSQE_FIXED_FILE}. */
    public void registerFiles(int... fds) {
        long arr = UnsafeApi.allocateMemory(4L * fds.length);
        try {
            for (int i = 0; i < fds.length; i++) {
                UnsafeApi.putInt(arr + 4L * i, fds[i]);
            }
            if (LibC.ioUringRegister(ringFd, IORING_REGISTER_FILES, arr, fds.length) < 0) {
                throw new ErrnoException("io_uring_register(FILES)", LibC.errno());
            }
        } finally {
            UnsafeApi.freeMemory(arr);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LibC.munmap(sqes, sqesBytes);
        if (cqRingBytes != 0) {
            LibC.munmap(cqRingBase, cqRingBytes);
        }
        LibC.munmap(ringBase, ringBytes);
        LibC.close(ringFd);
    }

    // ---- SQE helpers: plain stores into an SQE obtained from nextSqe() ----

    public static void prepNop(long sqe, long userData) {
        UnsafeApi.putByte(sqe + SQE_OPCODE, (byte) IORING_OP_NOP);
        UnsafeApi.putLong(sqe + SQE_USER_DATA, userData);
    }

    public static void prepRw(long sqe, int op, int fd, long addr, int len, long offset, long userData) {
        UnsafeApi.putByte(sqe + SQE_OPCODE, (byte) op);
        UnsafeApi.putInt(sqe + SQE_FD, fd);
        UnsafeApi.putLong(sqe + SQE_OFF, offset);
        UnsafeApi.putLong(sqe + SQE_ADDR, addr);
        UnsafeApi.putInt(sqe + SQE_LEN, len);
        UnsafeApi.putLong(sqe + SQE_USER_DATA, userData);
    }

    /** A read or write on fixed buffer {@code bufIndex} ({@code addr} lies in that buffer). */
    public static void prepRwFixed(long sqe, int op, int fd, long addr, int len, long offset, int bufIndex, long userData) {
        prepRw(sqe, op, fd, addr, len, offset, userData);
        UnsafeApi.putShort(sqe + SQE_BUF_INDEX, (short) bufIndex);
    }

    /** {@code IORING_OP_FSYNC}; {@code flags} is 0 or {@link IoUringLayout#IORING_FSYNC_DATASYNC}. */
    public static void prepFsync(long sqe, int fd, int flags, long userData) {
        UnsafeApi.putByte(sqe + SQE_OPCODE, (byte) IORING_OP_FSYNC);
        UnsafeApi.putInt(sqe + SQE_FD, fd);
        UnsafeApi.putInt(sqe + SQE_OP_FLAGS, flags);
        UnsafeApi.putLong(sqe + SQE_USER_DATA, userData);
    }

    /** {@code IORING_OP_FALLOCATE}: the kernel reads the offset from off, the length from addr, the mode from len. */
    public static void prepFallocate(long sqe, int fd, int mode, long offset, long length, long userData) {
        UnsafeApi.putByte(sqe + SQE_OPCODE, (byte) IORING_OP_FALLOCATE);
        UnsafeApi.putInt(sqe + SQE_FD, fd);
        UnsafeApi.putLong(sqe + SQE_OFF, offset);
        UnsafeApi.putLong(sqe + SQE_ADDR, length);
        UnsafeApi.putInt(sqe + SQE_LEN, mode);
        UnsafeApi.putLong(sqe + SQE_USER_DATA, userData);
    }

    /** {@code IORING_OP_POLL_ADD} for {@code events} (e.g. {@link IoUringLayout#POLLIN}), multishot or not. */
    public static void prepPollAdd(long sqe, int fd, int events, boolean multishot, long userData) {
        UnsafeApi.putByte(sqe + SQE_OPCODE, (byte) IORING_OP_POLL_ADD);
        UnsafeApi.putInt(sqe + SQE_FD, fd);
        UnsafeApi.putInt(sqe + SQE_OP_FLAGS, events);
        UnsafeApi.putInt(sqe + SQE_LEN, multishot ? IORING_POLL_ADD_MULTI : 0);
        UnsafeApi.putLong(sqe + SQE_USER_DATA, userData);
    }

    /**
     * Makes the command take its buffer from provided-buffer group {@code group} ({@link ProvidedBufferRing}):
     * adds {@link IoUringLayout#IOSQE_BUFFER_SELECT} to the flags already set and names the group.
     */
    public static void selectBuffer(long sqe, int group) {
        UnsafeApi.putByte(sqe + SQE_FLAGS, (byte) (UnsafeApi.getByte(sqe + SQE_FLAGS) | IOSQE_BUFFER_SELECT));
        UnsafeApi.putShort(sqe + SQE_BUF_INDEX, (short) group);
    }

    /** Sets {@code sqe->flags} ({@code IOSQE_*}). */
    public static void setFlags(long sqe, int flags) {
        UnsafeApi.putByte(sqe + SQE_FLAGS, (byte) flags);
    }

    /** Sets {@code sqe->rw_flags} ({@code RWF_*}) of a read or write. */
    public static void setRwFlags(long sqe, int rwFlags) {
        UnsafeApi.putInt(sqe + SQE_OP_FLAGS, rwFlags);
    }

    /** An {@code IORING_OP_URING_CMD}; the command payload goes at {@code sqe + SQE_CMD}. */
    public static void prepUringCmd(long sqe, int fd, boolean fixedFile, int cmdOp, long userData) {
        UnsafeApi.putByte(sqe + SQE_OPCODE, (byte) IORING_OP_URING_CMD);
        UnsafeApi.putByte(sqe + SQE_FLAGS, (byte) (fixedFile ? IOSQE_FIXED_FILE : 0));
        UnsafeApi.putInt(sqe + SQE_FD, fd);
        UnsafeApi.putInt(sqe + SQE_CMD_OP, cmdOp);
        UnsafeApi.putLong(sqe + SQE_USER_DATA, userData);
    }
}
