package io.viaemu.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the figures were measured on. */
record Machine(int nproc, String cpuModel, String memory, String os, String jdk) {

    static Machine describe() {
        String cpu = "unknown";
        String memory = "unknown";
        try {
            List<String> cpuinfo = Files.readAllLines(Path.of("/proc/cpuinfo"));
            cpu = cpuinfo.stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
            memory = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .findFirst().map(l -> String.format("%.1f GiB",
                            Long.parseLong(l.replaceAll("\\D+", "")) / (1024.0 * 1024.0)))
                    .orElse("unknown");
        } catch (IOException | RuntimeException e) {
            // not Linux: keep "unknown"
        }
        String os = System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch");
        String jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + ")";
        return new Machine(Runtime.getRuntime().availableProcessors(), cpu, memory, os, jdk);
    }

    /** The 1-minute load average (Linux), or NaN: anything else running on the machine perturbs the figures. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
