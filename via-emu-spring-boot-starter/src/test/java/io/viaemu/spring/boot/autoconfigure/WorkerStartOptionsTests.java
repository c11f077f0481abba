package io.viaemu.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import io.viaemu.ViaConfig;
import io.viaemu.spring.boot.WorkerPreloader;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The JVM options the parent gives its workers for a faster cold start: one-shot workers' own options, the
 * preload switch and commons-logging's implementation. Workers started with them: the sample's tests.
 */
class WorkerStartOptionsTests {
    private static final String LOG_FACTORY = ViaAutoConfigurationTests.LOG_FACTORY;

    @TempDir
    Path tmp;

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ViaAutoConfiguration.class))
                .withUserConfiguration(TestHandlers.AppWithMain.class)
                .withPropertyValues("via.base-dir=" + tmp.resolve("via"), "via.worker.jvm-options=-Xmx64m",
                        "via.worker.one-shot-jvm-options=-XX:TieredStopAtLevel=1,-XX:CompileThresholdScaling=3");
    }

    @Test
    void oneShotWorkersGetTheirOwnOptionsAfterTheCommonOnes() {
        runner().run(ctx -> assertThat(ctx.getBean(ViaConfig.class).workerJvmOptions()).containsExactly("-Xmx64m",
                ViaAutoConfiguration.NO_BACKGROUND_PREINITIALIZER, LOG_FACTORY, "-XX:TieredStopAtLevel=1",
                "-XX:CompileThresholdScaling=3"));
    }

    @Test
    void reusableWorkersDoNotGetTheOneShotOptions() {
        for (String max : List.of("0", "2", "1000")) {
            runner().withPropertyValues("via.worker.max-connections=" + max)
                    .run(ctx -> assertThat(ctx.getBean(ViaConfig.class).workerJvmOptions())
                            .containsExactly("-Xmx64m", ViaAutoConfiguration.NO_BACKGROUND_PREINITIALIZER,
                                    LOG_FACTORY));
        }
    }

    @Test
    void preloadOffReachesWorkersAsASystemProperty() {
        runner().withPropertyValues("via.worker.preload=false", "via.worker.max-connections=3")
                .run(ctx -> assertThat(ctx.getBean(ViaConfig.class).workerJvmOptions()).containsExactly("-Xmx64m",
                        ViaAutoConfiguration.NO_BACKGROUND_PREINITIALIZER, WorkerPreloader.DISABLED, LOG_FACTORY));
    }

    @Test
    void theUsersOwnCommonsLoggingChoiceIsKept() {
        String own = "-D" + LogFactory.FACTORY_PROPERTY + "=org.apache.commons.logging.impl.Slf4jLogFactory";
        assertThat(ViaAutoConfiguration.commonsLoggingFactory(List.of(own))).isEmpty();
        assertThat(ViaAutoConfiguration.commonsLoggingFactory(List.of("-Xmx64m"))).containsExactly(LOG_FACTORY);
        runner().withPropertyValues("via.worker.jvm-options=" + own, "via.worker.max-connections=3")
                .run(ctx -> assertThat(ctx.getBean(ViaConfig.class).workerJvmOptions()).containsExactly(own,
                        ViaAutoConfiguration.NO_BACKGROUND_PREINITIALIZER));
    }

    @Test
    void onlyAWorkersCommandLineStartsThePreload() {
        assertThat(WorkerPreloader.isWorker(new String[] {"--via.base-dir=/x", "--via.worker.id=00000000000000a1"}))
                .isTrue();
        assertThat(WorkerPreloader.isWorker(new String[] {"--server.port=8080"})).isFalse();
        assertThat(WorkerPreloader.isWorker(new String[] {"--via.worker.idle-timeout=5s"})).isFalse();
        assertThat(WorkerPreloader.isWorker(new String[0])).isFalse();
    }
}
