package io.tensorplane.it.ublk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorplane.it.bed.ExecResult;
import io.tensorplane.it.bed.Guest;
import io.tensorplane.it.bed.TestbedTest;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The daemon ({@code serve --config}) with README's example file, in the test bed: a bad file fails before
 * anything starts; one device is served through ublk and NVMe/TCP at once (the kernel's NVMe/TCP host) and
 * what is written through one reads back through the other; the metrics endpoint names the devices and counts
 * the target's commands; SIGHUP adds a device with a ublk export and a namespace (the host sees it), removes a
 * namespace, refuses a changed spec and a file that does not validate; SIGTERM stops everything in order and ends
 * the trace. One guest.
 */
@TestbedTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UblkDaemonIT {
    private static final String NQN = "nqn.2026-01.io.tensorplane:disk1";
    private static final String CONFIG = "/tmp/serve.yaml";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String ublk;

    /** The status lines the daemon printed so far (one when serving, one per reload). */
    private static List<JsonNode> statuses(Guest guest) {
        return guest.log("daemon").lines().filter(l -> l.startsWith("{")).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).toList();
    }

    private static JsonNode awaitStatus(Guest guest, int n) {
        guest.runOk("for i in $(seq 900); do [ $(grep -c '^{' \"$TP_SHARE/daemon.log\") -ge " + n + " ] && exit 0;"
                + " grep -q 'daemon: stopped' \"$TP_SHARE/daemon.log\" && break; sleep 0.2; done;"
                + " cat \"$TP_SHARE/daemon.log\"; exit 1", Duration.ofSeconds(200));
        return statuses(guest).get(n - 1);
    }

    @BeforeAll
    static void start(Guest guest) {
        Ublk.loadDriver(guest);
        guest.runOk("tp_modprobe nvme-tcp && cp \"$TP_REPO/docs/examples/serve.yaml\" " + CONFIG + " && rm -rf /var/tmp/tensorplane-disk1.trace");
        guest.spawn("daemon", "exec " + Ublk.TP + " serve --config " + CONFIG);
        JsonNode s = awaitStatus(guest, 1);
        ublk = s.path("devices").get(0).path("ublk").asText();
        assertEquals("disk1", s.path("devices").get(0).path("name").asText(), s.toString());
        assertTrue(ublk.startsWith("/dev/ublkb"), s.toString());
        assertFalse(s.path("devices").get(1).has("ublk"), "slow has no ublk export: " + s);
        assertEquals("127.0.0.1:4420", s.path("nvmf").path("listen").get(0).asText());
    }

    @AfterAll
    static void cleanUp(Guest guest) {
        guest.run("nvme disconnect -n " + NQN + " >/dev/null 2>&1; true");
        guest.stop("daemon", Duration.ofSeconds(60));
        Ublk.cleanUp(guest);
    }

    @Test
    @Order(1)
    void aBadFileFailsBeforeAnythingStarts(Guest guest) {
        // (its own trace directory: the running daemon's is in use, and would be the first thing refused)
        guest.runOk("sed -e 's/- device: slow/- device: slow2/' -e 's#tensorplane-disk1.trace#bad.trace#' " + CONFIG + " > /tmp/bad.yaml");
        ExecResult r = Ublk.tp(guest, "serve --config /tmp/bad.yaml", Duration.ofMinutes(2));
        assertEquals(1, r.exitCode(), r.toString());
        assertEquals("tensorplane: config /tmp/bad.yaml: nvmf.subsystems[0].namespaces[1].device: no device named 'slow2' (devices: disk1, slow)",
                r.stderr().strip());
        assertEquals("", r.stdout().strip(), "nothing was served");
        guest.runOk("test $(ls /dev/ublkb* | wc -l) -eq 1 && ! test -e /var/tmp/bad.trace", Duration.ofSeconds(10)); // only the daemon's own
    }

    @Test
    @Order(2)
    void oneDeviceThroughUblkAndNvmeTcpAtOnce(Guest guest) {
        String out = guest.runOk(String.join("\n",
                "set -euo pipefail",
                "nvme=$(nvme_connect_tcp " + NQN + ")",
                "ns=($(nvme_nses_of " + NQN + "))",
                "test ${#ns[@]} -eq 2",
                "head -c 4M /dev/urandom > /tmp/a; head -c 4M /dev/urandom > /tmp/b",
                // through ublk, back through NVMe/TCP (both O_DIRECT: no page cache between them)
                "dd if=/tmp/a of=" + "$UBLK" + " bs=1M oflag=direct status=none",
                "dd if=${ns[0]} bs=1M count=4 iflag=direct status=none | cmp - /tmp/a",
                // through NVMe/TCP, back through ublk
                "dd if=/tmp/b of=${ns[0]} bs=1M seek=16 oflag=direct status=none",
                "dd if=$UBLK bs=1M skip=16 count=4 iflag=direct status=none | cmp - /tmp/b",
                // the second namespace is the emulated NAND device
                "dd if=/tmp/a of=${ns[1]} bs=1M oflag=direct status=none && dd if=${ns[1]} bs=1M count=4 iflag=direct status=none | cmp - /tmp/a",
                "python3 -c 'import urllib.request as u; print(u.urlopen(\"http://127.0.0.1:9464/metrics\").read().decode())' > /tmp/metrics",
                "grep -q 'tensorplane_io_ops_total{device=\"disk1\",op=\"write\"' /tmp/metrics",
                "grep -q 'tensorplane_io_ops_total{device=\"slow\",op=\"read\"' /tmp/metrics",
                // the target's own counters on the same endpoint: the kernel host's writes above
                "grep -Eq '^tensorplane_nvmf_writes_total [1-9]' /tmp/metrics",
                "echo both-ways").replace("$UBLK", ublk), Duration.ofMinutes(3)).out();
        assertTrue(out.endsWith("both-ways"), out);
    }

    @Test
    @Order(3)
    void sighupAppliesWhatCanChangeLiveAndRefusesTheRest(Guest guest) {
        // a device 'extra' with a ublk export and as namespace 3; slow's emulation changed (refused)
        guest.runOk("sed -i 's/latency: nand, seed: 7/latency: optane, seed: 7/' " + CONFIG
                + " && sed -i 's/^nvmf:/  extra: { spec: mem:64M, ublk: {} }\\nnvmf:/' " + CONFIG
                + " && printf '        - { device: extra, nsid: 3 }\\n' >> " + CONFIG
                + " && kill -HUP $(cat \"$TP_SHARE/daemon.pid\")");
        JsonNode s = awaitStatus(guest, 2);
        assertEquals(3, s.path("devices").size(), s.toString());
        String extra = s.path("devices").get(2).path("ublk").asText();
        assertTrue(extra.startsWith("/dev/ublkb") && !extra.equals(ublk), s.toString());
        assertEquals("[1,2,3]", s.path("nvmf").path("subsystems").get(0).path("nsids").toString());
        String log = guest.log("daemon");
        assertTrue(log.contains("reload: not applied: devices.slow: spec, trace and emulation cannot change live"), log);
        // the Linux host heard of namespace 3 (Namespace Attribute Changed) and rescanned
        guest.runOk("for i in $(seq 100); do [ $(nvme_nses_of " + NQN + " | wc -l) -eq 3 ] && exit 0; sleep 0.1; done;"
                + " nvme list; exit 1", Duration.ofSeconds(30));
        guest.runOk("test -b " + extra + " && dd if=/dev/zero of=" + extra + " bs=1M count=1 oflag=direct status=none");

        // a file that does not validate changes nothing
        guest.runOk("cp " + CONFIG + " /tmp/good.yaml && echo 'bogus: 1' >> " + CONFIG + " && kill -HUP $(cat \"$TP_SHARE/daemon.pid\")");
        guest.runOk("for i in $(seq 300); do grep -q 'reload refused, nothing changed' \"$TP_SHARE/daemon.log\" && exit 0; sleep 0.2; done; exit 1",
                Duration.ofSeconds(70));
        assertTrue(guest.log("daemon").contains("unknown field 'bogus'"), guest.log("daemon"));

        // namespace 2 (slow) and the extra export removed; slow's old emulation restored, so nothing is refused
        guest.runOk("sed -e '/- device: slow/d' -e 's/latency: optane/latency: nand/' -e 's/extra: { spec: mem:64M, ublk: {} }/extra: { spec: mem:64M }/' "
                + "/tmp/good.yaml > " + CONFIG + " && kill -HUP $(cat \"$TP_SHARE/daemon.pid\")");
        s = awaitStatus(guest, 3);
        assertEquals("[1,3]", s.path("nvmf").path("subsystems").get(0).path("nsids").toString(), s.toString());
        assertFalse(s.path("devices").get(2).has("ublk"), s.toString());
        guest.runOk("for i in $(seq 100); do [ $(nvme_nses_of " + NQN + " | wc -l) -eq 2 ] && exit 0; sleep 0.1; done; nvme list; exit 1",
                Duration.ofSeconds(30));
        guest.runOk("! test -e " + extra);
        String tail = guest.log("daemon");
        assertEquals(1, tail.split("reload: not applied", -1).length - 1, "only the first reload refused something:\n" + tail);
    }

    @Test
    @Order(4)
    void sigtermStopsInOrderAndEndsTheTrace(Guest guest) {
        guest.runOk("nvme_disconnect_nqn " + NQN);
        String log = guest.stop("daemon", Duration.ofSeconds(60));
        int unexport = log.indexOf("device disk1: ublk export " + ublk + " removed");
        int target = log.indexOf("nvmf target stopped");
        int closed = log.indexOf("device disk1 closed");
        int stopped = log.indexOf("daemon: stopped");
        assertTrue(unexport > 0 && target > unexport && closed > target && stopped > closed, "teardown order:\n" + log);
        assertFalse(log.contains("SEVERE") || log.contains("Exception"), log);
        guest.runOk("! test -e " + ublk);
        JsonNode stat;
        try {
            stat = JSON.readTree(Ublk.tp(guest, "trace stat /var/tmp/tensorplane-disk1.trace --json", Duration.ofMinutes(2)).assertOk().out());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertTrue(stat.path("complete").asBoolean(), "the trace was ended: " + stat);
        assertTrue(stat.path("ios").asLong() > 0, "ublk's and NVMe/TCP's I/O recorded: " + stat);
        assertTrue(stat.path("queues").size() >= 3, "ublk queues and event loops each their own channel: " + stat.path("queues"));
    }
}
