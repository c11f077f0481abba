package io.viaemu.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM options every via-emu process needs, from the one list in {@code META-INF/via-emu/jvm.args} (also the
 * build's and the README's @argfile), plus what depends on the running JDK.
 */
public final class JvmOptions {
    public static final String RESOURCE = "META-INF/via-emu/jvm.args";

    private JvmOptions() {
    }

    public static List<String> channelOptions() {
        List<String> options = new ArrayList<>();
        try (InputStream in = JvmOptions.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                line = line.trim();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    options.add(line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (Runtime.version().feature() >= 24) {
            // JDK 24+ warns on every sun.misc.Unsafe memory access Chronicle makes; JDK 17 rejects this flag.
            options.add("--sun-misc-unsafe-memory-access=allow");
        }
        return options;
    }
}
