package io.viaemu.aeron;

import java.nio.file.Path;
import java.util.List;

import io.viaemu.testing.JvmProcess;

/** Separate JVMs inside a network namespace: the core's {@link JvmProcess}, started by {@code ip netns exec NS}. */
final class NsJvm {
    private NsJvm() {
    }

    static JvmProcess start(String ns, Path logDir, String name, List<String> jvmOptions, Class<?> mainClass,
            String... args) {
        return JvmProcess.startWrapped(cmd -> NetnsPair.inNamespace(ns, cmd), logDir, name, jvmOptions, mainClass,
                args);
    }
}
