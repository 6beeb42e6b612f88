package io.tensorplane.it.smoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.TestbedTest;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the bed promises every IT: repository, tools, writable /tmp, file systems, the share, time limits, spawn. */
@TestbedTest
class GuestEnvironmentIT {

    @Test
    void seesTheRepositoryTheLauncherJarAndTheHostTools(Guest guest) {
        assertEquals(guest.repoRoot().toString(), guest.runOk("echo \"$TP_REPO\"; test -f \"$TP_REPO/it/testbed/guest-lib.sh\"").out());
        assertEquals(guest.launcherJar().toString(), guest.runOk("echo \"$TP_JAR\"").out());
        guest.runOk("command -v fio nvme mkfs.xfs mkfs.ext4 java modprobe");
        assertTrue(guest.runOk("java -version 2>&1", Duration.ofSeconds(60)).out().contains("17."), "java 17 expected");
    }

    @Test
    void tmpHoldsAFewHundredMegabytesAndXfsAndExt4Mount(Guest guest) {
        guest.runOk("truncate -s 400M /tmp/fs.img && mkfs.xfs -q -f /tmp/fs.img && mkdir -p /mnt/x && mount -o loop /tmp/fs.img /mnt/x"
                + " && dd if=/dev/zero of=/mnt/x/f bs=1M count=200 status=none && umount /mnt/x"
                + " && mkfs.ext4 -q -F /tmp/fs.img && mount -o loop /tmp/fs.img /mnt/x && umount /mnt/x && rm /tmp/fs.img",
                Duration.ofSeconds(120));
    }

    @Test
    void resultsComeBackThroughTheShare(Guest guest) throws Exception {
        assertEquals("hello", guest.runOk("echo hello > \"$TP_SHARE/hello.txt\" && cat \"$TP_SHARE/hello.txt\"").out());
        assertEquals("hello\n", Files.readString(guest.share().resolve("hello.txt")));
        guest.runOk("mkdir -p /tmp/res && echo 42 > /tmp/res/answer");
        assertEquals("42\n", Files.readString(guest.copyOut("/tmp/res", "res").resolve("answer")));
    }

    @Test
    void exitCodesOutputsAndTimeLimitsComeBack(Guest guest) {
        ExecResult r = guest.run("echo out; echo err >&2; exit 3");
        assertEquals(3, r.exitCode());
        assertEquals("out", r.out());
        assertEquals("err\n", r.stderr());
        ExecResult slow = guest.run("sleep 30", Duration.ofSeconds(2));
        assertTrue(slow.timedOut(), slow.toString());
    }

    @Test
    void spawnedCommandsRunInTheBackgroundUntilStopped(Guest guest) {
        int pid = guest.spawn("ticker", "while :; do echo tick; sleep 0.2; done");
        guest.runOk("sleep 1; kill -0 " + pid);
        String log = guest.stop("ticker");
        assertTrue(log.contains("tick"), "spawned command wrote nothing: " + log);
        assertEquals(1, guest.run("kill -0 " + pid + " 2>/dev/null").exitCode(), "spawned command still runs");
    }
}
