package io.tensorplane.nvmf;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a test: a QD1 load for counting the event loop's system calls per command by hand (docs/nvmf.md). Starts the
 * target with one event loop on the given transport, warms up, writes "ready" to the given file, waits for "go",
 * runs N 4 KiB reads at QD1 with the blocking test host, writes "done".
 *
 * <pre>java -cp ... io.tensorplane.nvmf.SyscallProbe io_uring 20000 /tmp/probe</pre>
 */
public final class SyscallProbe {
    private SyscallProbe() {
    }

    public static void main(String[] args) throws Exception {
        String transport = args[0];
        int n = Integer.parseInt(args[1]);
        Path ctl = Path.of(args[2]);
        TargetConfig cfg = new TargetConfig();
        cfg.listen.add("127.0.0.1:0");
        cfg.threads = 1;
        cfg.cpus = "none";
        cfg.transport = transport;
        TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
        s.nqn = TargetTest.NQN;
        s.namespaces.add(new TargetConfig.NamespaceConfig("null:1G"));
        cfg.subsystems.add(s);
        try (NvmfTarget t = NvmfTarget.start(cfg);
             NvmeTcpClient a = new NvmeTcpClient(t.ioAddresses().get(0), 5000);
             NvmeTcpClient io = new NvmeTcpClient(t.ioAddresses().get(0), 5000)) {
            a.initialize(false, false);
            int cntlid = a.connectAdminAndEnable(TargetTest.NQN, TargetTest.HOST, 0);
            io.initialize(false, false);
            io.connect(1, 127, cntlid, TargetTest.NQN, TargetTest.HOST, 0, 0);
            for (int i = 0; i < 20000; i++) {
                io.read(1, (i % 1000) * 8L, 8, 512);
            }
            Files.writeString(ctl, "ready " + t.transportName() + "\n");
            while (!Files.readString(ctl).startsWith("go")) {
                Thread.sleep(50);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                io.read(1, (i % 1000) * 8L, 8, 512);
            }
            long us = (System.nanoTime() - t0) / 1000;
            Files.writeString(ctl, "done " + n + " reads, " + (us / (double) n) + " us each\n");
        }
    }
}
