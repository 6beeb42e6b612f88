package io.tensorplane.ublk;

import picocli.CommandLine.Command;

/** {@code tensorplane ublk ...}: engine devices as Linux block devices through the kernel's ublk driver. */
@Command(name = "ublk", mixinStandardHelpOptions = true,
        description = "Serve engine devices as /dev/ublkbN through the kernel's ublk driver.",
        subcommands = {})
public final class UblkCommand {
}
