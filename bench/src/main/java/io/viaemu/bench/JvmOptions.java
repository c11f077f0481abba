package io.viaemu.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The JVM options of every peer: the project's one options file ({@code jvm.args}), from system property
 * {@code via.jvmArgsFile} or else from classpath resource {@code META-INF/via-emu/jvm.args}, without comment and
 * blank lines; plus {@code --sun-misc-unsafe-memory-access=allow} on JDK 24+ (JDK 17 rejects that flag).
 */
record JvmOptions(List<String> options, String source) {

    static final String PROPERTY = "via.jvmArgsFile";
    static final String RESOURCE = "META-INF/via-emu/jvm.args";
    static final String UNSAFE_FLAG = "--sun-misc-unsafe-memory-access=allow";

    static JvmOptions load() {
        String file = System.getProperty(PROPERTY);
        List<String> lines;
        String source;
        try {
            if (file != null && !file.isBlank()) {
                source = file;
                lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
            } else {
                try (InputStream in = JvmOptions.class.getClassLoader().getResourceAsStream(RESOURCE)) {
                    if (in == null) {
                        throw new IllegalStateException("JVM options file not found: set -D" + PROPERTY
                                + "=<path to jvm.args> or put " + RESOURCE + " on the classpath");
                    }
                    source = "classpath:" + RESOURCE;
                    lines = Arrays.asList(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\R"));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read JVM options from " + file, e);
        }
        return new JvmOptions(parse(lines), source);
    }

    static List<String> parse(List<String> lines) {
        List<String> options = new ArrayList<>();
        for (String line : lines) {
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            // The file is a java @argfile; ours has plain, unquoted options (one or more per line).
            options.addAll(Arrays.asList(trimmed.split("\\s+")));
        }
        if (Runtime.version().feature() >= 24 && !options.contains(UNSAFE_FLAG)) {
            options.add(UNSAFE_FLAG);
        }
        return List.copyOf(options);
    }
}
