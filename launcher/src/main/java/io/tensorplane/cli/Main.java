package io.tensorplane.cli;

import io.tensorplane.dpu.preflight.PreflightCommand;
import io.tensorplane.dpu.profile.ProfileCommand;
import io.tensorplane.nvmf.NvmfCommand;
import io.tensorplane.ublk.UblkCommand;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The single entry point behind {@code ./tensorplane}: every verb is a picocli subcommand. */
@Command(name = "tensorplane", mixinStandardHelpOptions = true, version = "tensorplane 0.1.0",
        description = "A lock-free, polled, shared-nothing storage data plane: ublk, NVMe/TCP, BlueField.")
public final class Main implements Runnable {

    /** The verbs in the order help lists them (a class literal loads a class without running its initialisers). */
    private static final Map<String, Class<?>> VERBS = new LinkedHashMap<>();

    static {
        VERBS.put("ublk", UblkCommand.class);
        VERBS.put("nvmf", NvmfCommand.class);
        VERBS.put("serve", DaemonCommand.class); // "serve --config": devices, ublk exports, an NVMe/TCP target, metrics
        VERBS.put("profile", ProfileCommand.class);
        VERBS.put("preflight", PreflightCommand.class);
        VERBS.put("bench", BenchCommand.class);
        VERBS.put("trace", TraceCommand.class);
        VERBS.put("demo", DemoCommand.class);
    }

    public static void main(String[] args) {
        System.exit(commandLine(args.length > 0 ? args[0] : "").execute(args));
    }

    /** The configured command line with every verb; tests use it to run verbs in-process. */
    public static CommandLine commandLine() {
        return commandLine("");
    }

    /**
     * The command line for a run whose first argument is {@code first}: only that verb's tree when it names one,
     * every verb otherwise (help, --version, a misspelt verb). picocli reflects over every command it is handed, and
     * every server {@code ublk add} starts pays the start-up again. Measured in a 7.3 test-bed guest (2026-12-02):
     * {@code tensorplane --version}, which still builds every verb, 21-23 s; {@code ublk list} 16-18 s. On a desktop
     * CPU the difference is within the noise of a 1.2-1.5 s start-up.
     */
    static CommandLine commandLine(String first) {
        CommandLine cl = new CommandLine(new Main());
        boolean one = VERBS.containsKey(first);
        VERBS.forEach((name, type) -> {
            if (!one || name.equals(first)) {
                cl.addSubcommand(name, type);
            }
        });
        if (!one || first.equals("serve")) {
            cl.getSubcommands().get("serve").getCommandSpec().usageMessage().description(DaemonCommand.DESCRIPTION);
        }
        // A wrong verb or option: one clear line and exit code 2, no usage wall, no stack trace.
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("tensorplane: " + ex.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            cmd.getErr().println("tensorplane: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            return 1;
        });
        return cl;
    }

    @Spec
    private CommandSpec spec;

    /** No verb: the usage of the command line this runs in, verbs and all (a new one of this object would have none). */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
