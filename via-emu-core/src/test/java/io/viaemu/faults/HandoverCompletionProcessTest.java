package io.viaemu.faults;

import static io.viaemu.faults.Faults.EP;
import static io.viaemu.faults.Faults.STEP;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.testapp.FaultConfigs;
import org.junit.jupiter.api.Test;

/**
 * {@code ParentConnection.handoverCompletion()} in a real parent: the stage the server registers on right after the
 * fork completes with the trigger when the handover completed (S13), and exceptionally when the fork is undone by
 * the child's death before any trigger; each completed by the thread that saw the outcome, without polling.
 */
class HandoverCompletionProcessTest extends FaultProcessTest {

    @Test
    void theStageCompletesWithTheTriggerOnceTheHandoverCompleted() throws Exception {
        Map<String, String> props = FaultConfigs.props("triggers", "T1", "out", out.toString());
        ViaConfig config = startFaultServer(props, "FORK-CLOSE");
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            server.awaitOutput("CLOSED handedOver=true", STEP);
            String line = Faults.line(server.awaitOutput("HANDOVER-STAGE", STEP).output(), "HANDOVER-STAGE");
            assertThat(line).startsWith("HANDOVER-STAGE completed T1_PARENT_CLOSE on ");
        }
    }

    @Test
    void theStageFailsWhenTheChildDiesBeforeAnyTrigger() throws Exception {
        Map<String, String> props = FaultConfigs.props("triggers", "T1", "out", out.toString());
        ViaConfig config = startFaultServer(props, "FORK-ECHO");
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            String forked = Faults.line(server.awaitOutput("FORKED child=", STEP).output(), "FORKED child=");
            long childPid = Long.parseLong(forked.substring("FORKED child=".length()).trim());
            ProcessHandle child = ProcessHandle.of(childPid).orElseThrow();
            child.destroyForcibly();
            child.onExit().get(10, TimeUnit.SECONDS);
            String line = Faults.line(server.awaitOutput("HANDOVER-STAGE", Duration.ofSeconds(10)).output(),
                    "HANDOVER-STAGE");
            assertThat(line).startsWith("HANDOVER-STAGE failed connection " + c.id()
                    + ": the child exited before a trigger fired");
            assertThat(server.output()).doesNotContain("HANDOVER-STAGE completed");
        }
    }
}
