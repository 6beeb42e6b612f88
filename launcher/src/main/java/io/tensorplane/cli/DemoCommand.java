package io.tensorplane.cli;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.IoChannel;
import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import org.agrona.BufferUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tensorplane demo}: a short tour of what this build can do on this machine. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Show the engine at work: open a device, run I/O, print what happened.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--backend", defaultValue = "null:1G", description = "Device spec (default: ${DEFAULT-VALUE}).")
    String backend;

    @Override
    public Integer call() {
        try (BlockDevice device = Devices.open(backend)) {
            ByteBuffer buf = BufferUtil.allocateDirectAligned(4096, 4096);
            long address = BufferUtil.address(buf);
            int[] last = new int[1];
            try (IoChannel ch = device.openChannel()) {
                ch.write(0, 4096, address, 0, (tag, res) -> last[0] = res, 1);
                ch.read(0, 4096, address, (tag, res) -> last[0] = res, 2);
            }
            System.out.printf("device %s: %d bytes, block size %d, last result %d%n",
                    device.spec(), device.sizeBytes(), device.blockSize(), last[0]);
        }
        return 0;
    }
}
