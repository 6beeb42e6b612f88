package io.tensorplane.dpu.profile;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A profile file as written (format {@code version: 1}); see {@code dpu-profile/profiles.md} for every key. Sizes are
 * strings such as {@code 2G}; CPU lists use the kernel's notation ({@code 10-15}). A file may {@code extends} another
 * profile (built-in name or path) and change only some keys: maps merge, lists and values replace.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
final class ProfileSpec {
    public int version;
    public String name;
    public String description;
    @JsonProperty("extends")
    public String extendsProfile;
    public Target target = new Target();
    /** Scale the core map and the memory budgets from {@link Target} to this machine. */
    public boolean scale;
    public Cpus cpus = new Cpus();
    public Memory memory = new Memory();
    public Hugepages hugepages = new Hugepages();
    public Ublk ublk = new Ublk();
    public Nvmf nvmf = new Nvmf();
    public Endpoint metrics = new Endpoint();
    public String memlock;
    /** Front door name ({@code nvmf}, {@code ublk}) to {@code required} or {@code optional}. */
    public Map<String, String> frontDoors = new LinkedHashMap<>();
    /** JVM flags for this target, after the ones computed from the budgets. */
    public List<String> jvm = new ArrayList<>();

    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class Target {
        public String arch;
        public int cores;
        public String memory;
        public String cpu;
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class Cpus {
        /** OS, JIT compiler and garbage collector threads (the JVM's own affinity). */
        public String housekeeping;
        /** Left to NVIDIA SNAP when it runs; joins {@code data} when it does not. */
        public String snap = "";
        /** ublk queue threads and NVMe/TCP event loops, one pinned per CPU. */
        public String data;
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class Memory {
        public String os;
        public String snap = "0";
        public String heap;
        public String direct;
        public String jvmOverhead;
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class Hugepages {
        public String size = "2M";
        /** Pages SNAP holds when it runs. */
        public int snap;
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class Ublk {
        public int depth = 128;
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class Nvmf {
        public int maxIoQueues = 16;
        public int maxQueueSize = 128;
        public Endpoint bind = new Endpoint();
    }

    /** Where to listen: an interface (its first IPv4 address) or an address, and a port. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class Endpoint {
        @JsonProperty("interface")
        public String iface;
        public String address;
        public int port;
    }
}
