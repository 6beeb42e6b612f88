package io.tensorplane.uring;

/**
 * How a shared ring tells whose a completion is: the top byte of an SQE's 64-bit user data is a route
 * (0 for the ring's owner, 1..255 for the backends it lends the ring to, see {@link SharedRing}), the
 * rest is the route's own value (a tag, a slot).
 */
public final class UserData {
    public static final int ROUTE_SHIFT = 56;
    public static final int MAX_ROUTE = 255;
    public static final long VALUE_MASK = (1L << ROUTE_SHIFT) - 1;

    private UserData() {
    }

    public static long pack(int route, long value) {
        return ((long) route << ROUTE_SHIFT) | (value & VALUE_MASK);
    }

    public static int route(long userData) {
        return (int) (userData >>> ROUTE_SHIFT);
    }

    public static long value(long userData) {
        return userData & VALUE_MASK;
    }
}
