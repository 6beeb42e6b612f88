package io.tensorplane.engine.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tensorplane.engine.BlockDevice;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The easy entry point for front doors: meter a device under a name, print snapshots, serve
 * Prometheus text.
 *
 * <pre>{@code
 * BlockDevice dev = Metrics.meter(Devices.open(spec, blockSize), "disk0");
 * try (MetricsServer server = MetricsServer.start(metricsPort)) { ... }
 * System.out.print(Metrics.snapshot());
 * }</pre>
 *
 * All metered devices are bound to one process-wide {@link PrometheusMeterRegistry}
 * ({@link #registry()}); closing a metered device removes its meters.
 */
public final class Metrics {
    private static final List<MeteredDevice> DEVICES = new CopyOnWriteArrayList<>();

    private Metrics() {
    }

    private static final class Registry {
        static final PrometheusMeterRegistry INSTANCE = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /** The process-wide registry every metered device is bound to. */
    public static PrometheusMeterRegistry registry() {
        return Registry.INSTANCE;
    }

    /**
     * Wraps a device so that its I/O is metered, and binds its meters (tagged {@code device=name}) to
     * {@link #registry()}.
     *
     * @throws IllegalArgumentException if a metered device with this name is open
     */
    public static synchronized MeteredDevice meter(BlockDevice device, String name) {
        for (MeteredDevice d : DEVICES) {
            if (d.name().equals(name)) {
                throw new IllegalArgumentException("a metered device named '" + name + "' is already open");
            }
        }
        MeteredDevice m = new MeteredDevice(device, name);
        m.bindTo(registry());
        DEVICES.add(m);
        return m;
    }

    /** Snapshots of every open metered device. */
    public static List<DeviceSnapshot> snapshot() {
        List<DeviceSnapshot> all = new ArrayList<>();
        for (MeteredDevice d : DEVICES) {
            all.add(d.snapshot());
        }
        return all;
    }

    /** The open metered devices. */
    public static List<MeteredDevice> devices() {
        return List.copyOf(DEVICES);
    }

    /** The Prometheus text exposition of {@link #registry()}. */
    public static String scrape() {
        return registry().scrape();
    }

    static synchronized void forget(MeteredDevice device) {
        if (!DEVICES.remove(device)) {
            return;
        }
        PrometheusMeterRegistry r = registry();
        for (Meter m : r.getMeters()) {
            if (device.name().equals(m.getId().getTag("device"))) {
                r.remove(m);
            }
        }
    }
}
