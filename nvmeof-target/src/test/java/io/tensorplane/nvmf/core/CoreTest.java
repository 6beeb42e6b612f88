package io.tensorplane.nvmf.core;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Devices;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.nvmf.fabrics.ConnectData;
import io.tensorplane.nvmf.fabrics.FabricsCommands;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.subsystem.Namespace;
import io.tensorplane.nvmf.subsystem.Registry;
import io.tensorplane.nvmf.subsystem.Subsystem;
import io.tensorplane.nvmf.subsystem.TargetOptions;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transport-neutral core without a socket or Netty: a queue pair of plain memory drives Connect, the enable
 * handshake, Identify and engine reads and writes through the {@link Dispatcher}.
 */
class CoreTest {
    static final String NQN = "nqn.2026-01.io.tensorplane:core";
    static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:44444444-5555-6666-7777-888888888888";
    final BlockDevice mem = Devices.open("mem:1M");
    final Registry registry = new Registry(new TargetOptions());
    final List<IoChannel> channels = new ArrayList<>();

    CoreTest() {
        registry.add(new Subsystem(NQN, false, List.of(new Namespace(NQN, 1, mem, null, 0)), List.of()));
    }

    @AfterEach
    void close() {
        channels.forEach(IoChannel::close);
        mem.close();
    }

    /** Completions land in a list; the reply and host data live in direct buffers of their own. */
    final class MemoryQueue implements QueuePair {
        final QueueState state = new QueueState(registry);
        final Stats stats = new Stats();
        final List<long[]> completions = new ArrayList<>();
        final UnsafeBuffer reply = new UnsafeBuffer(ByteBuffer.allocateDirect(8192));
        final Request slot = new Request(this, 0) {
        };
        int replyLength = -1;
        IoChannel channel;

        @Override public QueueState state() { return state; }
        @Override public void connected(Controller c, int qid, int size, boolean noFlow) { state.connected(c, qid, size, noFlow); }
        @Override public void complete(Request r, int status, long result) { completions.add(new long[] {status, result}); r.release(); }
        @Override public MutableDirectBuffer reply(Request r, int length) { return new UnsafeBuffer(reply, 0, length); }
        @Override public long replyAddress(Request r) { return reply.addressOffset(); }
        @Override public void completeWithData(Request r, int length) { replyLength = length; complete(r, 0, 0); }
        @Override public void sendData(Request r, int length) { throw new AssertionError("no transfer here is longer than a piece"); }
        @Override public void requestData(Request r, int offset, int length) { throw new AssertionError("no transfer here is longer than a piece"); }
        @Override public void close() { }
        @Override public boolean isClosed() { return false; }
        @Override public void execute(Runnable task) { task.run(); }
        @Override public Timer every(long periodMillis, Runnable task) { return () -> { }; }
        @Override public Stats stats() { return stats; }
        @Override public String peer() { return "memory"; }
        @Override public SocketAddress localAddress() { return new InetSocketAddress(4420); }
        @Override public void submitted(IoChannel ch) { ch.poll(); }

        @Override
        public IoChannel channel(Namespace ns) {
            if (channel == null) {
                channel = ns.device().openChannel();
                channels.add(channel);
            }
            return channel;
        }

        @Override
        public void complete(long tag, int result) {
            if (slot.isCurrent(tag)) {
                Dispatcher.completed(slot, result);
            }
        }

        /** Runs one command; returns {status, result}. */
        long[] run(int opcode, int fctypeOrNsid, int[] cdw, UnsafeBuffer data, int sglLength) {
            UnsafeBuffer sqe = new UnsafeBuffer(new byte[64]);
            Sqe.Encoder e = new Sqe.Encoder().wrap(sqe, 0).opcode(opcode).cid(1).nsid(fctypeOrNsid)
                    .sgl(0, sglLength, data != null ? Sqe.SGL_INCAPSULE : Sqe.SGL_TRANSPORT);
            for (int i = 0; i < cdw.length; i++) {
                e.cdw(10 + i, cdw[i]);
            }
            slot.start(new Sqe.Decoder().wrap(sqe, 0));
            if (data != null) {
                slot.attachData(data.addressOffset(), data.capacity());
            }
            int before = completions.size();
            Dispatcher.execute(this, slot);
            assertEquals(before + 1, completions.size(), "one completion");
            return completions.get(before);
        }
    }

    private UnsafeBuffer connectData(int cntlid) {
        UnsafeBuffer d = new UnsafeBuffer(ByteBuffer.allocateDirect(ConnectData.SIZE));
        d.setMemory(0, ConnectData.SIZE, (byte) 0);
        d.putShort(ConnectData.CNTLID, (short) cntlid, ByteOrder.LITTLE_ENDIAN);
        d.putBytes(ConnectData.SUBSYSNQN, NQN.getBytes(StandardCharsets.UTF_8));
        d.putBytes(ConnectData.HOSTNQN, HOST.getBytes(StandardCharsets.UTF_8));
        return d;
    }

    @Test
    void connectEnableIdentifyWriteRead() {
        MemoryQueue admin = new MemoryQueue();
        long[] c = admin.run(FabricsCommands.OPCODE, FabricsCommands.CONNECT, new int[] {0, 31}, connectData(0xffff), ConnectData.SIZE);
        assertEquals(0, c[0], "connect");
        int cntlid = (int) c[1];
        assertEquals(0, admin.run(FabricsCommands.OPCODE, FabricsCommands.PROPERTY_SET, new int[] {0, 0x14, (6 << 16) | (4 << 20) | 1},
                null, 0)[0], "enable");
        assertTrue(admin.state().controller().ready());
        assertEquals(0, admin.run(0x06, 0, new int[] {1}, null, 4096)[0], "identify controller");
        assertEquals(4096, admin.replyLength);
        assertEquals(cntlid, admin.reply.getShort(78, ByteOrder.LITTLE_ENDIAN) & 0xffff);
        assertEquals(Status.INVALID_OPCODE | Status.DNR, admin.run(0x33, 0, new int[0], null, 0)[0]);

        MemoryQueue io = new MemoryQueue();
        assertEquals(0, io.run(FabricsCommands.OPCODE, FabricsCommands.CONNECT, new int[] {1 << 16, 31}, connectData(cntlid),
                ConnectData.SIZE)[0], "I/O queue connect");
        UnsafeBuffer block = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
        for (int i = 0; i < 512; i++) {
            block.putByte(i, (byte) (i * 13));
        }
        assertEquals(0, io.run(0x01, 1, new int[] {5, 0, 0}, block, 512)[0], "write");
        assertEquals(0, io.run(0x02, 1, new int[] {5, 0, 0}, null, 512)[0], "read");
        assertEquals(512, io.replyLength);
        for (int i = 0; i < 512; i++) {
            assertEquals(block.getByte(i), io.reply.getByte(i));
        }
        assertEquals(Status.LBA_RANGE | Status.DNR, io.run(0x02, 1, new int[] {2047, 0, 1}, null, 1024)[0]);
        assertEquals(Status.INVALID_NS | Status.DNR, io.run(0x02, 9, new int[] {0, 0, 0}, null, 512)[0]);
        assertEquals(2, io.stats.reads + io.stats.writes);
    }
}
