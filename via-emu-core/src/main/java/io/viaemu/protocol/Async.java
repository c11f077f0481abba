package io.viaemu.protocol;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Short protocol tasks that may wait (a handover step), run off the housekeeper thread. */
final class Async {
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "via-async-" + COUNT.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private Async() {
    }

    static void run(String what, Runnable task) {
        EXECUTOR.execute(() -> {
            String name = Thread.currentThread().getName();
            Thread.currentThread().setName(what);
            try {
                task.run();
            } finally {
                Thread.currentThread().setName(name);
            }
        });
    }
}
