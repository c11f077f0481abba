package io.viaemu.testapp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;

import io.viaemu.Trigger;
import io.viaemu.ViaConfig;

/** The configuration the test processes share, from program arguments {@code base triggers [poolSize]}. */
public final class TestConfigs {
    private TestConfigs() {
    }

    /** Triggers as "T1,T3" or "none". */
    public static EnumSet<Trigger> triggers(String spec) {
        EnumSet<Trigger> set = EnumSet.noneOf(Trigger.class);
        if (!spec.equals("none")) {
            for (String t : spec.split(",")) {
                for (Trigger tr : Trigger.values()) {
                    if (tr.name().startsWith(t.trim() + "_")) {
                        set.add(tr);
                    }
                }
            }
        }
        return set;
    }

    public static ViaConfig config(Path base, String triggers, int poolSize) {
        return ViaConfig.builder(base)
                .sendWindow(Long.getLong("via.test.window", 4L << 20))
                .triggers(triggers(triggers))
                .workerPoolSize(poolSize)
                .handoverTimeout(Duration.ofSeconds(5))
                .childStartTimeout(Duration.ofSeconds(30))
                .retention(Duration.ofHours(1)) // keep flag blocks so tests can read them afterwards
                .workerJvmOptions(List.of("-Dvia.test.out=" + System.getProperty("via.test.out", ""),
                        "-Dvia.test.childSendsFirst=" + System.getProperty("via.test.childSendsFirst", "false"),
                        "-Xshare:auto", "-XX:TieredStopAtLevel=1"))
                .build();
    }
}
