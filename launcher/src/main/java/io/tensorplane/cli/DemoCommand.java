package io.tensorplane.cli;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.metrics.Metrics;
import io.tensorplane.engine.metrics.MetricsServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
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
            "With --kernel, then the kernel front doors: ext4 on /dev/ublkbN and the kernel's NVMe/TCP host",
            "(in the QEMU test bed when this machine's kernel lacks ublk_drv)."})
public final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", defaultValue = "1", description = "Measured time per device (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--kernel", description = "Also show ublk and NVMe/TCP against a real kernel (boots the test-bed VM if needed).")
    boolean kernel;

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
        if (kernel) {
            return kernelDemo(out);
        }
        out.println("Next: './tensorplane demo --kernel' for ublk and NVMe/TCP against a real kernel,");
        out.println("      './tensorplane bench --help' to measure a device of your own,");
        out.println("      'sudo ./tensorplane ublk add --backend mem:8G' to get /dev/ublkbN (needs the ublk_drv kernel module),");
        out.println("      './tensorplane nvmf serve --help' to export devices over NVMe/TCP.");
        out.flush();
        return 0;
    }

    /**
     * Runs it/demo/kernel-demo.sh: here when this kernel has ublk and we are root, otherwise inside
     * the test-bed VM (Debian's Linux 6.12 under QEMU), which it/testbed/run-in-vm prepares itself.
     */
    private int kernelDemo(PrintWriter out) throws IOException, InterruptedException {
        Path repo = repoRoot();
        Path script = repo.resolve("it/demo/kernel-demo.sh");
        if (!Files.isRegularFile(script)) {
            throw new IOException("the kernel demo needs the source tree; " + script + " is missing");
        }
        boolean native_ = Files.exists(Path.of("/dev/ublk-control")) && "root".equals(System.getProperty("user.name"));
        List<String> command = native_
                ? List.of("bash", script.toString())
                : List.of(repo.resolve("it/testbed/run-in-vm").toString(), "--timeout", "900", script.toString());
        out.println("== The kernel front doors " + (native_ ? "on this machine's kernel"
                : "in the test-bed VM (this kernel has no /dev/ublk-control; first run downloads Debian's kernel once)"));
        out.flush();
        Process p = new ProcessBuilder(command).directory(repo.toFile()).inheritIO().start();
        return p.waitFor() == 0 ? 0 : 1;
    }

    /** The source tree this jar was built in: the jar is launcher/target/tensorplane.jar. */
    private static Path repoRoot() throws IOException {
        try {
            Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent().getParent().getParent();
        } catch (URISyntaxException | RuntimeException e) {
            throw new IOException("cannot find the source tree of this jar: " + e.getMessage(), e);
        }
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
