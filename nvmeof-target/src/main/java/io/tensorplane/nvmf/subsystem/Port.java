package io.tensorplane.nvmf.subsystem;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/** A transport address the target listens on for I/O (an NVM subsystem port in the discovery log). */
public final class Port {
    private final int portId;
    private final InetSocketAddress address;

    public Port(int portId, InetSocketAddress address) {
        this.portId = portId;
        this.address = address;
    }

    public int portId() { return portId; }
    public InetSocketAddress address() { return address; }

    public boolean isWildcard() {
        return address.getAddress() == null || address.getAddress().isAnyLocalAddress();
    }

    public static boolean isIpv6(java.net.InetAddress a) {
        return a instanceof Inet6Address;
    }
}
