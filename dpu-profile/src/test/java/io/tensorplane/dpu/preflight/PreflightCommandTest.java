package io.tensorplane.dpu.preflight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorplane.dpu.host.RecordedHost;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The verb's outputs and exit codes over recorded machines. */
class PreflightCommandTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String recorded, String... args) {
        PreflightCommand c = new PreflightCommand();
        c.host = new RecordedHost(PreflightTest.recorded(recorded));
        CommandLine cl = new CommandLine(c);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void jsonListsEveryCheckAndTheExitCodeSaysWhetherTheProfileCanRun() throws Exception {
        Run ok = run("bluefield3", "--json");
        assertEquals(0, ok.code(), ok.err());
        JsonNode n = new ObjectMapper().readTree(ok.out());
        assertEquals("bluefield3", n.get("profile").asText());
        assertTrue(n.get("canRun").asBoolean());
        assertTrue(n.get("checks").size() >= 13, ok.out());
        for (JsonNode c : n.get("checks")) {
            assertEquals("pass", c.get("status").asText(), c.toString());
        }
        Run no = run("container-no-io_uring", "--profile", "bluefield3", "--json");
        assertEquals(1, no.code());
        assertEquals(false, new ObjectMapper().readTree(no.out()).get("canRun").asBoolean());
    }

    @Test
    void textEndsWithTheVerdictAndAnUnknownProfileIsExitTwo() {
        Run r = run("bluefield2");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("preflight for profile bluefield2 (built-in bluefield2 (auto))"), r.out());
        assertTrue(r.out().strip().endsWith("result: profile bluefield2 can run here (2 warnings)"), r.out());
        Run bad = run("bluefield2", "--profile", "bluefield9");
        assertEquals(2, bad.code());
        assertEquals("", bad.out());
        assertTrue(bad.err().startsWith("tensorplane: unknown profile 'bluefield9'"), bad.err());
    }
}
