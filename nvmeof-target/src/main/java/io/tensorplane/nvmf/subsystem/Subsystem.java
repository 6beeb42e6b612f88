package io.tensorplane.nvmf.subsystem;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** An NVM subsystem (or the discovery subsystem): its NQN, namespaces, allowed hosts and live controllers. */
public final class Subsystem {
    public static final String DISCOVERY_NQN = "nqn.2014-08.org.nvmexpress.discovery";
    private static final int CNTLID_MIN = 1;
    private static final int CNTLID_MAX = 0xffef;

    private final String nqn;
    private final boolean discovery;
    /** Replaced whole (copy on write) when a namespace is attached or detached live. */
    private volatile List<Namespace> namespaces;
    private final Set<String> allowedHosts;
    private final String serial;
    private final ConcurrentHashMap<Integer, Controller> controllers = new ConcurrentHashMap<>();
    private int nextCntlid = CNTLID_MIN;

    public Subsystem(String nqn, boolean discovery, List<Namespace> namespaces, Collection<String> allowedHosts) {
        validateNqn(nqn);
        this.nqn = nqn;
        this.discovery = discovery;
        this.namespaces = List.copyOf(namespaces);
        this.allowedHosts = Collections.unmodifiableSet(new LinkedHashSet<>(allowedHosts));
        this.serial = String.format("%016x", fnv(nqn)).substring(0, 16);
    }

    /** NVMe Base 4.1.1: {@code nqn.yyyy-mm.reverse-domain[:anything]}, or the UUID form. */
    private static final java.util.regex.Pattern NQN_FORMAT = java.util.regex.Pattern.compile("nqn\\.[0-9]{4}-[0-9]{2}\\.[^:]+(:.*)?");

    /**
     * Accepts what the kernel's nvmet accepts as a subsystem name: any name of 1 to 223 bytes (NVMF_NQN_SIZE) without
     * NUL or line breaks, so test suites' {@code testnqn} works; names outside the NQN format get {@link #formatWarning}.
     */
    public static void validateNqn(String nqn) {
        if (nqn == null || nqn.isEmpty() || nqn.getBytes(StandardCharsets.UTF_8).length > 223) {
            throw new IllegalArgumentException("NQN '" + nqn + "' must be 1 to 223 bytes");
        }
        if (nqn.indexOf('\0') >= 0 || nqn.indexOf('\n') >= 0 || nqn.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("NQN '" + nqn.replace("\n", "\\n") + "' contains a NUL or a line break");
        }
    }

    /** A warning for a name outside the NQN format, or null if it has it. */
    public static String formatWarning(String nqn) {
        if (NQN_FORMAT.matcher(nqn).matches()) {
            return null;
        }
        return "subsystem name '" + nqn + "' is not in the NQN format (nqn.yyyy-mm.reverse-domain:name, e.g."
                + " nqn.2026-01.io.tensorplane:disk1); served anyway, as the kernel's nvmet does";
    }

    private static long fnv(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    public String nqn() { return nqn; }
    public boolean isDiscovery() { return discovery; }
    public List<Namespace> namespaces() { return namespaces; }
    public Set<String> allowedHosts() { return allowedHosts; }
    public String serial() { return serial; }

    /** NN: the largest NSID. */
    public int maxNsid() {
        int max = 0;
        for (Namespace n : namespaces) {
            max = Math.max(max, n.nsid());
        }
        return max;
    }

    public Namespace namespace(int nsid) {
        List<Namespace> all = namespaces;
        for (int i = 0; i < all.size(); i++) {
            Namespace n = all.get(i);
            if (n.nsid() == nsid) {
                return n;
            }
        }
        return null;
    }

    /** Adds a namespace to a live subsystem; its NSID must be free. */
    public synchronized void attach(Namespace ns) {
        if (namespace(ns.nsid()) != null) {
            throw new IllegalArgumentException("subsystem " + nqn + " already has namespace " + ns.nsid());
        }
        List<Namespace> now = new ArrayList<>(namespaces);
        now.add(ns);
        now.sort((a, b) -> Integer.compare(a.nsid(), b.nsid()));
        namespaces = List.copyOf(now);
    }

    /** Removes a namespace from a live subsystem: commands for it fail with Invalid Namespace from now on. */
    public synchronized Namespace detach(int nsid) {
        Namespace ns = namespace(nsid);
        if (ns == null) {
            throw new IllegalArgumentException("subsystem " + nqn + " has no namespace " + nsid);
        }
        List<Namespace> now = new ArrayList<>(namespaces);
        now.remove(ns);
        namespaces = List.copyOf(now);
        return ns;
    }

    public boolean allows(String hostNqn) {
        return discovery || allowedHosts.isEmpty() || allowedHosts.contains(hostNqn);
    }

    /** Registers a new controller with a dynamic controller id, or returns -1 if all ids are taken. */
    synchronized int allocateCntlid() {
        for (int i = 0; i <= CNTLID_MAX - CNTLID_MIN; i++) {
            int id = nextCntlid;
            nextCntlid = id >= CNTLID_MAX ? CNTLID_MIN : id + 1;
            if (!controllers.containsKey(id)) {
                return id;
            }
        }
        return -1;
    }

    void add(Controller c) {
        controllers.put(c.cntlid(), c);
    }

    void remove(Controller c) {
        controllers.remove(c.cntlid(), c);
    }

    public Controller controller(int cntlid) {
        return controllers.get(cntlid);
    }

    public List<Controller> controllers() {
        return new ArrayList<>(controllers.values());
    }
}
