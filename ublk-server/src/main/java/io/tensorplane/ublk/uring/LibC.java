package io.tensorplane.ublk.uring;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The C library calls ublk needs, bound with JNA direct mapping: primitive arguments only, so a
 * call allocates nothing. Pointers are passed as {@code long} addresses. After a call returns -1,
 * {@link #errno()} gives the cause.
 */
public final class LibC {
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 0x80000;

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final long MAP_FAILED = -1L;

    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EBUSY = 16;
    public static final int ENOENT = 2;
    public static final int EACCES = 13;
    public static final int EPERM = 1;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ESRCH = 3;
    public static final int ENXIO = 6;

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

    public static native int sched_setaffinity(int pid, long cpusetsize, long mask);

    public static native int getpid();

    public static native int gettid();

    public static native int geteuid();

    public static native int kill(int pid, int sig);

    public static native int setsid();

    /** strerror(3) through a separate interface-mapped binding (returns a C string). */
    private static final class Strerror {
        private static final Lib LIB = Native.load(Platform.C_LIBRARY_NAME, Lib.class);

        interface Lib extends com.sun.jna.Library {
            String strerror(int errnum);
        }
    }
}
