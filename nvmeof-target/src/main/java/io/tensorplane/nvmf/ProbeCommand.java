package io.tensorplane.nvmf;

import io.tensorplane.nvmf.fabrics.ConnectData;
import io.tensorplane.nvmf.fabrics.FabricsCommands;
import io.tensorplane.nvmf.fabrics.PropertyCommand;
import io.tensorplane.nvmf.pdu.CapsuleCmdPdu;
import io.tensorplane.nvmf.pdu.CapsuleRespPdu;
import io.tensorplane.nvmf.pdu.Crc32c;
import io.tensorplane.nvmf.pdu.IcReqPdu;
import io.tensorplane.nvmf.pdu.Pdu;
import io.tensorplane.nvmf.pdu.Sqe;
import org.agrona.concurrent.UnsafeBuffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code nvmf probe}: a minimal NVMe/TCP host that connects an admin queue, enables the controller
 * and then goes silent (no Keep Alive), reporting whether and when the target dropped it. Used to
 * test keep-alive enforcement; it speaks through the same PDU codec as the target.
 */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = "Connect an admin queue with a keep-alive timeout, go silent, report when the target releases it.")
public final class ProbeCommand implements Callable<Integer> {
    @Option(names = "--connect", required = true, paramLabel = "ADDR:PORT")
    String connect;

    @Option(names = "--subsystem", required = true, paramLabel = "NQN")
    String subsystem;

    @Option(names = "--hostnqn", paramLabel = "NQN", defaultValue = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-00000000beef")
    String hostNqn;

    @Option(names = "--kato", paramLabel = "MS", defaultValue = "1000", description = "keep-alive timeout asked for in the Connect")
    int katoMs;

    @Option(names = "--wait", paramLabel = "MS", defaultValue = "10000", description = "how long to stay silent at most")
    int waitMs;

    private final UnsafeBuffer pdu = new UnsafeBuffer(new byte[CapsuleCmdPdu.HLEN + ConnectData.SIZE]);
    private final UnsafeBuffer in = new UnsafeBuffer(new byte[256]);
    private final CapsuleCmdPdu.Encoder capsule = new CapsuleCmdPdu.Encoder();
    private final CapsuleRespPdu.Decoder resp = new CapsuleRespPdu.Decoder();
    private final Crc32c crc = new Crc32c();

    @Override
    public Integer call() throws Exception {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(NvmfTarget.parseAddress(connect, 4420), waitMs);
            s.setSoTimeout(waitMs);
            DataInputStream is = new DataInputStream(s.getInputStream());
            OutputStream os = s.getOutputStream();
            new IcReqPdu.Encoder().wrap(pdu, 0).pfv(Pdu.PFV_1_0);
            os.write(pdu.byteArray(), 0, IcReqPdu.SIZE);
            readPdu(is, Pdu.ICRESP);

            byte[] data = new byte[ConnectData.SIZE];
            UnsafeBuffer d = new UnsafeBuffer(data);
            d.putShort(ConnectData.CNTLID, (short) ConnectData.CNTLID_DYNAMIC, java.nio.ByteOrder.LITTLE_ENDIAN);
            d.putBytes(ConnectData.SUBSYSNQN, subsystem.getBytes(StandardCharsets.UTF_8));
            d.putBytes(ConnectData.HOSTNQN, hostNqn.getBytes(StandardCharsets.UTF_8));
            capsule.wrap(pdu, 0, false, false, data.length).sqe().opcode(FabricsCommands.OPCODE).fctype(FabricsCommands.CONNECT)
                    .cid(1).cdw(11, 31).cdw(12, katoMs).sgl(0, data.length, Sqe.SGL_INCAPSULE);
            int n = capsule.finish(crc);
            pdu.putBytes(capsule.dataOffset(), data);
            os.write(pdu.byteArray(), 0, n);
            readPdu(is, Pdu.RSP);
            if (resp.wrap(in, 0).status() != 0) {
                System.out.println("probe: connect refused with status 0x" + Integer.toHexString(resp.status()));
                return 1;
            }
            int cntlid = (int) (resp.result() & 0xffff);
            capsule.wrap(pdu, 0, false, false, 0).sqe().opcode(FabricsCommands.OPCODE).fctype(FabricsCommands.PROPERTY_SET)
                    .cid(2).cdw(11, PropertyCommand.CC).cdw(12, (6 << 16) | (4 << 20) | 1);
            os.write(pdu.byteArray(), 0, capsule.finish(crc));
            readPdu(is, Pdu.RSP);
            long t0 = System.nanoTime();
            System.out.println("probe: controller " + cntlid + " connected with KATO " + katoMs + " ms; now silent");
            boolean closed = closedByPeer(is);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (closed && ms < waitMs) {
                System.out.println("probe: target closed the silent connection after " + ms + " ms");
                return 0;
            }
            System.out.println("probe: connection still open after " + ms + " ms");
            return 1;
        }
    }

    private void readPdu(DataInputStream is, int type) throws IOException {
        byte[] b = in.byteArray();
        is.readFully(b, 0, Pdu.COMMON_HEADER_SIZE);
        long plen = Pdu.plen(in, 0);
        if (Pdu.type(in, 0) != type || plen > b.length || plen < Pdu.COMMON_HEADER_SIZE) {
            throw new IOException("expected " + Pdu.typeName(type) + ", got " + Pdu.typeName(Pdu.type(in, 0)) + " of " + plen + " bytes");
        }
        is.readFully(b, Pdu.COMMON_HEADER_SIZE, (int) plen - Pdu.COMMON_HEADER_SIZE);
    }

    private static boolean closedByPeer(DataInputStream is) {
        try {
            while (is.read() >= 0) {
                // drain whatever is left
            }
            return true;
        } catch (EOFException e) {
            return true;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }
}
