package io.tensorplane.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DemoCommandTest {

    @Test
    void demoShowsEveryDeviceInjectedFaultsAndScrapedMetrics() {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        int code = cl.execute("demo", "--seconds", "0.1");
        String text = out.toString();
        assertEquals(0, code, text);
        for (String spec : new String[] {"null:1T", "mem:4G", "latency=nand", "faults=0.01"}) {
            assertTrue(text.contains(spec), "demo does not show " + spec + ":\n" + text);
        }
        // The faulty device must report errors, the clean ones none.
        assertTrue(text.lines().filter(l -> l.contains("faults=0.01")).allMatch(l -> !l.endsWith("errors 0")), text);
        assertTrue(text.lines().filter(l -> l.contains("null:1T ")).allMatch(l -> l.endsWith("errors 0")), text);
        // Lines scraped over HTTP from the Prometheus endpoint.
        assertTrue(text.contains("tensorplane_io_ops_total{device=\"demo3\",op=\"read\"}"), text);
    }
}
