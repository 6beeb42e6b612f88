package io.tensorplane.uring;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The C library calls that io_uring and its users need, bound with JNA direct mapping: primitive
 * arguments only, so a call allocates nothing. Pointers are passed as {@code long} addresses. After a
 * call returns -1, {@link #errno()} gives the cause (an {@link io.tensorplane.engine.Errno} value).
 */
public final class LibC {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 0x80000;
    /** O_DIRECT differs between the generic table (aarch64) and x86_64. */
    public static final int O_DIRECT = Platform.isARM() ? 0x10000 : 0x4000;

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final long MAP_FAILED = -1L;

    // fallocate(2) modes
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    // block device ioctls (include/uapi/linux/fs.h)
    public static final long BLKROGET = 0x125e;
    public static final long BLKSSZGET = 0x1268;
    public static final long BLKDISCARD = 0x1277;
    public static final long BLKIOOPT = 0x1279;
    public static final long BLKPBSZGET = 0x127b;
    public static final long BLKZEROOUT = 0x127f;
    public static final long BLKGETSIZE64 = 0x80081272L;
    /** The io_uring command of block devices that discards (include/uapi/linux/blkdev.h, Linux 6.12+). */
    public static final int BLOCK_URING_CMD_DISCARD = 0x1200;

    // statx(2): struct statx (256 bytes) and the fields read here
    public static final int AT_FDCWD = -100;
    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int STATX_BASIC_STATS = 0x7ff;
    public static final int STATX_DIOALIGN = 0x2000;
    public static final int STATX_SIZE = 256;
    public static final int STATX_MASK = 0;            // __u32
    public static final int STATX_BLKSIZE = 4;         // __u32
    public static final int STATX_MODE = 28;           // __u16
    public static final int STATX_SIZE_BYTES = 40;     // __u64 stx_size
    public static final int STATX_BLOCKS = 48;         // __u64 stx_blocks (512-byte units)
    public static final int STATX_RDEV_MAJOR = 128;    // __u32
    public static final int STATX_RDEV_MINOR = 132;    // __u32
    public static final int STATX_DIO_MEM_ALIGN = 152; // __u32
    public static final int STATX_DIO_OFFSET_ALIGN = 156; // __u32
    public static final int S_IFMT = 0170000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFREG = 0100000;

    /** io_uring system call numbers: the same on x86_64 and on the generic table (aarch64). */
    public static final long SYS_IO_URING_SETUP = 425;
    public static final long SYS_IO_URING_ENTER = 426;
    public static final long SYS_IO_URING_REGISTER = 427;

    static {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {
    }

    /** {@code io_uring_setup(entries, params)} through syscall(2). */
    public static long ioUringSetup(int entries, long params) {
        return syscall(SYS_IO_URING_SETUP, entries, params);
    }

    /** {@code io_uring_enter(fd, toSubmit, minComplete, flags, NULL, 0)} through syscall(2). */
    public static long ioUringEnter(int fd, int toSubmit, int minComplete, int flags) {
        return syscall(SYS_IO_URING_ENTER, fd, toSubmit, minComplete, flags, 0L, 0L);
    }

    /** {@code io_uring_register(fd, opcode, arg, nrArgs)} through syscall(2). */
    public static long ioUringRegister(int fd, int opcode, long arg, int nrArgs) {
        return syscall(SYS_IO_URING_REGISTER, fd, opcode, arg, nrArgs);
    }

    /** errno of the last failed call on this thread. */
    public static int errno() {
        return Native.getLastError();
    }

    /** {@code strerror(errno)} for messages. */
    public static String strerror(int errno) {
        String s = Strerror.LIB.strerror(errno);
        return s == null ? "errno " + errno : s;
    }

    // syscall(2) is variadic; on the Linux x86_64 and aarch64 ABIs integer arguments of a variadic
    // call travel in the same registers as fixed ones, so fixed-arity bindings are correct.
    private static native long syscall(long number, int a, long b);

    private static native long syscall(long number, int a, int b, int c, int d, long e, long f);

    private static native long syscall(long number, int a, int b, long c, int d);

    public static native int open(String path, int flags, int mode);

    public static native int close(int fd);

    public static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    public static native int munmap(long addr, long length);

    public static native long pread(int fd, long buf, long count, long offset);

    public static native long pwrite(int fd, long buf, long count, long offset);

    public static native int fdatasync(int fd);

    public static native int fallocate(int fd, int mode, long offset, long len);

    public static native int ftruncate(int fd, long length);

    /** {@code ioctl(fd, request, arg)} with a pointer or integer argument. */
    public static native int ioctl(int fd, long request, long arg);

    /** {@code statx(dirfd, path, flags, mask, buf)}; {@code buf} holds {@link #STATX_SIZE} bytes. */
    public static native int statx(int dirfd, String path, int flags, int mask, long buf);

    public static native int sched_setaffinity(int pid, long cpusetsize, long mask);

    /** {@code sched_setscheduler(pid, policy, param)}; pid 0 is the calling thread. */
    public static native int sched_setscheduler(int pid, int policy, long param);

    public static native int getpid();

    public static native int gettid();

    public static native int geteuid();

    public static native int kill(int pid, int sig);

    public static native int setsid();

    // Unix sockets with descriptor passing (SCM_RIGHTS), which the JDK's channels cannot do; memfds.
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    public static final int SHUT_RDWR = 2;
    public static final int MFD_CLOEXEC = 1;
    public static final int MFD_ALLOW_SEALING = 2;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int F_SEAL_SHRINK = 0x0002;
    public static final int SEEK_END = 2;

    public static native int socket(int domain, int type, int protocol);

    /** {@code bind(fd, addr, len)}; {@code addr} points to a {@code struct sockaddr_un}. */
    public static native int bind(int fd, long addr, int len);

    public static native int listen(int fd, int backlog);

    public static native int accept4(int fd, long addr, long addrLen, int flags);

    public static native int connect(int fd, long addr, int len);

    /** {@code sendmsg(fd, msghdr, flags)}; {@code msg} points to a {@code struct msghdr}. */
    public static native long sendmsg(int fd, long msg, int flags);

    public static native long recvmsg(int fd, long msg, int flags);

    public static native long read(int fd, long buf, long count);

    public static native int shutdown(int fd, int how);

    public static native int memfd_create(String name, int flags);

    public static native int fcntl(int fd, int cmd, int arg);

    public static native long lseek(int fd, long offset, int whence);

    /** strerror(3) through a separate interface-mapped binding (returns a C string). */
    private static final class Strerror {
        private static final Lib LIB = Native.load(Platform.C_LIBRARY_NAME, Lib.class);

        interface Lib extends com.sun.jna.Library {
            String strerror(int errnum);
        }
    }
}
