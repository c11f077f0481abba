package io.viaemu.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.viaemu.ViaSetupException;

/**
 * The JVM options every via-emu process needs, from the one list in {@code META-INF/via-emu/jvm.args} (also the
 * build's and the README's @argfile), plus what depends on the running JDK; and the check, made by every entry point,
 * that this JVM was started with them.
 */
public final class JvmOptions {
    public static final String RESOURCE = "META-INF/via-emu/jvm.args";

    private static final String ADD_OPENS = "--add-opens=";
    private static final String ADD_EXPORTS = "--add-exports=";

    /** Null until the first check; then the message of the failure, or "" when nothing is missing. */
    private static volatile String setupProblem;

    private JvmOptions() {
    }

    public static List<String> channelOptions() {
        List<String> options = listed();
        if (Runtime.version().feature() >= 24) {
            // JDK 24+ warns on every sun.misc.Unsafe memory access Chronicle makes; JDK 17 rejects this flag.
            options.add("--sun-misc-unsafe-memory-access=allow");
        }
        return options;
    }

    /**
     * Fails, before Chronicle is touched, if this JVM lacks an {@code --add-opens} or {@code --add-exports} of the list:
     * without them Chronicle's first file mapping throws an {@link AssertionError} ("IllegalAccessException: member
     * is private: sun.nio.ch.FileChannelImpl.map0") that escapes code expecting an IOException (a server's accept
     * thread dies, its start() waits forever). Also sets the list's system properties (Chronicle's analytics and
     * routine log switches) that the user has not set. Checked once per JVM; cheap afterwards.
     */
    public static void checkRequired() throws ViaSetupException {
        String problem = setupProblem;
        if (problem == null) {
            synchronized (JvmOptions.class) {
                problem = setupProblem;
                if (problem == null) {
                    List<String> listed = listed();
                    applyDefaultProperties(listed);
                    List<String> missing = missing(listed, chronicleModule());
                    problem = missing.isEmpty() ? "" : message(missing);
                    setupProblem = problem;
                }
            }
        }
        if (!problem.isEmpty()) {
            throw new ViaSetupException(problem);
        }
    }

    /** The module options of {@code listed} that this JVM does not grant {@code target}. */
    static List<String> missing(List<String> listed, Module target) {
        List<String> missing = new ArrayList<>();
        for (String option : listed) {
            boolean opens = option.startsWith(ADD_OPENS);
            if (!opens && !option.startsWith(ADD_EXPORTS)) {
                continue; // --enable-native-access and the like: JDK 17 cannot ask, and only warnings depend on them
            }
            // --add-opens=MODULE/PACKAGE=TARGET
            String spec = option.substring(opens ? ADD_OPENS.length() : ADD_EXPORTS.length());
            int slash = spec.indexOf('/');
            int eq = spec.indexOf('=', slash + 1);
            if (slash <= 0 || eq <= slash + 1) {
                continue;
            }
            Optional<Module> module = ModuleLayer.boot().findModule(spec.substring(0, slash));
            String pkg = spec.substring(slash + 1, eq);
            boolean granted = module.isPresent() && module.get().getPackages().contains(pkg)
                    && (opens ? module.get().isOpen(pkg, target) : module.get().isExported(pkg, target));
            if (!granted) {
                missing.add(option);
            }
        }
        return missing;
    }

    private static String message(List<String> missing) {
        URL where = JvmOptions.class.getClassLoader().getResource(RESOURCE);
        return "via-emu cannot run in this JVM: it was started without the JVM options Chronicle Queue needs to map"
                + " files (" + String.join(" ", missing) + "). Start java with every option listed in " + RESOURCE
                + " of via-emu-core" + (where == null ? "" : " (" + where + ")")
                + ", for example java @via-emu-core/src/main/resources/" + RESOURCE + " ...";
    }

    /** {@code -Dkey=value} lines of the list that the user did not set, so they hold without the @argfile too. */
    private static void applyDefaultProperties(List<String> listed) {
        for (String option : listed) {
            int eq = option.indexOf('=');
            if (option.startsWith("-D") && eq > 2) {
                String key = option.substring(2, eq);
                if (System.getProperty(key) == null) {
                    System.setProperty(key, option.substring(eq + 1));
                }
            }
        }
    }

    private static Module chronicleModule() {
        try {
            // Chronicle is what reaches into the JDK; false: do not initialise it (its static setup reads properties)
            return Class.forName("net.openhft.chronicle.core.Jvm", false, JvmOptions.class.getClassLoader())
                    .getModule();
        } catch (ClassNotFoundException e) {
            return JvmOptions.class.getModule();
        }
    }

    private static List<String> listed() {
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
        return options;
    }
}
