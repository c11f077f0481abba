package io.viaemu.faults;

import static io.viaemu.faults.Faults.EP;

import java.util.Map;

import io.viaemu.ViaConfig;
import io.viaemu.testapp.FaultConfigs;
import io.viaemu.testapp.FaultServerMain;
import io.viaemu.testing.SeparateProcessTest;

/** Process tests against a {@link FaultServerMain} on endpoint {@link Faults#EP}. */
abstract class FaultProcessTest extends SeparateProcessTest {

    /**
     * Starts the fault server ({@code server}) in {@code mode} (ECHO, FORK-ECHO, FORK-CLOSE, ...) with the
     * configuration {@code props} describe; returns that configuration for this JVM's clients.
     */
    protected ViaConfig startFaultServer(Map<String, String> props, String mode) throws Exception {
        server = Faults.startServer(tmp, "server", props, FaultServerMain.class, base.toString(), EP, mode);
        return FaultConfigs.config(base, props);
    }
}
