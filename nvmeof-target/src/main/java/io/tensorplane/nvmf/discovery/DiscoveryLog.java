package io.tensorplane.nvmf.discovery;

import io.tensorplane.nvmf.subsystem.Port;
import io.tensorplane.nvmf.subsystem.Registry;
import io.tensorplane.nvmf.subsystem.Subsystem;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.agrona.MutableDirectBuffer;

/**
 * Builds the discovery log page a host sees: one entry per NVM subsystem it may access and per
 * I/O port. A wildcard listen address is replaced by the address the host reached us on, so a
 * host never gets {@code 0.0.0.0} as traddr.
 */
public final class DiscoveryLog {
    private DiscoveryLog() {
    }

    /** Writes the whole page into {@code out} from index 0 (a buffer that grows as needed) and returns its length. */
    public static int write(Registry reg, String hostNqn, SocketAddress local, MutableDirectBuffer out) {
        List<Subsystem> subs = reg.subsystems();
        List<Port> ports = reg.ports();
        long numrec = 0;
        out.setMemory(0, DiscoveryLogPage.HEADER_SIZE, (byte) 0);
        int end = DiscoveryLogPage.HEADER_SIZE;
        for (Subsystem s : subs) {
            if (!s.allows(hostNqn)) {
                continue;
            }
            for (Port p : ports) {
                writeEntry(out, end, s, p, local);
                end += DiscoveryLogPage.ENTRY_SIZE;
                numrec++;
            }
        }
        out.putLong(DiscoveryLogPage.GENCTR, reg.generation(), LE);
        out.putLong(DiscoveryLogPage.NUMREC, numrec, LE);
        out.putShort(DiscoveryLogPage.RECFMT, (short) 0, LE);
        return end;
    }

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static void writeEntry(MutableDirectBuffer out, int e, Subsystem s, Port p, SocketAddress local) {
        out.setMemory(e, DiscoveryLogPage.ENTRY_SIZE, (byte) 0);
        InetAddress addr = p.address().getAddress();
        if (p.isWildcard() && local instanceof InetSocketAddress) {
            addr = ((InetSocketAddress) local).getAddress();
        }
        boolean v6 = Port.isIpv6(addr);
        out.putByte(e + DiscoveryLogPage.E_TRTYPE, (byte) (DiscoveryLogPage.TRTYPE_TCP));
        out.putByte(e + DiscoveryLogPage.E_ADRFAM, (byte) (v6 ? DiscoveryLogPage.ADRFAM_IP6 : DiscoveryLogPage.ADRFAM_IP4));
        out.putByte(e + DiscoveryLogPage.E_SUBTYPE, (byte) (DiscoveryLogPage.SUBTYPE_NVME));
        out.putByte(e + DiscoveryLogPage.E_TREQ, (byte) (DiscoveryLogPage.TREQ));
        out.putShort(e + DiscoveryLogPage.E_PORTID, (short) (p.portId()), LE);
        out.putShort(e + DiscoveryLogPage.E_CNTLID, (short) (0xffff), LE);
        out.putShort(e + DiscoveryLogPage.E_ASQSZ, (short) (32), LE);
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
    static void putString(MutableDirectBuffer out, int at, String s, int size, boolean spacePad) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        int n = Math.min(b.length, spacePad ? size : size - 1);
        out.putBytes(at, b, 0, n);
        for (int i = n; spacePad && i < size; i++) {
            out.putByte(at + i, (byte) ' ');
        }
    }
}
