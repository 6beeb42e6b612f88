package io.tensorplane.engine.backend;

import io.tensorplane.engine.Backend;
import io.tensorplane.engine.BackendArgs;
import io.tensorplane.engine.DeviceSpec;

import java.util.List;

/** Registers {@code null:<size>}: reads zeros, drops writes. */
public final class NullBackend implements Backend {
    @Override public String scheme() { return "null"; }
    @Override public String target() { return "<size>"; }
    @Override public List<Option> options() { return List.of(); }

    @Override
    public Opener parse(BackendArgs args) {
        long size = args.targetSize();
        int bs = args.blockSizeOr(DeviceSpec.DEFAULT_BLOCK_SIZE);
        args.requireMultiple(size, bs, "size");
        return () -> new NullDevice(args.spec(), size, bs);
    }
}
