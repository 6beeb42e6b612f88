package io.tensorplane.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.DeviceSpec;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.Sizes;
import io.tensorplane.engine.trace.FioLog;
import io.tensorplane.engine.trace.Replay;
import io.tensorplane.engine.trace.Trace;
import io.tensorplane.engine.trace.TraceStats;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tensorplane trace stat|replay|export}: what a trace recorded with {@code trace=DIR} holds,
 * replaying it against any device, and turning it into an fio {@code read_iolog}.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {"Read, replay and export I/O traces recorded with trace=DIR in a device spec (or --trace DIR).",
            "Record:  ./tensorplane ublk add --backend mem:1G --trace /var/tmp/t1    (or mem:1G,trace=/var/tmp/t1,trace-data=checksum)"},
        subcommands = {TraceCommand.Stat.class, TraceCommand.ReplayVerb.class, TraceCommand.Export.class})
public final class TraceCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static Trace load(CommandSpec spec, Path dir) {
        PrintWriter err = spec.commandLine().getErr();
        return Trace.read(dir, n -> {
            err.printf("trace: %d records read ...%n", n);
            err.flush();
        });
    }

    static ObjectMapper json() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    static String us(double nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e3);
    }

    static String latencies(Replay.Latencies l) {
        if (l.count() == 0) {
            return String.format(Locale.ROOT, "%31s", "-");
        }
        return String.format(Locale.ROOT, "%7s %7s %7s %7s", us(l.p50()), us(l.p99()), us(l.p999()), us(l.mean()));
    }

    @Command(name = "stat", mixinStandardHelpOptions = true,
            description = "Summarise a trace: operation mix, sizes, queue depth over time, sequentiality, hot ranges.")
    static final class Stat implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "The trace directory.")
        Path dir;

        @Option(names = "--json", description = "Print JSON (latencies in nanoseconds).")
        boolean json;

        @Option(names = "--intervals", paramLabel = "N", description = "Intervals of the queue-depth table (default: ${DEFAULT-VALUE}).")
        int intervals = 10;

        @Option(names = "--hot", paramLabel = "N", description = "Hottest ranges to list (default: ${DEFAULT-VALUE}).")
        int hot = 5;

        @Override
        public Integer call() throws IOException {
            if (intervals < 1 || hot < 0) {
                throw new ParameterException(spec.commandLine(), "--intervals must be positive and --hot not negative");
            }
            TraceStats.Summary s = TraceStats.of(load(spec, dir), intervals, hot);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(json().writeValueAsString(s));
            } else {
                print(out, s);
            }
            out.flush();
            return 0;
        }

        static void print(PrintWriter out, TraceStats.Summary s) {
            String started = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
                    .format(Instant.ofEpochMilli(s.startMillis()).atOffset(ZoneOffset.UTC));
            out.printf(Locale.ROOT, "trace %s: %s (%s, %d-byte blocks), data %s, started %s%s%n", s.dir(), s.spec(),
                    Sizes.format(s.sizeBytes()), s.blockSize(), s.data(), started,
                    s.complete() ? "" : ", NOT closed cleanly (the recording process stopped)");
            List<String> queues = new ArrayList<>();
            for (TraceStats.Queue q : s.queues()) {
                queues.add(q.origin() + " " + q.ios() + (q.dropped() > 0 ? " (" + q.dropped() + " dropped)" : ""));
            }
            out.printf(Locale.ROOT, "%d I/Os over %.3f s (%.0f IOPS), %d dropped; %d queue%s: %s%n", s.ios(), s.seconds(),
                    s.iops(), s.dropped(), s.queues().size(), s.queues().size() == 1 ? "" : "s", String.join(", ", queues));
            out.println();
            out.printf("%-13s %9s %10s %7s %6s | %-31s | %-31s%n", "op", "ios", "bytes", "errors", "seq%",
                    "latency us: p50 p99 p99.9 mean", "emulated: p50 p99 p99.9 mean");
            for (TraceStats.Op o : s.ops()) {
                out.printf(Locale.ROOT, "%-13s %9d %10s %7d %5.1f%% | %s | %s%n", o.op(), o.ios(), Sizes.format(o.bytes()),
                        o.errors(), o.sequentialPercent(), latencies(o.latency()), latencies(o.emulated()));
            }
            out.println();
            out.printf("%-10s %9s %9s%n", "size <=", "reads", "writes");
            for (TraceStats.Size z : s.sizes()) {
                out.printf("%-10s %9d %9d%n", Sizes.format(z.bytes()), z.reads(), z.writes());
            }
            out.println();
            out.printf("%-19s %9s %10s %9s%n", "time s", "ios", "mean depth", "max depth");
            for (TraceStats.Depth d : s.depth()) {
                out.printf(Locale.ROOT, "%8.3f - %8.3f %9d %10.2f %9d%n", d.fromSeconds(), d.toSeconds(), d.ios(), d.meanDepth(), d.maxDepth());
            }
            if (!s.hotRanges().isEmpty()) {
                out.println();
                out.printf("%-27s %9s %9s %10s%n", "hot range (bytes)", "reads", "writes", "bytes");
                for (TraceStats.Range r : s.hotRanges()) {
                    out.printf("%-27s %9d %9d %10s%n", Sizes.format(r.from()) + " - " + Sizes.format(r.to()), r.reads(), r.writes(),
                            Sizes.format(r.bytes()));
                }
            }
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"Replay a trace against a device; IOPS and latencies beside the recorded ones.",
                "Each recorded queue's I/O in its order, an I/O only after those that completed before it in the recording.",
                "The same trace and spec (seed) give the same operations and emulated latencies on every run (see the digests)."})
    static final class ReplayVerb implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "The trace directory.")
        Path dir;

        @Option(names = "--backend", required = true, paramLabel = "SPEC", description = "The device to replay against, e.g. mem:8G,latency=nand,seed=7 or file:/tmp/x.img,create=8G.")
        String backend;

        @Option(names = "--timing", paramLabel = "original|max|scale=X",
                description = "original: at the recorded times; max: as fast as the device goes; scale=X: the recorded times X (default: ${DEFAULT-VALUE}).")
        String timing = "original";

        @Option(names = "--queues", paramLabel = "N", description = "Replay threads (default: one per recorded queue; fewer share them).")
        int queues;

        @Option(names = "--verify", description = "Check each read's data against its recorded checksum (trace-data=checksum or full).")
        boolean verify;

        @Option(names = "--json", description = "Print JSON (latencies in nanoseconds).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Replay.Options options;
            try {
                options = new Replay.Options().timing(timing).queues(queues).verify(verify);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            DeviceSpec.parse(backend); // a bad spec fails before a long trace is read
            Trace trace = load(spec, dir);
            PrintWriter err = spec.commandLine().getErr();
            options.progress(line -> {
                err.println(line);
                err.flush();
            });
            Replay.Result r;
            String target;
            try (BlockDevice device = Devices.open(backend, trace.blockSize())) {
                target = device.spec();
                r = Replay.run(trace, device, options);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(json().writeValueAsString(new Report(trace.dir().toString(), trace.spec(), target, r)));
            } else {
                print(out, trace, target, r);
            }
            out.flush();
            return r.mismatchCount() > 0 ? 1 : 0;
        }

        record Report(String trace, String recordedOn, String replayedOn, Replay.Result result) {
        }

        static void print(PrintWriter out, Trace trace, String target, Replay.Result r) {
            out.printf(Locale.ROOT, "replay of %s (recorded on %s) against %s: timing %s, %d queue%s on %d thread%s%n",
                    trace.dir(), trace.spec(), target, r.timing(), r.queues(), r.queues() == 1 ? "" : "s", r.threads(),
                    r.threads() == 1 ? "" : "s");
            out.printf(Locale.ROOT, "%d I/Os in %.3f s: %.0f IOPS (recorded: %.3f s, %.0f IOPS)%n", r.ios(), r.seconds(), r.iops(),
                    r.recordedSeconds(), r.recordedIops());
            out.println();
            out.printf("%-13s %9s %7s | %-31s | %-31s | %-31s%n", "op", "ios", "errors", "recorded us: p50 p99 p99.9 mean",
                    "replayed us: p50 p99 p99.9 mean", "emulated us: p50 p99 p99.9 mean");
            for (Replay.OpResult o : r.ops()) {
                out.printf(Locale.ROOT, "%-13s %9d %7d | %s | %s | %s%n", o.op().tag(), o.replayed().count(), o.errors(),
                        latencies(o.recorded()), latencies(o.replayed()), latencies(o.emulated()));
            }
            out.println();
            if (r.lateness().count() > 0) {
                out.printf(Locale.ROOT, "issued late against the %s timing: p50 %s us, p99 %s us, max %s us%n", r.timing(),
                        us(r.lateness().p50()), us(r.lateness().p99()), us(r.lateness().max()));
            }
            out.printf("results differing from the recording: %d%n", r.resultsDiffering());
            if (r.droppedAtRecording() > 0) {
                out.printf("records dropped while recording (not replayed): %d%n", r.droppedAtRecording());
            }
            if (r.verified() + r.mismatchCount() + r.unverifiable() > 0) {
                out.printf("verify: %d reads match their recorded data, %d differ, %d not checkable (written with a pattern)%n",
                        r.verified(), r.mismatchCount(), r.unverifiable());
                for (Replay.Mismatch m : r.mismatches()) {
                    out.printf("  differs: %s #%d, %d bytes at %d%n", m.queue(), m.seq(), m.length(), m.offset());
                }
            }
            out.printf("operation sequence digest %016x, emulated latency digest %016x%n", r.sequenceDigest(), r.emulationDigest());
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Write a trace as an fio read_iolog (version 3), to drive fio against a kernel device.",
                "For example:",
                "fio --name=replay --read_iolog=FILE --replay_redirect=/dev/nvme0n1 --ioengine=io_uring --direct=1"})
    static final class Export implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "The trace directory.")
        Path dir;

        @Option(names = "--format", required = true, paramLabel = "fio", description = "The output format: fio (read_iolog version 3).")
        String format;

        @Option(names = "--file", paramLabel = "NAME", description = "The file name in the log (default: ${DEFAULT-VALUE}; --replay_redirect overrides it).")
        String file = "/dev/tensorplane-trace";

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write (default: standard output).")
        Path output;

        @Override
        public Integer call() throws IOException {
            if (!format.equals("fio")) {
                throw new ParameterException(spec.commandLine(), "--format must be fio, not '" + format + "'");
            }
            if (file.isBlank() || file.chars().anyMatch(Character::isWhitespace)) {
                throw new ParameterException(spec.commandLine(), "--file must be one word without spaces: fio reads it as one field");
            }
            Trace trace = load(spec, dir);
            long n;
            if (output == null) {
                PrintWriter out = spec.commandLine().getOut();
                n = FioLog.write(trace, file, out);
                out.flush();
            } else {
                try (Writer w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(output), StandardCharsets.UTF_8))) {
                    n = FioLog.write(trace, file, w);
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
                spec.commandLine().getErr().printf("trace: %d I/Os written to %s%n", n, output);
            }
            return 0;
        }
    }
}
