package io.tensorplane.it.bed;

import java.time.Duration;
import java.util.List;

/**
 * What one command run in the guest gave back.
 *
 * @param command  the command as given
 * @param exitCode its exit status; 124 (or 137) when the guest-side time limit killed it
 * @param stdout   its standard output
 * @param stderr   its standard error
 * @param elapsed  wall-clock time seen by the host, including the agent's polling
 */
public record ExecResult(String command, int exitCode, String stdout, String stderr, Duration elapsed) {

    /** Exit status GNU timeout gives when it stops a command. */
    public static final int TIMED_OUT = 124;

    /** True when the command exited with status 0. */
    public boolean ok() {
        return exitCode == 0;
    }

    /** True when the guest-side time limit stopped the command. */
    public boolean timedOut() {
        return exitCode == TIMED_OUT || exitCode == 137;
    }

    /** The standard output without surrounding white space. */
    public String out() {
        return stdout.strip();
    }

    /** The standard output split into lines (no trailing empty line). */
    public List<String> lines() {
        return stdout.lines().toList();
    }

    /** Returns this result if the command exited with 0, else throws an AssertionError that shows everything. */
    public ExecResult assertOk() {
        if (!ok()) {
            throw new AssertionError(describe("failed"));
        }
        return this;
    }

    /** Returns this result if the command exited with {@code expected}, else throws an AssertionError. */
    public ExecResult assertExit(int expected) {
        if (exitCode != expected) {
            throw new AssertionError(describe("exited " + exitCode + ", expected " + expected));
        }
        return this;
    }

    /** A multi-line description: command, exit status, both outputs (tails). */
    public String describe(String what) {
        return "guest command " + what + " (exit " + exitCode + (timedOut() ? ", timed out" : "") + ", " + elapsed.toMillis()
                + " ms): " + command + "\n--- stdout ---\n" + tail(stdout) + "--- stderr ---\n" + tail(stderr);
    }

    @Override
    public String toString() {
        return describe("result");
    }

    static String tail(String s) {
        final int max = 8000;
        String t = s.length() > max ? "[... " + (s.length() - max) + " chars cut ...]\n" + s.substring(s.length() - max) : s;
        return t.isEmpty() || t.endsWith("\n") ? t : t + "\n";
    }
}
