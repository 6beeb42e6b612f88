package io.tensorplane.nvmf;

import io.tensorplane.nvmf.NvmeTcpClient.Completion;
import io.tensorplane.nvmf.core.Status;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default limits, as the kernel's nvmet has them: no MDTS, so the largest command NVMe can express (65536 blocks)
 * is served, in pieces of the default piece size (512 KiB) through R2T and C2HData, never held whole.
 */
class LargeTransferTest {
    static final String NQN = "nqn.2026-01.io.tensorplane:large";
    static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:99999999-2222-3333-4444-555555555555";
    static final int PIECE = 512 * 1024;
    static NvmfTarget target;
    static InetSocketAddress addr;

    @BeforeAll
    static void start() throws Exception {
        LeakCheck.install();
        TargetConfig cfg = new TargetConfig();
        cfg.listen.add("127.0.0.1:0");
        cfg.threads = 1;
        TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
        s.nqn = NQN;
        s.namespaces.add(new TargetConfig.NamespaceConfig("mem:64M"));
        cfg.subsystems.add(s);
        target = NvmfTarget.start(cfg);
        addr = target.ioAddresses().get(0);
    }

    @AfterAll
    static void stop() throws Exception {
        target.close();
        LeakCheck.assertNoLeaks();
    }

    private long r2ts() {
        return target.loops().sum(st -> st.r2ts);
    }

    @Test
    void noMdtsAndLongTransfersInPieces() throws Exception {
        for (int mode = 0; mode < 2; mode++) {
            boolean digests = mode == 1;
            try (NvmeTcpClient a = new NvmeTcpClient(addr, 20_000)) {
                a.initialize(digests, digests);
                assertEquals(PIECE, a.maxH2cData(), "MAXH2CDATA is the piece size");
                int cntlid = a.connectAdminAndEnable(NQN, HOST, 10_000);
                Completion id = a.command(0x06, 0, new int[] {1}, 4096);
                assertTrue(id.ok(), id.toString());
                assertEquals(0, ByteBuffer.wrap(id.data).order(ByteOrder.LITTLE_ENDIAN).get(77), "MDTS 0: no limit");
                try (NvmeTcpClient io = new NvmeTcpClient(addr, 20_000)) {
                    io.initialize(digests, digests);
                    assertTrue(io.connect(1, 31, cntlid, NQN, HOST, 0, 0).ok());
                    Random rnd = new Random(mode);
                    // 1025 sectors (the nvme-cli passthrough write nvmet serves and the old 512 KiB MDTS refused),
                    // then the largest command there is: 65536 sectors, 32 MiB.
                    for (int blocks : new int[] {1025, 65536}) {
                        byte[] data = new byte[blocks * 512];
                        rnd.nextBytes(data);
                        long slba = mode * 2048L;
                        long before = r2ts();
                        Completion w = io.write(1, slba, data, 512);
                        assertTrue(w.ok(), "write of " + blocks + " blocks: " + w);
                        int pieces = (data.length + PIECE - 1) / PIECE;
                        assertEquals(pieces, r2ts() - before, "one R2T per piece of " + blocks + " blocks");
                        Completion r = io.read(1, slba, blocks, 512);
                        assertTrue(r.ok(), "read of " + blocks + " blocks: " + r);
                        assertArrayEquals(data, r.data, blocks + " blocks, digests " + digests);
                    }
                    // Past the namespace's end is still an LBA range error, not a transfer limit.
                    assertEquals(Status.LBA_RANGE, io.read(1, (64L << 20) / 512 - 8, 65536, 512).sc());
                }
            }
        }
    }
}
