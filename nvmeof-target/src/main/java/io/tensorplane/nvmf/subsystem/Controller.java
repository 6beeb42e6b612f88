package io.tensorplane.nvmf.subsystem;

import io.tensorplane.nvmf.core.QueuePair;
import io.tensorplane.nvmf.core.Request;
import io.tensorplane.nvmf.core.Timer;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.logging.Logger;

/**
 * A dynamic controller: created by an admin-queue Connect, owner of the controller registers
 * (CC/CSTS), features, the keep-alive timer, the pending Asynchronous Event Requests and its I/O
 * queues. Register and feature state is written on the admin queue's thread; I/O queues on
 * other threads read it through volatile fields.
 */
public final class Controller {
    private static final Logger LOG = Logger.getLogger(Controller.class.getName());

    public static final int CC_EN = 1;
    public static final int CSTS_RDY = 1;
    public static final int CSTS_CFS = 1 << 1;
    public static final int CSTS_SHST_CMPLT = 2 << 2;
    /** Asynchronous Event Request Limit (0's based) in Identify Controller. */
    public static final int AERL = 3;

    private final Registry registry;
    private final Subsystem subsystem;
    private final int cntlid;
    private final String hostNqn;
    private final byte[] hostId;
    private final QueuePair admin;
    private final AtomicReferenceArray<QueuePair> ioQueues;
    private final ArrayDeque<Request> aers = new ArrayDeque<>();

    private volatile int cc;
    private volatile int csts;
    private volatile int katoMs;
    private volatile int ioQueuesAllowed;
    private volatile boolean volatileWriteCache;
    private int asyncEventConfig;
    private volatile long lastKeepAlive = System.nanoTime();
    private Timer keepAliveTask;
    private volatile boolean dead;

    Controller(Registry registry, Subsystem subsystem, int cntlid, String hostNqn, byte[] hostId, QueuePair admin, int katoMs) {
        this.registry = registry;
        this.subsystem = subsystem;
        this.cntlid = cntlid;
        this.hostNqn = hostNqn;
        this.hostId = hostId.clone();
        this.admin = admin;
        this.katoMs = katoMs;
        int maxq = registry.options().maxIoQueues;
        this.ioQueues = new AtomicReferenceArray<>(maxq + 1);
        this.ioQueuesAllowed = maxq;
        boolean vwc = false;
        for (Namespace n : subsystem.namespaces()) {
            vwc |= n.device().capabilities().volatileWriteCache();
        }
        this.volatileWriteCache = vwc;
    }

    /** Creates a controller for an admin-queue Connect; null if no controller id is free. */
    public static Controller create(Registry registry, Subsystem subsystem, String hostNqn, byte[] hostId, QueuePair admin, int katoMs) {
        int id = subsystem.allocateCntlid();
        if (id < 0) {
            return null;
        }
        int kato = katoMs;
        if (kato == 0 && subsystem.isDiscovery()) {
            kato = registry.options().discoveryKatoMs;
        }
        Controller c = new Controller(registry, subsystem, id, hostNqn, hostId, admin, kato);
        subsystem.add(c);
        registry.controllersCreated.incrementAndGet();
        return c;
    }

    public Registry registry() { return registry; }
    public Subsystem subsystem() { return subsystem; }
    public int cntlid() { return cntlid; }
    public String hostNqn() { return hostNqn; }
    public byte[] hostId() { return hostId.clone(); }
    public QueuePair adminQueue() { return admin; }
    public boolean isDead() { return dead; }
    public int katoMs() { return katoMs; }
    public int ioQueuesAllowed() { return ioQueuesAllowed; }
    /** The connection of I/O queue {@code qid}, or null. */
    public QueuePair ioQueue(int qid) { return qid >= 1 && qid < ioQueues.length() ? ioQueues.get(qid) : null; }
    public boolean volatileWriteCachePresent() {
        for (Namespace n : subsystem.namespaces()) {
            if (n.device().capabilities().volatileWriteCache()) {
                return true;
            }
        }
        return false;
    }
    public boolean volatileWriteCache() { return volatileWriteCache; }

    /**
     * Whether every namespace can discard, so that Dataset Management may be advertised (it is a
     * controller-wide bit in ONCS): a file system that cannot punch holes makes the subsystem say no.
     */
    public boolean discardSupported() {
        for (Namespace n : subsystem.namespaces()) {
            if (!n.device().capabilities().discard()) {
                return false;
            }
        }
        return true;
    }
    public void volatileWriteCache(boolean on) { volatileWriteCache = on; }
    public int asyncEventConfig() { return asyncEventConfig; }
    public void asyncEventConfig(int v) { asyncEventConfig = v; }

    public int requestIoQueues(int wanted) {
        int n = Math.min(wanted, registry.options().maxIoQueues);
        ioQueuesAllowed = n;
        return n;
    }

    // ------------------------------------------------------------------ registers

    public long cap() {
        long mqes = registry.options().maxQueueSize - 1;
        return mqes | (15L << 24) /* TO: 7.5 s */ | (1L << 37) /* CSS: NVM command set */;
    }

    public static int version() {
        return 0x00010300; // NVMe 1.3.0
    }

    public int cc() { return cc; }
    public int csts() { return csts; }

    public boolean ready() {
        return (csts & CSTS_RDY) != 0 && (cc & CC_EN) != 0;
    }

    /** A Property Set of CC: the enable, ready and shutdown handshake (as the kernel's nvmet does it). */
    public void writeCc(int value) {
        int old = cc;
        cc = value;
        if ((value & CC_EN) != 0 && (old & CC_EN) == 0) {
            int css = (value >>> 4) & 7;
            int mps = (value >>> 7) & 0xf;
            int ams = (value >>> 11) & 7;
            int iosqes = (value >>> 16) & 0xf;
            int iocqes = (value >>> 20) & 0xf;
            if (iosqes != 6 || iocqes != 4 || mps != 0 || ams != 0 || css != 0) {
                csts = CSTS_CFS;
            } else {
                csts = CSTS_RDY;
            }
        }
        if ((value & CC_EN) == 0 && (old & CC_EN) != 0) {
            csts &= ~CSTS_RDY;
        }
        int shn = (value >>> 14) & 3;
        int oldShn = (old >>> 14) & 3;
        if (shn != 0 && oldShn == 0) {
            csts = (csts & ~CSTS_RDY) | CSTS_SHST_CMPLT;
        }
        if (shn == 0 && oldShn != 0) {
            csts &= ~CSTS_SHST_CMPLT;
        }
    }

    // ------------------------------------------------------------------ queues

    public boolean attachIoQueue(int qid, QueuePair q) {
        if (dead || qid <= 0 || qid >= ioQueues.length()) {
            return false;
        }
        return ioQueues.compareAndSet(qid, null, q);
    }

    public int maxQid() {
        return ioQueues.length() - 1;
    }

    /** A queue's connection closed: the admin queue takes the whole controller with it. */
    public void queueClosed(QueuePair q) {
        if (q == admin) {
            teardown(null);
            return;
        }
        int qid = q.state().qid();
        if (qid > 0 && qid < ioQueues.length()) {
            ioQueues.compareAndSet(qid, q, null);
        }
    }

    /** Tears the controller down: closes every queue (aborting their I/O) and forgets it. */
    public void teardown(String reason) {
        if (dead) {
            return;
        }
        dead = true;
        subsystem.remove(this);
        if (keepAliveTask != null) {
            keepAliveTask.cancel();
        }
        if (reason != null) {
            LOG.warning("controller " + cntlid + " of " + subsystem.nqn() + " (host " + hostNqn + "): " + reason);
        } else {
            LOG.fine(() -> "controller " + cntlid + " of " + subsystem.nqn() + " released");
        }
        for (int i = 1; i < ioQueues.length(); i++) {
            QueuePair q = ioQueues.getAndSet(i, null);
            if (q != null) {
                q.close();
            }
        }
        admin.close();
    }

    // ------------------------------------------------------------------ keep alive

    public void startKeepAlive() {
        restartKeepAliveTimer();
    }

    private void restartKeepAliveTimer() {
        if (keepAliveTask != null) {
            keepAliveTask.cancel();
            keepAliveTask = null;
        }
        lastKeepAlive = System.nanoTime();
        int kato = katoMs;
        if (kato <= 0 || dead) {
            return;
        }
        long period = Math.max(10, Math.min(kato / 4, 1000));
        keepAliveTask = admin.every(period, this::checkKeepAlive);
    }

    public void keepAlive() {
        lastKeepAlive = System.nanoTime();
    }

    public void katoMs(int ms) {
        katoMs = ms;
        restartKeepAliveTimer();
    }

    private void checkKeepAlive() {
        long silentMs = (System.nanoTime() - lastKeepAlive) / 1_000_000;
        if (!dead && silentMs > katoMs) {
            registry.keepAliveTimeouts.incrementAndGet();
            teardown("keep-alive timeout: no Keep Alive for " + silentMs + " ms (KATO " + katoMs
                    + " ms), controller torn down and its I/O aborted");
        }
    }

    // ------------------------------------------------------------------ asynchronous events

    /** Parks an Asynchronous Event Request; false if the limit (AERL + 1) is reached. */
    public boolean parkAer(Request r) {
        if (aers.size() > AERL) {
            return false;
        }
        r.park();
        aers.add(r);
        return true;
    }

    /** Completes a pending AER with a notice (e.g. namespace attribute changed) if the host enabled it. */
    public boolean notice(int eventInfo, int logPage, int configBit) {
        if ((asyncEventConfig & configBit) == 0) {
            return false;
        }
        Request r;
        while ((r = aers.poll()) != null) {
            if (r.isLive()) {
                r.complete(0, (logPage << 16) | (eventInfo << 8) | 0x2);
                return true;
            }
        }
        return false;
    }
}
