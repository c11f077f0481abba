package io.viaemu.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
 * {@link WorkerMain}) and the configuration as {@code --via.*} arguments.
 */
public final class WorkerLauncher {
    /** Environment variable naming the launching parent as {@code pid:startMillis}. */
    public static final String PARENT_ENV = "VIA_EMU_PARENT";

    public List<String> command(ViaConfig config, String endpoint, long workerId) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(JvmOptions.channelOptions());
        cmd.addAll(config.workerJvmOptions());
        if (config.workerCommand() != null) {
            cmd.addAll(config.workerCommand());
        } else {
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(WorkerMain.class.getName());
        }
        cmd.addAll(ConfigArgs.toArgs(config, endpoint));
        cmd.add("--" + ConfigArgs.WORKER_ID + "=" + Layout.idString(workerId));
        return cmd;
    }

    public Process launch(ViaConfig config, String endpoint, long workerId) throws IOException {
        Path logs = Layout.logsDir(config.baseDir(), endpoint);
        FilePermissions.createPrivateDirectories(logs);
        Path log = logs.resolve("worker-" + Layout.idString(workerId) + ".log");
        Files.write(log, new byte[0]); // the redirect keeps an existing file's mode: make it owner-only first
        FilePermissions.makePrivate(log);
        ProcessBuilder pb = new ProcessBuilder(command(config, endpoint, workerId));
        // Who the parent is, exactly (pid and start time): ProcessHandle.parent() in the worker would name init if
        // the parent died before the worker asked, and an idle worker must exit when its parent is gone.
        pb.environment().put(PARENT_ENV, Processes.currentPid() + ":" + Processes.currentStart());
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        return pb.start();
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
