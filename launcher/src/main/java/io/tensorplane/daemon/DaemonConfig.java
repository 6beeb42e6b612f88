package io.tensorplane.daemon;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tensorplane.engine.DeviceSpec;
import io.tensorplane.nvmf.TargetConfig;
import io.tensorplane.nvmf.subsystem.Subsystem;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What {@code serve --config FILE} brings up (YAML or JSON): named devices, each with its spec, trace and
 * emulation and optionally a ublk export; an NVMe/TCP target whose namespaces may name those devices; and
 * the metrics endpoint. {@link #load} reads and {@link #validate}s everything that can be checked before
 * anything starts; each problem is reported with the field it is in.
 *
 * <pre>
 * metrics: { port: 9464, address: 127.0.0.1 }
 * devices:
 *   disk1:
 *     spec: mem:1G
 *     trace: /var/tmp/disk1.trace          # optional: trace=DIR
 *     traceData: checksum                  # optional: none | checksum | full
 *     emulation: { latency: nand, jitter: 20us, faults: 0.0001, seed: 7 }
 *     ublk: { queues: 2, depth: 128 }      # optional: also a /dev/ublkbN ({} for the defaults)
 * nvmf:                                    # optional: the NVMe/TCP target (docs/nvmf.md), namespaces by device
 *   listen: 127.0.0.1:4420
 *   subsystems:
 *     - nqn: nqn.2026-01.io.tensorplane:disk1
 *       namespaces: [ { device: disk1 } ]
 * </pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public final class DaemonConfig {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    public MetricsConfig metrics = new MetricsConfig();
    public Map<String, DeviceConfig> devices = new LinkedHashMap<>();
    public TargetConfig nvmf;

    @JsonIgnoreProperties(ignoreUnknown = false)
    public static final class MetricsConfig {
        /** 0: no endpoint. */
        public int port;
        public String address = "127.0.0.1";
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    public static final class DeviceConfig {
        public String spec;
        public String trace;
        public String traceData;
        public EmulationConfig emulation;
        public UblkConfig ublk;

        /** The spec with the emulation and trace options appended: what the device is opened from. */
        public String fullSpec() {
            StringBuilder b = new StringBuilder(spec.trim());
            if (emulation != null) {
                option(b, "latency", emulation.latency);
                option(b, "jitter", emulation.jitter);
                option(b, "faults", emulation.faults);
                option(b, "seed", emulation.seed == null ? null : emulation.seed.toString());
            }
            option(b, "trace", trace);
            option(b, "trace-data", traceData);
            return b.toString();
        }

        private static void option(StringBuilder b, String key, String value) {
            if (value != null) {
                b.append(',').append(key).append('=').append(value);
            }
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    public static final class EmulationConfig {
        public String latency;
        public String jitter;
        public String faults;
        public Long seed;
    }

    /** A ublk export's settings ({@code ublk add}'s options). */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public static final class UblkConfig {
        public int id = -1;
        public int queues = 1;
        public int depth = 128;
        public String copy = "auto";
        public long spinUs = 500;
        public boolean pin = true;
        public String ioScheduler = "none";

        @Override
        public boolean equals(Object o) {
            return o instanceof UblkConfig u && u.id == id && u.queues == queues && u.depth == depth && u.copy.equals(copy)
                    && u.spinUs == spinUs && u.pin == pin && Objects.equals(u.ioScheduler, ioScheduler);
        }

        @Override
        public int hashCode() {
            return Objects.hash(id, queues, depth, copy, spinUs, pin, ioScheduler);
        }
    }

    /** Whether a configuration file is the daemon's (devices, nvmf, metrics) rather than a plain NVMe/TCP target's. */
    public static boolean isDaemonConfig(File file) {
        try {
            JsonNode n = mapper(file).readTree(file);
            return n != null && n.isObject() && (n.has("devices") || n.has("nvmf") || n.has("metrics"));
        } catch (IOException e) {
            return false; // the target's own loader says what is wrong with it
        }
    }

    private static ObjectMapper mapper(File file) {
        String name = file.getName().toLowerCase(Locale.ROOT);
        ObjectMapper m = name.endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
        m.enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
        m.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        return m;
    }

    /**
     * Reads and validates a configuration file.
     *
     * @throws IllegalArgumentException {@code config FILE: FIELD: REASON}
     */
    public static DaemonConfig load(File file) {
        return load(file, Set.of());
    }

    /**
     * Reads and validates a configuration file for a reload: devices whose full spec is among {@code running}
     * run already (their trace directory is theirs) and are not checked again.
     */
    public static DaemonConfig load(File file, Set<String> running) {
        DaemonConfig c;
        try {
            if (file.isFile() && Files.readString(file.toPath()).isBlank()) {
                throw new IllegalArgumentException("config " + file + " is empty");
            }
            c = mapper(file).readValue(file, DaemonConfig.class);
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException("config " + file + ": " + describe(e), e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("config " + file + ": not valid " + (file.getName().endsWith(".json") ? "JSON" : "YAML")
                    + " at line " + e.getLocation().getLineNr() + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config " + file + ": " + e.getMessage(), e);
        }
        if (c == null) {
            throw new IllegalArgumentException("config " + file + " is empty");
        }
        try {
            c.validate(running);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config " + file + ": " + e.getMessage(), e);
        }
        return c;
    }

    /** The field path of a mapping error (devices.disk1.ublk.queues) and what is wrong there. */
    private static String describe(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (path.length() > 0) {
                    path.append('.');
                }
                path.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        if (e instanceof UnrecognizedPropertyException u) {
            String where = path.toString();
            int dot = where.lastIndexOf('.');
            String parent = dot < 0 ? "" : where.substring(0, dot) + ": ";
            List<String> known = new ArrayList<>();
            for (Object k : u.getKnownPropertyIds()) {
                known.add(String.valueOf(k));
            }
            java.util.Collections.sort(known);
            return parent + "unknown field '" + u.getPropertyName() + "'; expected one of " + String.join(", ", known);
        }
        String msg = e.getOriginalMessage();
        int nl = msg.indexOf('\n');
        String line = e.getLocation() != null && e.getLocation().getLineNr() > 0 ? " (line " + e.getLocation().getLineNr() + ")" : "";
        return (path.length() > 0 ? path + ": " : "") + (nl > 0 ? msg.substring(0, nl) : msg) + line;
    }

    /** Everything that can be checked without taking a resource; throws naming the field and the reason. */
    public void validate() {
        validate(Set.of());
    }

    private void validate(Set<String> running) {
        if ((devices == null || devices.isEmpty()) && nvmf == null) {
            throw new IllegalArgumentException("devices: nothing to serve (no devices and no nvmf target)");
        }
        if (devices == null) {
            devices = new LinkedHashMap<>();
        }
        if (metrics == null) {
            metrics = new MetricsConfig();
        }
        TargetConfig.requirePort("metrics.port", metrics.port, "no endpoint");
        Set<Integer> ublkIds = new HashSet<>();
        Set<String> traces = new HashSet<>();
        for (Map.Entry<String, DeviceConfig> e : devices.entrySet()) {
            String name = e.getKey();
            String at = "devices." + name;
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(at + ": a device name is 1 to 64 letters, digits, '_', '.' or '-'");
            }
            DeviceConfig d = e.getValue();
            if (d == null || d.spec == null || d.spec.isBlank()) {
                throw new IllegalArgumentException(at + ".spec: missing (e.g. spec: mem:1G)");
            }
            try {
                if (!running.contains(d.fullSpec())) {
                    DeviceSpec.parse(d.fullSpec());
                }
            } catch (IllegalArgumentException x) {
                throw new IllegalArgumentException(at + ": " + x.getMessage());
            }
            if (d.trace != null && !traces.add(d.trace)) {
                throw new IllegalArgumentException(at + ".trace: " + d.trace + " is the trace of another device too");
            }
            UblkConfig u = d.ublk;
            if (u != null) {
                if (u.queues < 1 || u.queues > 64) {
                    throw new IllegalArgumentException(at + ".ublk.queues: " + u.queues + " is not between 1 and 64");
                }
                if (u.depth < 1 || u.depth > 4096) {
                    throw new IllegalArgumentException(at + ".ublk.depth: " + u.depth + " is not between 1 and 4096");
                }
                if (!List.of("auto", "user", "buffer").contains(u.copy)) {
                    throw new IllegalArgumentException(at + ".ublk.copy: '" + u.copy + "'; expected auto, user or buffer");
                }
                if (u.spinUs < 0) {
                    throw new IllegalArgumentException(at + ".ublk.spinUs: must not be negative");
                }
                if (u.id >= 0 && !ublkIds.add(u.id)) {
                    throw new IllegalArgumentException(at + ".ublk.id: " + u.id + " is the id of another export too");
                }
            }
        }
        if (nvmf != null) {
            validateTarget();
        }
    }

    private void validateTarget() {
        if (nvmf.listen == null || nvmf.listen.isEmpty()) {
            throw new IllegalArgumentException("nvmf.listen: missing (e.g. listen: 127.0.0.1:4420)");
        }
        if (!List.of("auto", "io_uring", "epoll", "nio").contains(nvmf.transport)) {
            throw new IllegalArgumentException("nvmf.transport: '" + nvmf.transport + "'; expected auto, io_uring, epoll or nio");
        }
        try {
            nvmf.checkPorts();
            nvmf.pinnedCpus();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("nvmf." + e.getMessage());
        }
        if (nvmf.subsystems.isEmpty()) {
            throw new IllegalArgumentException("nvmf.subsystems: none (a target needs at least one)");
        }
        Set<String> nqns = new HashSet<>();
        for (int i = 0; i < nvmf.subsystems.size(); i++) {
            TargetConfig.SubsystemConfig s = nvmf.subsystems.get(i);
            String at = "nvmf.subsystems[" + i + "]";
            try {
                Subsystem.validateNqn(s.nqn);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ".nqn: " + e.getMessage());
            }
            if (!nqns.add(s.nqn)) {
                throw new IllegalArgumentException(at + ".nqn: " + s.nqn + " is configured twice");
            }
            if (s.namespaces.isEmpty()) {
                throw new IllegalArgumentException(at + ".namespaces: none (give at least one, e.g. - device: disk1)");
            }
            Set<Integer> nsids = new HashSet<>();
            int next = 1;
            for (int j = 0; j < s.namespaces.size(); j++) {
                TargetConfig.NamespaceConfig n = s.namespaces.get(j);
                String nat = at + ".namespaces[" + j + "]";
                if ((n.spec == null) == (n.device == null)) {
                    throw new IllegalArgumentException(nat + ": give either spec (a device of its own) or device (a name under devices)");
                }
                if (n.device != null && !devices.containsKey(n.device)) {
                    throw new IllegalArgumentException(nat + ".device: no device named '" + n.device + "' (devices: "
                            + String.join(", ", devices.keySet()) + ")");
                }
                if (n.spec != null) {
                    try {
                        DeviceSpec.parse(n.spec);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(nat + ".spec: " + e.getMessage());
                    }
                }
                if (n.uuid != null) {
                    try {
                        java.util.UUID.fromString(n.uuid);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(nat + ".uuid: '" + n.uuid + "' is not a UUID");
                    }
                }
                int nsid = n.nsid > 0 ? n.nsid : next;
                next = Math.max(next, nsid + 1);
                if (n.nsid < 0 || !nsids.add(nsid)) {
                    throw new IllegalArgumentException(nat + ".nsid: " + nsid + (n.nsid < 0 ? " is negative" : " is used twice"));
                }
            }
        }
    }

    /** The NSID each namespace of a subsystem gets (explicit, else the next after the previous). */
    static Map<Integer, TargetConfig.NamespaceConfig> byNsid(TargetConfig.SubsystemConfig s) {
        Map<Integer, TargetConfig.NamespaceConfig> out = new LinkedHashMap<>();
        int next = 1;
        for (TargetConfig.NamespaceConfig n : s.namespaces) {
            int nsid = n.nsid > 0 ? n.nsid : next;
            next = Math.max(next, nsid + 1);
            out.put(nsid, n);
        }
        return out;
    }

    /** Whether two namespace entries describe the same namespace. */
    static boolean sameNamespace(TargetConfig.NamespaceConfig a, TargetConfig.NamespaceConfig b) {
        return Objects.equals(a.spec, b.spec) && Objects.equals(a.device, b.device) && Objects.equals(a.uuid, b.uuid);
    }
}
