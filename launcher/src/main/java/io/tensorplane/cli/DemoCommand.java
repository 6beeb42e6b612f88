package io.tensorplane.cli;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.metrics.Metrics;
import io.tensorplane.engine.metrics.MetricsServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code tensorplane demo}: a short tour of the engine on this machine — the backends, the device
 * sandbox (emulated latency, injected faults) and the metrics a Prometheus server would scrape.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"A tour of the engine: backends, emulated latency and faults, metrics in Prometheus format.",
            "The kernel front doors (ublk, NVMe/TCP) are shown by 'it/testbed/run-in-vm it/demo/kernel-demo.sh'."})
public final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", defaultValue = "1", description = "Measured time per device (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--metrics-port", defaultValue = "0",
            description = "Port to serve Prometheus metrics on while the demo runs (default: any free port).")
    int metricsPort;

    /** The tour: what each device is and why it is worth a look. */
    private static final List<String[]> DEVICES = List.of(
            new String[] {"null:1T", "null: reads zeros, drops writes (the engine's own overhead)"},
            new String[] {"mem:4G", "mem: a sparse RAM disk; memory is taken on first write, in 1 MiB chunks"},
            new String[] {"mem:1G,latency=nand,seed=7", "mem + emulated NAND latency (~60 us reads)"},
            new String[] {"mem:1G,latency=optane,faults=0.01,seed=7", "mem + emulated Optane latency + 1% injected -EIO"});

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        out.println("Tensorplane demo: one thread drives each engine device at queue depth 16, 4 KiB random writes then reads.");
        out.println();
        try (MetricsServer server = MetricsServer.start(metricsPort)) {
            for (int i = 0; i < DEVICES.size(); i++) {
                String deviceSpec = DEVICES.get(i)[0];
                out.println("== " + DEVICES.get(i)[1]);
                try (BlockDevice device = Metrics.meter(Devices.open(deviceSpec), "demo" + i)) {
                    for (BenchCommand.Pattern p : List.of(BenchCommand.Pattern.randwrite, BenchCommand.Pattern.randread)) {
                        BenchCommand.Result r = BenchCommand.run(device, p, 4096, 16, seconds / 4, seconds, 1);
                        r.print(out, "   " + deviceSpec + " " + p);
                    }
                    if (i == DEVICES.size() - 1) {
                        out.println();
                        out.println("== Engine metrics, as served on http://127.0.0.1:" + server.port() + "/metrics (an excerpt):");
                        for (String line : scrape(server.port()).split("\n")) {
                            if (line.contains("device=\"demo" + i + "\"") && (line.contains("op=\"read\"") || line.contains("inflight"))) {
                                out.println("   " + line);
                            }
                        }
                    }
                }
                out.println();
            }
        }
        out.println("Next: './tensorplane bench --help' to measure a device of your own,");
        out.println("      'sudo ./tensorplane ublk add --backend mem:8G' to get /dev/ublkbN (needs the ublk_drv kernel module),");
        out.println("      './tensorplane nvmf serve --help' to export devices over NVMe/TCP.");
        out.flush();
        return 0;
    }

    private static String scrape(int port) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).GET().build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("metrics endpoint answered HTTP " + response.statusCode());
        }
        return response.body();
    }
}
