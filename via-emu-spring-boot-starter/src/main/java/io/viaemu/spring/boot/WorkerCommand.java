package io.viaemu.spring.boot;

import java.io.File;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * The program a worker JVM runs ({@link io.viaemu.ViaConfig#workerCommand()}): this same Spring Boot application,
 * without a web server. The launcher puts the java binary and JVM options in front and the {@code --via.*}
 * arguments (worker id included) after it.
 * <ul>
 * <li>{@code java -jar app.jar}: {@code -jar app.jar} (a Spring Boot fat jar cannot be put on {@code -cp});</li>
 * <li>started through a Spring Boot loader class ({@code java -cp app.jar ...JarLauncher}): that class again;</li>
 * <li>otherwise {@code -cp <java.class.path> <main class>}, the main class being the
 * {@code @SpringBootConfiguration} class that has a {@code main} method, else the JVM's own main class.</li>
 * </ul>
 * Then {@value #NO_WEB_SERVER}, the active profiles and the configuration locations (see
 * {@link #FORWARDED_PROPERTIES}).
 */
public final class WorkerCommand {
    /** Workers serve one via-emu connection; a web server (and its port) would clash with the parent's. */
    public static final String NO_WEB_SERVER = "--spring.main.web-application-type=none";
    /** Trimmed workers print no banner. */
    static final String NO_BANNER = "--spring.main.banner-mode=off";
    private static final String BOOT_LOADER_PACKAGE = "org.springframework.boot.loader.";
    /**
     * Where the parent found its configuration: a worker must read the same files. Other command-line arguments
     * of the parent are not forwarded (its {@code --server.port}, say, means nothing to a worker); the via.*
     * settings reach workers through the launcher's own arguments, and environment variables are inherited.
     */
    static final List<String> FORWARDED_PROPERTIES = List.of("spring.config.location",
            "spring.config.additional-location", "spring.config.name");

    /** The worker-trimming lists ({@code WorkerTrimFilter}), forwarded comma-separated. */
    static final List<String> TRIM_LISTS = List.of("via.worker.trim.exclude", "via.worker.trim.keep");

    private WorkerCommand() {
    }

    /**
     * Infers the command from this JVM and the application context.
     *
     * @return empty if no main class can be found
     */
    public static Optional<List<String>> infer(ConfigurableListableBeanFactory beanFactory, Environment environment) {
        List<String> forwarded = new ArrayList<>();
        if (environment.getActiveProfiles().length > 0) {
            // workers must see the same beans (handlers) and configuration as their parent
            forwarded.add("--spring.profiles.active=" + String.join(",", environment.getActiveProfiles()));
        }
        for (String key : FORWARDED_PROPERTIES) {
            String value = environment.getProperty(key);
            if (value != null) {
                forwarded.add("--" + key + "=" + value);
            }
        }
        if (environment.getProperty("via.worker.trim.enabled", Boolean.class, true)) {
            forwarded.add(NO_BANNER); // a worker's log is read for what it did, the banner is noise there
        }
        // The worker decides its trimmed boot from its own environment before any bean exists; it reads the same
        // configuration files, but what the parent got on its command line must be passed on.
        String trim = environment.getProperty("via.worker.trim.enabled");
        if (trim != null) {
            forwarded.add("--via.worker.trim.enabled=" + trim);
        }
        for (String key : TRIM_LISTS) {
            List<String> values = Binder.get(environment).bind(key, Bindable.listOf(String.class)).orElse(List.of());
            if (!values.isEmpty()) {
                forwarded.add("--" + key + "=" + String.join(",", values));
            }
        }
        return infer(System.getProperty("java.class.path", ""), System.getProperty("sun.java.command", ""),
                bootConfigurationMainClass(beanFactory), forwarded);
    }

    /** The inference on explicit inputs (testable without starting JVMs). */
    static Optional<List<String>> infer(String classPath, String javaCommand, String bootMainClass,
            List<String> forwardedArgs) {
        List<String> program = new ArrayList<>();
        String jvmMain = javaCommand.isBlank() ? "" : javaCommand.strip().split("\\s+")[0];
        if (isJarLaunch(classPath, javaCommand)) {
            program.add("-jar");
            program.add(Path.of(classPath).toAbsolutePath().toString());
        } else if (jvmMain.startsWith(BOOT_LOADER_PACKAGE)) {
            program.addAll(List.of("-cp", absoluteClassPath(classPath), jvmMain));
        } else if (bootMainClass != null) {
            program.addAll(List.of("-cp", absoluteClassPath(classPath), bootMainClass));
        } else if (!jvmMain.isEmpty() && !jvmMain.endsWith(".jar") && hasMainMethod(jvmMain)) {
            program.addAll(List.of("-cp", absoluteClassPath(classPath), jvmMain));
        } else {
            return Optional.empty();
        }
        program.add(NO_WEB_SERVER);
        program.addAll(forwardedArgs);
        return Optional.of(program);
    }

    /** {@code java -jar x.jar}: the class path is exactly the jar the command starts with. */
    private static boolean isJarLaunch(String classPath, String javaCommand) {
        return classPath.endsWith(".jar") && !classPath.contains(File.pathSeparator)
                && javaCommand.strip().startsWith(classPath);
    }

    /** Workers start in the parent's working directory, but absolute entries survive a later change of it. */
    private static String absoluteClassPath(String classPath) {
        List<String> entries = new ArrayList<>();
        for (String e : classPath.split(File.pathSeparator)) {
            if (!e.isEmpty()) {
                entries.add(Path.of(e).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /** The {@code @SpringBootConfiguration} bean's class if it declares {@code public static void main(String[])}. */
    static String bootMainClass(Class<?> c) {
        return c != null && hasMainMethod(c) ? c.getName() : null;
    }

    private static String bootConfigurationMainClass(ConfigurableListableBeanFactory beanFactory) {
        for (String name : beanFactory.getBeanNamesForAnnotation(SpringBootConfiguration.class)) {
            // getType does not create the bean; getUserClass strips the CGLIB subclass of a @Configuration
            Class<?> type = beanFactory.getType(name, false);
            String main = bootMainClass(type == null ? null : ClassUtils.getUserClass(type));
            if (main != null) {
                return main;
            }
        }
        return null;
    }

    private static boolean hasMainMethod(String className) {
        try {
            return hasMainMethod(ClassUtils.forName(className, WorkerCommand.class.getClassLoader()));
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static boolean hasMainMethod(Class<?> c) {
        try {
            Method m = c.getDeclaredMethod("main", String[].class);
            return Modifier.isStatic(m.getModifiers()) && Modifier.isPublic(m.getModifiers());
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
