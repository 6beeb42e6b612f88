package io.tensorplane.backend.file;

import io.tensorplane.engine.Backend;
import io.tensorplane.engine.BackendArgs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * Registers {@code file:<path>[,direct][,create=<size>][,io=auto|uring|blocking]}: a regular file or a
 * block device.
 *
 * <p>The block size is the spec's {@code bs=} or the caller's, else the target's own: a block device's
 * logical block size, O_DIRECT's alignment on a file (else 512). A block size the target cannot take
 * is refused.
 */
public final class FileBackend implements Backend {
    @Override public String scheme() { return "file"; }
    @Override public String target() { return "<path>"; }

    @Override
    public List<Option> options() {
        return List.of(
                Option.flag("direct", "open with O_DIRECT (no page cache)"),
                Option.value("create", "create a sparse file of this size if it is missing"),
                Option.value("io", "auto (io_uring where available, the default), uring or blocking"));
    }

    @Override
    public Opener parse(BackendArgs args) {
        String spec = args.spec();
        String target = args.target();
        Path path;
        try {
            path = Path.of(target);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("bad path '" + target + "' in spec '" + spec + "': " + e.getReason());
        }
        boolean direct = args.has("direct");
        long create = args.size("create");
        FileDevice.Io io = io(args);
        int bs = args.blockSize();
        if (create > 0) {
            args.requireMultiple(create, bs == 0 ? 512 : bs, "create size");
        }
        if (!Files.exists(path)) {
            if (create == 0) {
                throw new IllegalArgumentException("no such file '" + target + "' in spec '" + spec + "'; add ,create=<size> to create it");
            }
            Path parent = path.toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
                throw new IllegalArgumentException("cannot create '" + target + "' in spec '" + spec + "': directory " + parent
                        + " is missing or not writable");
            }
        } else {
            if (Files.isDirectory(path)) {
                throw new IllegalArgumentException("'" + target + "' in spec '" + spec + "' is a directory, not a file or block device");
            }
            if (!Files.isReadable(path)) {
                throw new IllegalArgumentException("cannot read '" + target + "' in spec '" + spec + "': permission denied");
            }
            if (Files.isRegularFile(path)) {
                long size;
                try {
                    size = Files.size(path);
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read '" + target + "' in spec '" + spec + "': " + e.getMessage());
                }
                if (size == 0) {
                    throw new IllegalArgumentException("file '" + target + "' in spec '" + spec
                            + "' has size 0; give it a size (e.g. truncate -s 1G) or use ,create=<size> on a new file");
                }
                args.requireMultiple(size, bs == 0 ? 512 : bs, "file size");
            }
        }
        return () -> open(spec, path, direct, create, bs, io);
    }

    private static FileDevice.Io io(BackendArgs args) {
        String v = args.value("io");
        if (v == null) {
            return FileDevice.Io.AUTO;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "auto": return FileDevice.Io.AUTO;
            case "uring": return FileDevice.Io.URING;
            case "blocking": return FileDevice.Io.BLOCKING;
            default:
                throw new IllegalArgumentException("bad value '" + v + "' for io in spec '" + args.spec() + "'; expected auto, uring or blocking");
        }
    }

    private static FileDevice open(String spec, Path path, boolean direct, long create, int askedBlockSize, FileDevice.Io io) {
        boolean created = create > 0 && createSparse(spec, path, create);
        FileTarget t;
        try {
            t = FileTarget.open(spec, path, direct);
        } catch (RuntimeException e) {
            deleteIf(created, path);
            throw e;
        }
        try {
            int bs = askedBlockSize != 0 ? askedBlockSize : Math.max(512, t.minBlockSize);
            if (bs != 512 && bs != 4096) {
                throw new IllegalArgumentException("'" + path + "' needs I/O aligned to " + t.minBlockSize + " bytes, which spec '"
                        + spec + "' cannot serve (block sizes are 512 or 4096)");
            }
            if (bs < t.minBlockSize) {
                throw new IllegalArgumentException((t.blockDevice ? "block device '" + path + "' has " + t.minBlockSize + "-byte logical blocks"
                        : "O_DIRECT on '" + path + "' needs I/O aligned to " + t.minBlockSize + " bytes")
                        + "; spec '" + spec + "' asks for " + bs + "-byte blocks (use bs=" + t.minBlockSize + (t.blockDevice ? "" : " or drop ',direct'") + ")");
            }
            if (t.size == 0) {
                throw new IllegalArgumentException("'" + path + "' in spec '" + spec + "' has size 0");
            }
            if (t.size % bs != 0) {
                throw new IllegalArgumentException("size " + t.size + " of '" + path + "' in spec '" + spec
                        + "' is not a multiple of the block size " + bs);
            }
            return new FileDevice(spec, t, bs, io);
        } catch (RuntimeException e) {
            t.close();
            deleteIf(created, path);
            throw e;
        }
    }

    /** Creates a sparse file of {@code size} bytes; false if someone else created it meanwhile. */
    private static boolean createSparse(String spec, Path path, long size) {
        try (FileChannel c = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.allocate(1), size - 1); // only the last block is allocated
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create '" + path + "' for spec '" + spec + "': " + e.getMessage());
        }
    }

    private static void deleteIf(boolean created, Path path) {
        if (created) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // best effort: the error being reported matters more
            }
        }
    }
}
