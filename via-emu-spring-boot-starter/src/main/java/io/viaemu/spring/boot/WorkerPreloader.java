package io.viaemu.spring.boot;

import io.viaemu.internal.ConfigArgs;
import io.viaemu.worker.WorkerRuntime;
import org.springframework.boot.context.event.ApplicationStartingEvent;
import org.springframework.context.ApplicationListener;

/**
 * In a worker JVM, sets up on a second thread, from the start of the application, what a cold JVM is slow to do the
 * first time and the main thread would otherwise do on the way to the worker's READY (a cold EMU_FORK waits for all
 * of it): the worker runtime's native calls and file-mapping path ({@link WorkerRuntime#preload()}) and the JDK's
 * list of available locales, which Spring's {@code MessageSourceSupport} reads when the context creates its message
 * source. Measured on the sample's cold worker (JDK 25, AOT cache, 2 cores): 25-40 ms between the application being
 * ready and READY, and 15-30 ms for the locales inside the context's refresh.
 *
 * <p>A listener of Spring Boot's first event, registered in {@code META-INF/spring.factories}: no bean and no
 * environment exist yet, so worker mode is told from the command line ({@code --via.worker.id}, which the launcher
 * passes); {@code via.worker.preload=false} (which the parent passes on as {@code -Dvia.worker.preload=false}) turns
 * it off. Nothing is done in the parent. What the preloaded classes log before Spring Boot has set up logging
 * (Spring Boot holds every message back until then) is lost, such as the futex warning of a platform without one;
 * the parent, on the same machine and not preloaded, logs the same.
 */
public class WorkerPreloader implements ApplicationListener<ApplicationStartingEvent> {
    /** The system property that turns the preload off in a worker JVM. */
    public static final String DISABLED = "-Dvia.worker.preload=false";
    private static final String MESSAGE_SOURCE_SUPPORT = "org.springframework.context.support.MessageSourceSupport";

    @Override
    public void onApplicationEvent(ApplicationStartingEvent event) {
        if (!isWorker(event.getArgs()) || "false".equals(System.getProperty("via.worker.preload"))) {
            return;
        }
        ClassLoader loader = event.getSpringApplication().getClassLoader();
        Thread t = new Thread(() -> preload(loader), "via-worker-preload");
        t.setDaemon(true); // never keeps a worker alive; what it has not done yet the main thread does itself
        t.start();
    }

    /** A worker JVM's command line: the launcher passes {@code --via.worker.id}. */
    public static boolean isWorker(String[] args) {
        String prefix = "--" + ConfigArgs.WORKER_ID + "=";
        for (String a : args) {
            if (a.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static void preload(ClassLoader loader) {
        try {
            WorkerRuntime.preload();
            // its static initialiser reads Locale.getAvailableLocales(): every locale provider's list
            Class.forName(MESSAGE_SOURCE_SUPPORT, true, loader);
        } catch (ClassNotFoundException | RuntimeException | LinkageError e) {
            // the main thread meets the same and reports it where it matters
        }
    }
}
