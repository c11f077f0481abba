package io.viaemu.spring.boot;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.internal.Layout;
import io.viaemu.worker.HandlerResolver;
import io.viaemu.worker.WorkerRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Worker mode ({@code via.worker.id} set by the launcher): once the application is ready, serves the connections
 * the parent assigns with {@link WorkerRuntime} (one, or {@code via.worker.max-connections} of them, in turn or
 * {@code via.worker.concurrency} at once) until the worker is recycled, then ends the application and the JVM.
 * Starting only when the
 * application is ready matters: the runtime tells the parent "ready" first thing, and the parent then hands over
 * a connection whose handler bean must exist.
 */
public class ViaWorkerRunner implements ApplicationListener<ApplicationReadyEvent> {
    private static final Logger log = LoggerFactory.getLogger(ViaWorkerRunner.class);

    private final ViaConfig config;
    private final String endpoint;
    private final String workerId;
    private final HandlerResolver resolver;
    private volatile Thread thread;

    public ViaWorkerRunner(ViaConfig config, String endpoint, String workerId, HandlerResolver resolver) {
        this.config = config;
        this.endpoint = endpoint;
        this.workerId = workerId;
        this.resolver = resolver;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        if (thread != null) {
            return;
        }
        ConfigurableApplicationContext context = event.getApplicationContext();
        // What this worker booted, for its log: a worker has no web server (a plain, not a web, context) and,
        // trimmed, far fewer beans than its parent.
        log.info("via-emu worker {} ready after {} ms: {} with {} beans, trimmed boot {}", workerId,
                event.getTimeTaken() == null ? -1 : event.getTimeTaken().toMillis(),
                context.getClass().getSimpleName(), context.getBeanDefinitionCount(),
                context.getEnvironment().getProperty("via.worker.trim.enabled", Boolean.class, true) ? "on" : "off");
        // Not a daemon: with no web server this thread is what keeps the worker JVM alive.
        thread = new Thread(() -> run(context), "via-worker-" + workerId);
        thread.start();
    }

    private void run(ConfigurableApplicationContext context) {
        int status = 0;
        try {
            new WorkerRuntime(config, ViaClient.transport(config), endpoint, Layout.parseId(workerId), resolver)
                    .run();
            log.info("via-emu worker {} done; exiting", workerId);
        } catch (Throwable e) {
            status = 1;
            log.error("via-emu worker {} failed", workerId, e);
        }
        int code = status;
        System.exit(SpringApplication.exit(context, () -> code));
    }
}
