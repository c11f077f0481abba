package io.viaemu.testapp;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.viaemu.internal.Layout;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;

/**
 * Test-only hook: with {@code -Dvia.test.killParentAt=STEP} the parent halts (as abruptly as kill -9: no shutdown
 * hooks, nothing flushed) as soon as the connection's flag block shows that handover step:
 * <ul>
 * <li>INTERMITTED: the client confirmed the transmission intermission;</li>
 * <li>COPIED: the parent appended its unconsumed input after the cut;</li>
 * <li>RECONNECT_REQUESTED: the parent set P and appended RECONNECT_REQUEST.</li>
 * </ul>
 * A watcher thread polls the flag block (slowly until a trigger fired, then spinning), so the halt lands a few
 * microseconds after the step, not exactly at it: the test reads the flag block afterwards to see how far the
 * parent got.
 */
public final class KillSwitch {
    public static final String PROPERTY = "via.test.killParentAt";

    private KillSwitch() {
    }

    public static void arm(Path base, String endpoint, String connectionId) throws IOException {
        String step = System.getProperty(PROPERTY);
        if (step == null || step.isEmpty()) {
            return;
        }
        FlagBlock f = FlagBlock.openReadOnly(Layout.connectionDir(base, endpoint, Layout.parseId(connectionId)));
        BooleanSupplier reached;
        switch (step) {
            case "INTERMITTED":
                reached = () -> f.get(Word.AT_INTERMITTED) != 0; // a stamp stays, the word moves on at S13
                break;
            case "COPIED":
                reached = () -> f.get(Word.AT_COPIED) != 0;
                break;
            case "RECONNECT_REQUESTED":
                reached = () -> f.get(Word.AT_RECONNECT_REQUESTED) != 0;
                break;
            default:
                throw new IllegalArgumentException(PROPERTY + "=" + step);
        }
        Thread t = new Thread(() -> {
            while (f.get(Word.TRIGGER_FIRED) == 0) {
                LockSupport.parkNanos(200_000);
            }
            while (!reached.getAsBoolean()) {
                Thread.onSpinWait();
            }
            Runtime.getRuntime().halt(137);
        }, "kill-switch");
        t.setDaemon(true);
        t.start();
        System.out.println("KILL-SWITCH armed at " + step);
    }
}
