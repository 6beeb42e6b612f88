package io.tensorplane.nvmf;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tensorplane.engine.poll.CpuList;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The target's configuration, from the command line or a YAML/JSON file (Jackson):
 *
 * <pre>
 * listen: 127.0.0.1:4420          # or a list: [127.0.0.1:4420, "[::1]:4420"]
 * discoveryPort: 8009             # optional extra listener for discovery (0 = none)
 * metricsPort: 9464               # optional Prometheus endpoint (0 = none)
 * metricsAddress: 10.0.0.5        # where it listens (default: the first listen address)
 * cpus: auto                     # one event loop pinned per CPU: auto (the CPUs this process may use), a list (0-3,6) or none
 * threads: 2                      # with cpus: none, this many unpinned event loops (default: number of CPUs)
 * transport: auto                 # auto (epoll, else io_uring, else nio) | epoll | io_uring | nio
 * spinMicros: 0                   # epoll: poll this long before blocking (lower latency, more CPU)
 * mdts: 0                         # max data transfer = 4 KiB * 2^mdts; 0 = no limit (as nvmet)
 * pieceSize: 524288              # bytes of data one command holds at a time; longer transfers go in pieces
 * inlineDataSize: 8192            # in-capsule data (IOCCSZ)
 * maxIoQueues: 16
 * maxQueueSize: 1024
 * subsystems:
 *   - nqn: nqn.2026-01.io.tensorplane:disk1
 *     allowHosts: []              # empty: any host
 *     namespaces:
 *       - mem:4G                  # a spec string, or
 *       - { spec: null:1T, nsid: 2, uuid: 6f0c...-... }
 *       - { device: disk1 }       # serve --config with devices: one of the daemon's named devices
 * </pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public final class TargetConfig {
    public List<String> listen = new ArrayList<>();
    public int discoveryPort;
    public int metricsPort;
    /** The Prometheus endpoint's address; null: the first listen address. */
    public String metricsAddress;
    public int threads;
    /**
     * Event-loop CPUs: {@code auto} (default: every CPU this process may run on, or unpinned loops if
     * {@code threads} is set), {@code none} (unpinned) or a list such as {@code 0-3,6}.
     */
    public String cpus = "auto";
    public String transport = "auto";
    /** epoll only: microseconds an idle event loop keeps polling before it blocks (0 = block at once). */
    public int spinMicros;
    public int mdts;
    /** Bytes of data buffered per command at a time (longer transfers move in pieces); also MAXH2CDATA. */
    public int pieceSize = 512 * 1024;
    public int inlineDataSize = 8192;
    public int maxIoQueues = 16;
    public int maxQueueSize = 1024;
    public List<SubsystemConfig> subsystems = new ArrayList<>();

    @JsonIgnoreProperties(ignoreUnknown = false)
    public static final class SubsystemConfig {
        public String nqn;
        public List<String> allowHosts = new ArrayList<>();
        public List<NamespaceConfig> namespaces = new ArrayList<>();
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    public static final class NamespaceConfig {
        public String spec;
        /** Instead of {@link #spec}: a device the caller opened and shares (the daemon's named devices). */
        public String device;
        public int nsid;
        public String uuid;

        public NamespaceConfig() {
        }

        /** A bare string in the file is a spec. */
        public NamespaceConfig(String spec) {
            this.spec = spec;
        }
    }

    /** {@code listen} accepts one string or a list. */
    @JsonProperty("listen")
    void setListen(Object v) {
        listen = new ArrayList<>();
        if (v instanceof List) {
            for (Object o : (List<?>) v) {
                listen.add(String.valueOf(o));
            }
        } else if (v != null) {
            listen.add(String.valueOf(v));
        }
    }

    /** The CPUs to pin one event loop each to; empty: {@link #eventLoops()} unpinned loops. */
    /** Checks the extra ports; throws naming the field (a port out of range would otherwise fail after listening). */
    public void checkPorts() {
        requirePort("discoveryPort", discoveryPort, "none");
        requirePort("metricsPort", metricsPort, "no endpoint");
    }

    /**
     * Returns {@code port} if it is one (0 to 65535); otherwise throws naming {@code what} (a field or an option)
     * and what 0 means there. The one check behind every optional port of the target, the daemon and their CLIs.
     */
    public static int requirePort(String what, int port, String zeroMeans) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(what + ": " + port + " is not a port (0 to 65535; 0: " + zeroMeans + ")");
        }
        return port;
    }

    public int[] pinnedCpus() {
        String c = cpus == null ? "auto" : cpus.trim();
        if (c.equals("none")) {
            return new int[0];
        }
        if (c.equals("auto")) {
            return threads > 0 ? new int[0] : CpuList.allowed();
        }
        int[] list = CpuList.parse(c);
        if (list.length == 0) {
            throw new IllegalArgumentException("cpus: expected auto, none or a CPU list such as 0-3,6");
        }
        if (threads > 0 && threads != list.length) {
            throw new IllegalArgumentException("threads " + threads + " conflicts with cpus " + c + " (one event loop per CPU)");
        }
        return list;
    }

    /** Event loops when no CPU is pinned. */
    public int eventLoops() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    public static TargetConfig load(File file) {
        String name = file.getName().toLowerCase(java.util.Locale.ROOT);
        ObjectMapper m = name.endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
        m.enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
        try {
            TargetConfig c = m.readValue(file, TargetConfig.class);
            if (c == null) {
                throw new IllegalArgumentException("config file " + file + " is empty");
            }
            return c;
        } catch (IOException e) {
            String msg = e.getMessage();
            int nl = msg == null ? -1 : msg.indexOf('\n');
            throw new IllegalArgumentException("cannot read config file " + file + ": "
                    + (nl > 0 ? msg.substring(0, nl) : msg), e);
        }
    }
}
