package io.viaemu.logging;

import java.nio.file.Path;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;

/** Makes via-emu set its defaults (a connect nobody answers), then prints {@code disable.perf.info=VALUE} and DONE. */
public final class PrintPropertyMain {
    private PrintPropertyMain() {
    }

    public static void main(String[] args) {
        try {
            ViaClient.connect(ViaConfig.builder(Path.of(args[0])).build(), "nobody").close();
        } catch (Exception expected) {
            // refused: nobody listens; the entry point's setup ran
        }
        System.out.println("disable.perf.info=" + System.getProperty("disable.perf.info"));
        System.out.println("DONE");
        System.exit(0);
    }
}
