package io.tensorplane.engine;

/**
 * Linux errno values used on the I/O path. An I/O result below zero is one of these, negated,
 * so that front doors can hand it straight to the kernel (ublk) or map it to an NVMe status.
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EIO = 5;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EBUSY = 16;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int EOPNOTSUPP = 95;
    public static final int ECANCELED = 125;

    private Errno() {
    }

    /** A short name for a (positive or negative) errno, for messages and metrics tags. */
    public static String name(int errno) {
        switch (Math.abs(errno)) {
            case EPERM: return "EPERM";
            case ENOENT: return "ENOENT";
            case EIO: return "EIO";
            case EAGAIN: return "EAGAIN";
            case ENOMEM: return "ENOMEM";
            case EBUSY: return "EBUSY";
            case ENODEV: return "ENODEV";
            case EINVAL: return "EINVAL";
            case ENOSPC: return "ENOSPC";
            case EROFS: return "EROFS";
            case EOPNOTSUPP: return "EOPNOTSUPP";
            case ECANCELED: return "ECANCELED";
            default: return "errno " + Math.abs(errno);
        }
    }
}
