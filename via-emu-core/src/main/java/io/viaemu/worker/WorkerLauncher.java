package io.viaemu.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.viaemu.ViaConfig;
import io.viaemu.internal.ConfigArgs;
import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.JvmOptions;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Processes;

/**
 * Starts worker JVMs: Java cannot fork, so the "fork" of the original design is a new JVM running the same
 * application in worker mode. The command is this JVM's java binary, the channel's JVM options, the configured
 * extra options, the worker program ({@link ViaConfig#workerCommand()}, by default this classpath and
 * {@link WorkerMain}) and the configuration as {@code --via.*} arguments. Workers share the classes earlier
 * workers loaded ({@link ClassDataSharing}): a cold start maps them instead of loading them again.
 */
public final class WorkerLauncher {
    /** Environment variable naming the launching parent as {@code pid:startMillis}. */
    public static final String PARENT_ENV = "VIA_EMU_PARENT";

    public List<String> command(ViaConfig config, String endpoint, long workerId) {
        return command(config, endpoint, workerId, List.of());
    }

    private List<String> command(ViaConfig config, String endpoint, long workerId, List<String> sharingOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(jvmOptions(config, !sharingOptions.isEmpty()));
        cmd.addAll(sharingOptions);
        cmd.addAll(program(config));
        cmd.addAll(ConfigArgs.toArgs(config, endpoint));
        cmd.add("--" + ConfigArgs.WORKER_ID + "=" + Layout.idString(workerId));
        return cmd;
    }

    /**
     * The channel's options and the configured ones. With class-data sharing an {@code -Xshare:auto} is left out:
     * it is the default anyway, and JDK 24+ refuses it beside {@code -XX:AOTCacheOutput}.
     */
    private static List<String> jvmOptions(ViaConfig config, boolean sharing) {
        List<String> options = new ArrayList<>(JvmOptions.channelOptions());
        for (String o : config.workerJvmOptions()) {
            if (!(sharing && o.equals("-Xshare:auto"))) {
                options.add(o);
            }
        }
        return options;
    }

    private static List<String> program(ViaConfig config) {
        if (config.workerCommand() != null) {
            return config.workerCommand();
        }
        return List.of("-cp", System.getProperty("java.class.path"), WorkerMain.class.getName());
    }

    public Process launch(ViaConfig config, String endpoint, long workerId) throws IOException {
        Path logs = Layout.logsDir(config.baseDir(), endpoint);
        FilePermissions.createPrivateDirectories(logs);
        Path log = logs.resolve("worker-" + Layout.idString(workerId) + ".log");
        Files.write(log, new byte[0]); // the redirect keeps an existing file's mode: make it owner-only first
        FilePermissions.makePrivate(log);
        ClassDataSharing sharing = new ClassDataSharing(config.baseDir(), Runtime.version().feature());
        Optional<ClassDataSharing.Plan> plan = config.workerClassDataSharing()
                ? sharing.plan(jvmOptions(config, true), program(config), workerId) : Optional.empty();
        ProcessBuilder pb = new ProcessBuilder(command(config, endpoint, workerId,
                plan.map(x -> x.jvmOptions).orElse(List.of())));
        // Who the parent is, exactly (pid and start time): ProcessHandle.parent() in the worker would name init if
        // the parent died before the worker asked, and an idle worker must exit when its parent is gone.
        pb.environment().put(PARENT_ENV, Processes.currentPid() + ":" + Processes.currentStart());
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        Process process = pb.start();
        plan.ifPresent(x -> process.onExit().thenAccept(p -> sharing.onExit(x, p.exitValue())));
        return process;
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
