package io.tensorplane.nvmf;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random and mutated PDU streams for a bounded time (default 6 s; -Dnvmf.fuzz.seconds=N): the target
 * must never throw internally, never leak a buffer, and keep serving a healthy host throughout.
 */
class FuzzTest {
    static NvmfTarget target;
    static InetSocketAddress addr;
    static final List<String> INTERNAL_ERRORS = new ArrayList<>();
    static final Handler WATCH = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getThrown() != null || r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                synchronized (INTERNAL_ERRORS) {
                    INTERNAL_ERRORS.add(r.getMessage() + " " + r.getThrown());
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void start() throws Exception {
        LeakCheck.install();
        Logger nvmf = Logger.getLogger("io.tensorplane.nvmf");
        nvmf.addHandler(WATCH);
        nvmf.setLevel(Level.SEVERE); // the expected per-connection warnings would flood the output
        TargetConfig cfg = new TargetConfig();
        cfg.listen.add("127.0.0.1:0");
        cfg.threads = 2;
        TargetConfig.SubsystemConfig s = new TargetConfig.SubsystemConfig();
        s.nqn = TargetTest.NQN;
        s.namespaces.add(new TargetConfig.NamespaceConfig("mem:8M"));
        cfg.subsystems.add(s);
        target = NvmfTarget.start(cfg);
        addr = target.ioAddresses().get(0);
    }

    @AfterAll
    static void stop() throws Exception {
        target.close();
        Logger nvmf = Logger.getLogger("io.tensorplane.nvmf");
        nvmf.removeHandler(WATCH);
        nvmf.setLevel(null);
        LeakCheck.assertNoLeaks();
    }

    /** Valid PDUs of a session, as a seed corpus: admin connect, enable, identify, I/O connect, writes, reads. */
    private static List<byte[]> corpus(NvmeTcpClient c, boolean hd, boolean dd) {
        List<byte[]> out = new ArrayList<>();
        ByteBuffer ic = NvmeTcpClient.le(128);
        NvmeTcpClient.header(ic, 0, 0, 128, 0, 128);
        ic.put(11, (byte) ((hd ? 1 : 0) | (dd ? 2 : 0)));
        out.add(ic.array());
        ByteBuffer con = c.sqe(0x7f, 0);
        con.put(4, (byte) 1);
        con.putShort(44, (short) 31);
        con.putInt(24 + 8, 1024);
        con.put(24 + 15, (byte) 1);
        byte[] data = new byte[1024];
        byte[] nqn = TargetTest.NQN.getBytes();
        System.arraycopy(nqn, 0, data, 256, nqn.length);
        data[16] = (byte) 0xff;
        data[17] = (byte) 0xff;
        out.add(c.capsule(con.array(), data));
        ByteBuffer en = c.sqe(0x7f, 0);
        en.put(4, (byte) 0);
        en.putInt(44, 0x14);
        en.putInt(48, (6 << 16) | (4 << 20) | 1);
        out.add(c.capsule(en.array(), null));
        for (int cns : new int[] {0, 1, 2, 3}) {
            ByteBuffer id = c.sqe(0x06, 1);
            id.putInt(40, cns);
            id.putInt(24 + 8, 4096);
            id.put(24 + 15, (byte) 0x5a);
            out.add(c.capsule(id.array(), null));
        }
        ByteBuffer w = c.sqe(0x01, 1);
        w.putInt(48, 7);
        w.putInt(24 + 8, 4096);
        w.put(24 + 15, (byte) 1);
        out.add(c.capsule(w.array(), new byte[4096]));
        ByteBuffer big = c.sqe(0x01, 1);
        big.putInt(48, 63);
        big.putInt(24 + 8, 32768);
        big.put(24 + 15, (byte) 0x5a);
        out.add(c.capsule(big.array(), null));
        ByteBuffer h2c = NvmeTcpClient.le(24 + 512);
        NvmeTcpClient.header(h2c, 6, 4, 24, 24, 24 + 512);
        h2c.putInt(16, 512);
        out.add(h2c.array());
        ByteBuffer r = c.sqe(0x02, 1);
        r.putInt(48, 7);
        r.putInt(24 + 8, 4096);
        r.put(24 + 15, (byte) 0x5a);
        out.add(c.capsule(r.array(), null));
        return out;
    }

    private static byte[] mutate(byte[] p, Random rnd) {
        byte[] m = p.clone();
        switch (rnd.nextInt(6)) {
            case 0: // flip bytes
                for (int i = rnd.nextInt(4) + 1; i > 0; i--) {
                    m[rnd.nextInt(m.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                return m;
            case 1: // hit the header fields
                m[rnd.nextInt(Math.min(8, m.length))] = (byte) rnd.nextInt(256);
                return m;
            case 2: // truncate
                return Arrays.copyOf(m, rnd.nextInt(m.length + 1));
            case 3: // extend with garbage
                byte[] x = Arrays.copyOf(m, m.length + rnd.nextInt(300));
                for (int i = m.length; i < x.length; i++) {
                    x[i] = (byte) rnd.nextInt(256);
                }
                return x;
            case 4: { // plausible header, random body
                byte[] y = new byte[8 + rnd.nextInt(200)];
                rnd.nextBytes(y);
                y[0] = (byte) rnd.nextInt(10);
                y[2] = (byte) (new int[] {24, 72, 128}[rnd.nextInt(3)]);
                ByteBuffer.wrap(y).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, y.length + rnd.nextInt(3) - 1);
                return y;
            }
            default:
                return m; // unchanged: keeps sessions going deep enough
        }
    }

    private static void drain(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[65536];
        try {
            while (in.read(buf) >= 0) {
                // discard
            }
        } catch (SocketTimeoutException e) {
            // nothing more for now
        } catch (IOException e) {
            // reset by the target: fine
        }
    }

    @Test
    void randomAndMutatedPdusNeverHurtTheTarget() throws Exception {
        long seconds = Long.getLong("nvmf.fuzz.seconds", 6);
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long seed = Long.getLong("nvmf.fuzz.seed", System.nanoTime());
        Random rnd = new Random(seed);
        int sessions = 0;
        NvmeTcpClient helper = new NvmeTcpClient(addr, 1000);
        while (System.nanoTime() < deadline) {
            boolean hd = rnd.nextBoolean();
            boolean dd = rnd.nextBoolean();
            List<byte[]> seeds = corpus(helper, hd, dd);
            try (Socket s = new Socket()) {
                s.connect(addr, 1000);
                s.setSoTimeout(20);
                ByteArrayOutputStream stream = new ByteArrayOutputStream();
                int n = 1 + rnd.nextInt(seeds.size() + 4);
                for (int i = 0; i < n; i++) {
                    byte[] p = rnd.nextInt(10) == 0 ? randomBytes(rnd) : mutate(seeds.get(Math.min(i, seeds.size() - 1)), rnd);
                    stream.write(p);
                }
                try {
                    s.getOutputStream().write(stream.toByteArray());
                } catch (IOException e) {
                    // the target may already have closed it
                }
                drain(s);
            }
            sessions++;
            if (sessions % 50 == 0) {
                healthy();
            }
        }
        helper.close();
        healthy();
        synchronized (INTERNAL_ERRORS) {
            assertEquals(List.of(), INTERNAL_ERRORS, "internal errors (seed " + seed + ")");
        }
        assertTrue(sessions > 20, "only " + sessions + " sessions");
    }

    private static byte[] randomBytes(Random rnd) {
        byte[] b = new byte[rnd.nextInt(400)];
        rnd.nextBytes(b);
        return b;
    }

    private static void healthy() throws IOException {
        try (NvmeTcpClient a = new NvmeTcpClient(addr, 5000)) {
            a.initialize(true, true);
            int cntlid = a.connectAdminAndEnable(TargetTest.NQN, TargetTest.HOST, 30_000);
            try (NvmeTcpClient io = new NvmeTcpClient(addr, 5000)) {
                io.initialize(false, true);
                assertTrue(io.connect(1, 31, cntlid, TargetTest.NQN, TargetTest.HOST, 0, 0).ok());
                byte[] d = new byte[16384];
                new Random(cntlid).nextBytes(d);
                assertTrue(io.write(1, 256, d, 512).ok());
                assertArrayEquals(d, io.read(1, 256, 32, 512).data);
            }
        }
    }
}
