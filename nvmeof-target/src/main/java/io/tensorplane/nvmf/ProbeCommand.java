package io.tensorplane.nvmf;

import io.tensorplane.nvmf.tool.NvmeTcpClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code nvmf probe}: a minimal NVMe/TCP host that connects an admin queue, enables the controller
 * and then goes silent (no Keep Alive), reporting whether and when the target dropped it. Used to
 * test keep-alive enforcement.
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

    @Override
    public Integer call() throws Exception {
        try (NvmeTcpClient c = new NvmeTcpClient(NvmfTarget.parseAddress(connect, 4420), waitMs)) {
            c.initialize(false, false);
            int cntlid = c.connectAdminAndEnable(subsystem, hostNqn, katoMs);
            long t0 = System.nanoTime();
            System.out.println("probe: controller " + cntlid + " connected with KATO " + katoMs + " ms; now silent");
            boolean closed = c.closedByPeer();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (closed && ms < waitMs) {
                System.out.println("probe: target closed the silent connection after " + ms + " ms");
                return 0;
            }
            System.out.println("probe: connection still open after " + ms + " ms");
            return 1;
        }
    }
}
