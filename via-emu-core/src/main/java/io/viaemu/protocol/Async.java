package io.viaemu.protocol;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import io.viaemu.internal.BackgroundThreads;

/** Short protocol tasks that may wait (a handover step), run off the housekeeper thread. */
final class Async {
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool(
            r -> BackgroundThreads.daemon("via-async-" + COUNT.incrementAndGet(), r));

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
