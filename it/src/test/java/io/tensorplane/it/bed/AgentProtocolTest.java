package io.tensorplane.it.bed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The host/agent command protocol, exercised without a VM: the agent ({@code it/testbed/guest-agent.sh}) runs on
 * this host as in native mode. Commands here need no privileges and no kernel features.
 */
class AgentProtocolTest {

    private static Guest guest;

    @BeforeAll
    static void start() {
        guest = AgentGuest.start("AgentProtocolTest", Testbed.Mode.NATIVE, "", "");
    }

    @AfterAll
    static void stop() {
        guest.close();
    }

    @Test
    void exitCodeStdoutAndStderrComeBack() {
        ExecResult r = guest.run("echo out; echo err >&2; exit 7");
        assertEquals(7, r.exitCode());
        assertEquals("out", r.out());
        assertEquals("err\n", r.stderr());
        assertThrows(AssertionError.class, r::assertOk);
    }

    @Test
    void commandsSeeTheEnvironmentAndTheGuestLibrary() {
        assertEquals(Testbed.repoRoot().toString(), guest.runOk("echo \"$TP_REPO\"").out());
        assertEquals(guest.share().toString(), guest.runOk("echo \"$TP_SHARE\"").out());
        assertEquals("native", guest.runOk("echo \"$TP_MODE\"").out());
        assertEquals("function", guest.runOk("type -t fio_point").out());
        assertEquals(Testbed.repoRoot().toString(), guest.runOk("pwd").out());
    }

    @Test
    void quotingSurvivesTheTrip() {
        String text = "it's \"quoted\" $HOME `x` \\ end";
        assertEquals(text, guest.runOk("printf '%s' " + Testbed.shellQuote(text)).stdout());
    }

    @Test
    void theTimeLimitStopsACommand() {
        ExecResult r = guest.run("sleep 20", Duration.ofSeconds(1));
        assertTrue(r.timedOut(), r.toString());
        assertTrue(r.elapsed().toSeconds() < 10, r.toString());
    }

    @Test
    void spawnStopAndCopyOut() throws Exception {
        int pid = guest.spawn("bg", "echo started; exec sleep 60");
        guest.runOk("kill -0 " + pid);
        guest.stop("bg");
        assertEquals(1, guest.run("kill -0 " + pid + " 2>/dev/null").exitCode());
        assertTrue(guest.log("bg").contains("started"));
        guest.runOk("d=$(mktemp -d) && echo 42 > $d/answer && echo $d > \"$TP_SHARE/dir\"");
        String dir = Files.readString(guest.share().resolve("dir")).strip();
        assertEquals("42\n", Files.readString(guest.copyOut(dir, "copied").resolve("answer")));
        guest.runOk("rm -rf " + Testbed.shellQuote(dir));
    }
}
