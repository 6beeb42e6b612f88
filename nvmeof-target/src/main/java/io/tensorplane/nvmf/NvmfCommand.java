package io.tensorplane.nvmf;

import picocli.CommandLine.Command;

/** {@code tensorplane nvmf ...}: engine devices as NVMe namespaces over TCP. */
@Command(name = "nvmf", mixinStandardHelpOptions = true,
        description = "Export engine devices as NVMe namespaces over TCP.",
        subcommands = {ServeCommand.class, ProbeCommand.class})
public final class NvmfCommand {
}
