package io.tensorplane.engine.backend;

import io.tensorplane.engine.Backend;
import io.tensorplane.engine.BackendArgs;
import io.tensorplane.engine.DeviceSpec;

import java.util.List;

/** Registers {@code mem:<size>[,limit=<size>]}: sparse off-heap memory. */
public final class MemBackend implements Backend {
    @Override public String scheme() { return "mem"; }
    @Override public String target() { return "<size>"; }

    @Override
    public List<Option> options() {
        return List.of(Option.value("limit", "memory cap; writes needing more fail with -ENOSPC"));
    }

    @Override
    public Opener parse(BackendArgs args) {
        long size = args.targetSize();
        int bs = args.blockSizeOr(DeviceSpec.DEFAULT_BLOCK_SIZE);
        args.requireMultiple(size, bs, "size");
        long limit = args.has("limit") ? args.size("limit") : Long.MAX_VALUE;
        return () -> new MemDevice(args.spec(), size, bs, limit);
    }
}
