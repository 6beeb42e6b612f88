package io.tensorplane.dpu.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tensorplane.dpu.host.RecordedHost;
import io.tensorplane.engine.poll.CpuList;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packaged pod spec, seccomp profile and unit agree with the profile they name. */
class PackagingTest {
    static final Path DATA = Path.of("package/src/deb/data");

    @Test
    void podSpecRequestsWhatTheBlueField3ProfileUsesAndAllowsIoUring() throws IOException {
        JsonNode pod = new ObjectMapper(new YAMLFactory()).readTree(DATA.resolve("usr/share/tensorplane/pod/tensorplane-bluefield3.yaml").toFile());
        Profile p = Profiles.onTarget("bluefield3", new RecordedHost(ProfilesTest.recorded("bluefield3")));
        JsonNode spec = pod.get("spec");
        assertTrue(spec.get("hostNetwork").asBoolean());
        assertTrue(spec.get("hostPID").asBoolean(), "SNAP's process must be visible to the profile");
        List<JsonNode> containers = new ArrayList<>();
        spec.get("initContainers").forEach(containers::add);
        spec.get("containers").forEach(containers::add);
        assertEquals(2, containers.size());
        String cpus = String.valueOf(p.housekeeping().length + p.data().length);
        for (JsonNode c : containers) {
            JsonNode r = c.get("resources");
            assertEquals(r.get("requests"), r.get("limits"), c.get("name") + ": requests must equal limits (Guaranteed QoS)");
            assertEquals(cpus, r.get("limits").get("cpu").asText(), c.get("name") + " cpu vs profile CPUs " + CpuList.format(p.serviceCpus()));
            assertEquals((p.memoryMax() >> 20) + "Mi", r.get("limits").get("memory").asText(), c.get("name") + " memory");
            JsonNode sec = c.get("securityContext");
            assertEquals("Localhost", sec.get("seccompProfile").get("type").asText());
            assertTrue(Files.isRegularFile(DATA.resolve("usr/share/tensorplane/seccomp").resolve(sec.get("seccompProfile").get("localhostProfile").asText())));
            assertTrue(c.get("command").toString().contains("\"--profile\",\"bluefield3\""), c.get("command").toString());
        }
    }

    @Test
    void seccompProfileLetsIoUringThrough() throws IOException {
        JsonNode s = new ObjectMapper().readTree(DATA.resolve("usr/share/tensorplane/seccomp/tensorplane-io_uring.json").toFile());
        assertEquals("SCMP_ACT_ALLOW", s.get("defaultAction").asText());
        for (JsonNode rule : s.get("syscalls")) {
            for (JsonNode n : rule.get("names")) {
                assertFalse(n.asText().startsWith("io_uring"), "io_uring must not be refused: " + rule);
            }
        }
    }

    @Test
    void unitRunsPreflightFirstAndKeepsOnlyTheNeededCapabilities() throws IOException {
        String unit = Files.readString(DATA.resolve("lib/systemd/system/tensorplane.service"));
        assertTrue(unit.contains("\nExecStartPre=/usr/bin/tensorplane preflight --profile ${TENSORPLANE_PROFILE}\n"), unit);
        assertTrue(unit.contains("\nCapabilityBoundingSet=CAP_SYS_ADMIN CAP_IPC_LOCK CAP_SYS_NICE\n"), unit);
        assertTrue(unit.contains("\nRestart=on-failure\n") && unit.contains("\nKillSignal=SIGTERM\n"), unit);
        assertTrue(unit.contains("io_uring_setup io_uring_enter io_uring_register"), unit);
    }
}
