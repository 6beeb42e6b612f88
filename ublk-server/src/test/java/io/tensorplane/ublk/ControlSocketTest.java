package io.tensorplane.ublk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The line protocol 'ublk resize' and 'ublk upgrade' use to reach a server, over a real Unix socket. */
class ControlSocketTest {

    @Test
    void oneRequestLineOneReplyLineAndErrorsAsReplies(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("7.sock");
        Files.writeString(p, "left over by a dead server");
        ControlSocket s = ControlSocket.listen(p, 7, request -> {
            if (request.equals("boom")) {
                throw new UblkException("cannot grow ublk device 7: no");
            }
            return "ok " + request.length();
        });
        try {
            assertEquals("ok 15", ControlSocket.ask(p, 7, "resize 67108864"));
            assertEquals("ok 15", ControlSocket.ask(p, 7, "resize 67108864"), "the server takes one client after another");
            assertEquals("error: cannot grow ublk device 7: no", ControlSocket.ask(p, 7, "boom"));
        } finally {
            s.close();
        }
        assertFalse(Files.exists(p), "closing removes the socket");
        UblkException e = assertThrows(UblkException.class, () -> ControlSocket.ask(p, 7, "upgrade"));
        assertTrue(e.getMessage().startsWith("cannot reach the server of ublk device 7 at " + p), e.getMessage());
    }
}
