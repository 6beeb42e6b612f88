package io.tensorplane.nvmf.discovery;

import io.netty.buffer.ByteBuf;
import io.tensorplane.nvmf.subsystem.Port;
import io.tensorplane.nvmf.subsystem.Registry;
import io.tensorplane.nvmf.subsystem.Subsystem;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds the discovery log page a host sees: one entry per NVM subsystem it may access and per
 * I/O port. A wildcard listen address is replaced by the address the host reached us on, so a
 * host never gets {@code 0.0.0.0} as traddr.
 */
public final class DiscoveryLog {
    private DiscoveryLog() {
    }

    /** Writes the whole page into {@code out} (at its writer index) and returns its length. */
    public static int write(Registry reg, String hostNqn, SocketAddress local, ByteBuf out) {
        List<Subsystem> subs = reg.subsystems();
        List<Port> ports = reg.ports();
        int start = out.writerIndex();
        long numrec = 0;
        out.writeZero(DiscoveryLogPage.HEADER_SIZE);
        for (Subsystem s : subs) {
            if (!s.allows(hostNqn)) {
                continue;
            }
            for (Port p : ports) {
                writeEntry(out, s, p, local);
                numrec++;
            }
        }
        out.setLongLE(start + DiscoveryLogPage.GENCTR, reg.generation());
        out.setLongLE(start + DiscoveryLogPage.NUMREC, numrec);
        out.setShortLE(start + DiscoveryLogPage.RECFMT, 0);
        return out.writerIndex() - start;
    }

    private static void writeEntry(ByteBuf out, Subsystem s, Port p, SocketAddress local) {
        int e = out.writerIndex();
        out.writeZero(DiscoveryLogPage.ENTRY_SIZE);
        InetAddress addr = p.address().getAddress();
        if (p.isWildcard() && local instanceof InetSocketAddress) {
            addr = ((InetSocketAddress) local).getAddress();
        }
        boolean v6 = Port.isIpv6(addr);
        out.setByte(e + DiscoveryLogPage.E_TRTYPE, DiscoveryLogPage.TRTYPE_TCP);
        out.setByte(e + DiscoveryLogPage.E_ADRFAM, v6 ? DiscoveryLogPage.ADRFAM_IP6 : DiscoveryLogPage.ADRFAM_IP4);
        out.setByte(e + DiscoveryLogPage.E_SUBTYPE, DiscoveryLogPage.SUBTYPE_NVME);
        out.setByte(e + DiscoveryLogPage.E_TREQ, DiscoveryLogPage.TREQ);
        out.setShortLE(e + DiscoveryLogPage.E_PORTID, p.portId());
        out.setShortLE(e + DiscoveryLogPage.E_CNTLID, 0xffff);
        out.setShortLE(e + DiscoveryLogPage.E_ASQSZ, 32);
        putString(out, e + DiscoveryLogPage.E_TRSVCID, Integer.toString(p.address().getPort()), DiscoveryLogPage.TRSVCID_SIZE, true);
        putString(out, e + DiscoveryLogPage.E_SUBNQN, s.nqn(), DiscoveryLogPage.NQN_SIZE, false);
        String traddr = addr.getHostAddress();
        int pct = traddr.indexOf('%');
        if (pct >= 0) {
            traddr = traddr.substring(0, pct);
        }
        putString(out, e + DiscoveryLogPage.E_TRADDR, traddr, DiscoveryLogPage.TRADDR_SIZE, true);
    }

    /** Writes an ASCII string, NUL padded (NQNs) or space padded (addresses, as nvmet does), truncated to {@code size}. */
    static void putString(ByteBuf out, int at, String s, int size, boolean spacePad) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        int n = Math.min(b.length, spacePad ? size : size - 1);
        out.setBytes(at, b, 0, n);
        for (int i = n; spacePad && i < size; i++) {
            out.setByte(at + i, ' ');
        }
    }
}
