package io.tensorplane.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The trace verbs end to end in-process: record with bench --trace, then stat, replay and export. */
class TraceCommandTest {
    @TempDir
    static Path tmp;
    static Path trace;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void record() {
        trace = tmp.resolve("t");
        Run r = run("bench", "--backend", "mem:64M,latency=10us,trace-data=checksum", "--trace", trace.toString(),
                "--rw", "randrw", "--qd", "4", "--seconds", "0.3", "--warmup", "0");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void statSummarisesTheTrace() throws Exception {
        Run r = run("trace", "stat", trace.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("mem:64M,latency=10us,trace-data=checksum,trace=" + trace), r.out());
        assertTrue(r.out().contains("read ") && r.out().contains("write "), r.out());
        assertTrue(r.out().contains("mean depth"), r.out());
        JsonNode j = new ObjectMapper().readTree(run("trace", "stat", trace.toString(), "--json").out());
        long ios = j.get("ios").asLong();
        assertTrue(ios > 1000, "ios " + ios);
        assertEquals(0, j.get("dropped").asLong());
        long sum = 0;
        for (JsonNode op : j.get("ops")) {
            sum += op.get("ios").asLong();
        }
        assertEquals(ios, sum, "the op mix adds up");
        double maxDepth = 0;
        for (JsonNode d : j.get("depth")) {
            maxDepth = Math.max(maxDepth, d.get("maxDepth").asInt());
        }
        assertEquals(4, maxDepth, "bench kept 4 in flight");
        assertTrue(j.get("ops").get(0).get("emulated").get("p50").asLong() >= 10_000, j.toString());
    }

    @Test
    void replayPrintsBothLatencyTablesAndTheSameDigestsEachRun() throws Exception {
        Run text = run("trace", "replay", trace.toString(), "--backend", "mem:64M,latency=nand,seed=5", "--timing", "max", "--verify");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("recorded us: p50 p99 p99.9 mean"), text.out());
        assertTrue(text.out().contains("verify: ") && text.out().contains(" 0 differ"), text.out());
        ObjectMapper m = new ObjectMapper();
        JsonNode a = m.readTree(run("trace", "replay", trace.toString(), "--backend", "mem:64M,latency=nand,seed=5", "--timing", "max", "--json").out());
        JsonNode b = m.readTree(run("trace", "replay", trace.toString(), "--backend", "mem:64M,latency=nand,seed=5", "--timing", "max", "--json").out());
        assertEquals(a.get("result").get("sequenceDigest"), b.get("result").get("sequenceDigest"));
        assertEquals(a.get("result").get("emulationDigest"), b.get("result").get("emulationDigest"));
        assertTrue(a.get("result").get("ops").get(0).get("emulated").get("p50").asLong() >= 20_000, a.toString());
    }

    @Test
    void exportWritesAnFioIologOfVersion3() throws Exception {
        Path log = tmp.resolve("t.iolog");
        Run r = run("trace", "export", trace.toString(), "--format", "fio", "--file", "/dev/ublkb0", "-o", log.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(log);
        assertEquals("fio version 3 iolog", lines.get(0));
        assertEquals("1 /dev/ublkb0 add", lines.get(1));
        assertEquals("1 /dev/ublkb0 open", lines.get(2));
        assertTrue(lines.get(lines.size() - 1).endsWith(" /dev/ublkb0 close"));
        long last = 0;
        for (String line : lines.subList(3, lines.size() - 1)) {
            String[] f = line.split(" ");
            assertEquals(5, f.length, line);
            assertTrue(f[2].equals("read") || f[2].equals("write"), line);
            long t = Long.parseLong(f[0]);
            assertTrue(t >= last, "timestamps in order: " + line);
            last = t;
            assertEquals(0, Long.parseLong(f[3]) % 4096);
            assertEquals("4096", f[4]);
        }
    }

    @Test
    void badInputIsOneClearLine() {
        Run r = run("trace", "stat", tmp.resolve("nothing").toString());
        assertEquals(1, r.code());
        assertEquals("tensorplane: no trace directory " + tmp.resolve("nothing"), r.err().strip());
        r = run("trace", "replay", trace.toString(), "--backend", "mem:64M", "--timing", "soon");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("tensorplane: bad timing 'soon'; expected original, max or scale=X"), r.err());
        r = run("trace", "export", trace.toString(), "--format", "csv");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("tensorplane: --format must be fio, not 'csv'"), r.err());
        r = run("bench", "--backend", "mem:1M", "--trace", trace.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("is not empty (it may hold a trace already)"), r.err());
    }
}
