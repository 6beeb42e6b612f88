package io.tensorplane.cli;

import io.tensorplane.dpu.preflight.PreflightCommand;
import io.tensorplane.dpu.profile.ProfileCommand;
import io.tensorplane.nvmf.NvmfCommand;
import io.tensorplane.nvmf.ServeCommand;
import io.tensorplane.ublk.UblkCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The single entry point behind {@code ./tensorplane}: every verb is a picocli subcommand. */
@Command(name = "tensorplane", mixinStandardHelpOptions = true, version = "tensorplane 0.1.0",
        description = "A lock-free, polled, shared-nothing storage data plane: ublk, NVMe/TCP, BlueField.",
        subcommands = {
            UblkCommand.class,
            NvmfCommand.class,
            ServeCommand.class, // "serve --config": today the config file describes an NVMe/TCP target
            ProfileCommand.class,
            PreflightCommand.class,
            BenchCommand.class,
            DemoCommand.class,
        })
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests use it to run verbs in-process. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
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

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
