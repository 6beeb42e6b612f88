package io.tensorplane.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

    private static final class Run {
        int code;
        String out;
        String err;
    }

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        Run r = new Run();
        r.code = cl.execute(args);
        r.out = out.toString();
        r.err = err.toString();
        return r;
    }

    /** Every verb, at every depth, named by its path from the root. */
    private static List<List<String>> allVerbs(CommandLine cl, List<String> path, List<List<String>> into) {
        for (var e : cl.getSubcommands().entrySet()) {
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            into.add(p);
            allVerbs(e.getValue(), p, into);
        }
        return into;
    }

    @Test
    void helpListsEveryTopLevelVerb() {
        Run r = run("--help");
        assertEquals(0, r.code);
        for (String verb : Main.commandLine().getSubcommands().keySet()) {
            assertTrue(r.out.contains(verb), "--help does not list " + verb + ":\n" + r.out);
        }
        assertTrue(r.out.contains("ublk") && r.out.contains("nvmf") && r.out.contains("demo"), r.out);
    }

    @Test
    void noVerbListsEveryVerbToo() {
        Run r = run();
        assertEquals(0, r.code);
        for (String verb : Main.commandLine().getSubcommands().keySet()) {
            assertTrue(r.out.contains("  " + verb + " "), "no verb: the usage does not list " + verb + ":\n" + r.out);
        }
    }

    /** A verb's first description line is what its parent's command list shows: a whole sentence, not a cut one. */
    @Test
    void everyVerbsFirstLineIsASentence() {
        for (List<String> verb : allVerbs(Main.commandLine(), List.of(), new ArrayList<>())) {
            CommandLine cl = Main.commandLine();
            for (String name : verb) {
                cl = cl.getSubcommands().get(name);
            }
            String[] d = cl.getCommandSpec().usageMessage().description();
            assertTrue(d.length > 0 && d[0].endsWith("."), String.join(" ", verb) + ": " + (d.length > 0 ? d[0] : "no description"));
        }
    }

    @Test
    void everyVerbHasHelp() {
        List<List<String>> verbs = allVerbs(Main.commandLine(), List.of(), new ArrayList<>());
        assertTrue(verbs.size() >= 3, "expected at least ublk, nvmf, demo: " + verbs);
        for (List<String> verb : verbs) {
            List<String> args = new ArrayList<>(verb);
            args.add("--help");
            Run r = run(args.toArray(String[]::new));
            assertEquals(0, r.code, "help of " + verb + " failed: " + r.err);
            assertTrue(r.out.startsWith("Usage: tensorplane " + String.join(" ", verb)), r.out);
        }
    }

    @Test
    void unknownVerbIsOneClearLineAndExitTwo() {
        Run r = run("frobnicate");
        assertEquals(2, r.code);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.contains("frobnicate"), r.err);
        assertEquals("", r.out);
    }

    @Test
    void unknownOptionIsOneClearLineAndExitTwo() {
        Run r = run("demo", "--no-such-option");
        assertEquals(2, r.code);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.contains("--no-such-option"), r.err);
    }

    /** A run names its verb first and gets only that verb's tree; it parses and helps exactly as the full tree does. */
    @Test
    void aRunBuildsOnlyTheVerbItNames() {
        for (String verb : Main.commandLine().getSubcommands().keySet()) {
            CommandLine one = Main.commandLine(verb);
            assertEquals(List.of(verb), List.copyOf(one.getSubcommands().keySet()));
            Object command = one.getSubcommands().get(verb).getCommandSpec().userObject();
            assertEquals(verb, command.getClass().getAnnotation(CommandLine.Command.class).name(),
                    "the table's name is the command's own");
            assertEquals(Main.commandLine().getSubcommands().get(verb).getUsageMessage(),
                    one.getSubcommands().get(verb).getUsageMessage());
        }
        assertEquals(Main.commandLine().getSubcommands().keySet(), Main.commandLine("--help").getSubcommands().keySet());
        assertEquals(Main.commandLine().getSubcommands().keySet(), Main.commandLine("ublkk").getSubcommands().keySet());
    }
}
