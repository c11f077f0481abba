package io.viaemu.nio.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** What the tests need to switch an unchanged program over: a rules file and the agent jar. */
final class NioSwitchOver {
    private NioSwitchOver() {
    }

    /** Writes {@code rules} (after a base-dir line) to {@code dir/via.conf}. */
    static Path rulesFile(Path dir, Path base, String... rules) throws IOException {
        StringBuilder sb = new StringBuilder("# via-emu rules of this test\nbase-dir ").append(base).append('\n');
        for (String r : rules) {
            sb.append(r).append('\n');
        }
        return Files.writeString(dir.resolve("via.conf"), sb.toString());
    }

    /**
     * The agent jar: a manifest naming {@code io.viaemu.nio.ViaAgent} as Premain-Class, the class itself from the
     * class path (what the module's packaged jar carries, which the reactor's test phase has not built yet).
     */
    static Path agentJar(Path dir) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(new Attributes.Name("Premain-Class"), "io.viaemu.nio.ViaAgent");
        Path jar = dir.resolve("via-emu-agent.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
        return jar;
    }

    /** The JVM options that switch a program over: the rules file, and the agent for classic sockets. */
    static List<String> options(Path rules, Path agentJar) {
        return agentJar == null ? List.of("-Dvia.conf=" + rules)
                : List.of("-javaagent:" + agentJar, "-Dvia.conf=" + rules);
    }
}
