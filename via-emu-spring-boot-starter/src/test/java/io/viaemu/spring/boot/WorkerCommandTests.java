package io.viaemu.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class WorkerCommandTests {
    private static final String NO_WEB = "--spring.main.web-application-type=none";
    private static final List<String> NO_PROFILES = List.of();

    @Test
    void javaDashJarRestartsTheSameJar() {
        List<String> cmd = WorkerCommand.infer("target/app.jar", "target/app.jar --server.port=8081",
                "com.example.App", NO_PROFILES).orElseThrow();
        assertThat(cmd).containsExactly("-jar", Path.of("target/app.jar").toAbsolutePath().toString(), NO_WEB);
    }

    @Test
    void springBootLoaderMainIsKept() {
        List<String> cmd = WorkerCommand.infer("/opt/app.jar",
                "org.springframework.boot.loader.launch.JarLauncher", "com.example.App", NO_PROFILES).orElseThrow();
        assertThat(cmd).containsExactly("-cp", "/opt/app.jar", "org.springframework.boot.loader.launch.JarLauncher",
                NO_WEB);
    }

    @Test
    void classPathLaunchUsesTheBootConfigurationMainClassWithAbsoluteEntries() {
        String cp = "target/classes" + File.pathSeparator + "/repo/lib.jar";
        List<String> cmd = WorkerCommand.infer(cp, "org.apache.maven.surefire.booter.ForkedBooter /tmp/x",
                "com.example.App", List.of("--spring.profiles.active=prod,eu")).orElseThrow();
        assertThat(cmd).containsExactly("-cp",
                Path.of("target/classes").toAbsolutePath() + File.pathSeparator + "/repo/lib.jar",
                "com.example.App", NO_WEB, "--spring.profiles.active=prod,eu");
    }

    @Test
    void withoutBootConfigurationTheJvmMainClassIsUsedIfItHasAMainMethod() {
        String self = MainHolder.class.getName();
        assertThat(WorkerCommand.infer("/cp", self + " arg", null, NO_PROFILES).orElseThrow())
                .containsExactly("-cp", "/cp", self, NO_WEB);
        // a class without main (or unknown) gives no command rather than a wrong one
        assertThat(WorkerCommand.infer("/cp", WorkerCommandTests.class.getName(), null, NO_PROFILES)).isEmpty();
        assertThat(WorkerCommand.infer("/cp", "no.such.Main", null, NO_PROFILES)).isEmpty();
    }

    @Test
    void surefireBooterJarIsNotMistakenForTheApplication() {
        // surefire runs "java -jar surefirebooter.jar" but sets java.class.path to the test class path
        assertThat(WorkerCommand.infer("/a/classes" + File.pathSeparator + "/b.jar", "/tmp/surefirebooter1.jar x",
                null, NO_PROFILES)).isEmpty();
    }

    @Test
    void profilesAndConfigLocationsOfTheParentAreForwarded() {
        var env = new org.springframework.mock.env.MockEnvironment()
                .withProperty("spring.config.additional-location", "file:/etc/app/")
                .withProperty("server.port", "8081");
        env.setActiveProfiles("prod");
        var bf = new org.springframework.beans.factory.support.DefaultListableBeanFactory();
        bf.registerBeanDefinition("app", new org.springframework.beans.factory.support.RootBeanDefinition(
                BootApp.class));
        List<String> cmd = WorkerCommand.infer(bf, env).orElseThrow();
        assertThat(cmd.subList(2, cmd.size())).containsExactly(BootApp.class.getName(), NO_WEB,
                "--spring.profiles.active=prod", "--spring.config.additional-location=file:/etc/app/",
                WorkerCommand.NO_BANNER);
    }

    @Test
    void theParentsCommandLineTrimmingSettingsAreForwardedToTheWorkers() {
        var env = new org.springframework.mock.env.MockEnvironment()
                .withProperty("via.worker.trim.enabled", "true")
                .withProperty("via.worker.trim.exclude", "a.B, c.d.")
                .withProperty("via.worker.trim.keep[0]", "e.F");
        var bf = new org.springframework.beans.factory.support.DefaultListableBeanFactory();
        bf.registerBeanDefinition("app", new org.springframework.beans.factory.support.RootBeanDefinition(
                BootApp.class));
        List<String> cmd = WorkerCommand.infer(bf, env).orElseThrow();
        assertThat(cmd.subList(3, cmd.size())).containsExactly(NO_WEB, WorkerCommand.NO_BANNER,
                "--via.worker.trim.enabled=true", "--via.worker.trim.exclude=a.B,c.d.", "--via.worker.trim.keep=e.F");
    }

    @Test
    void untrimmedWorkersKeepTheirBanner() {
        var env = new org.springframework.mock.env.MockEnvironment().withProperty("via.worker.trim.enabled", "false");
        var bf = new org.springframework.beans.factory.support.DefaultListableBeanFactory();
        bf.registerBeanDefinition("app", new org.springframework.beans.factory.support.RootBeanDefinition(
                BootApp.class));
        assertThat(WorkerCommand.infer(bf, env).orElseThrow()).doesNotContain(WorkerCommand.NO_BANNER)
                .contains("--via.worker.trim.enabled=false");
    }

    @org.springframework.boot.SpringBootConfiguration
    public static class BootApp {
        public static void main(String[] args) {
        }
    }

    @Test
    void bootMainClassNeedsAPublicStaticMain() {
        assertThat(WorkerCommand.bootMainClass(MainHolder.class)).isEqualTo(MainHolder.class.getName());
        assertThat(WorkerCommand.bootMainClass(WorkerCommandTests.class)).isNull();
        assertThat(WorkerCommand.bootMainClass(null)).isNull();
    }

    public static final class MainHolder {
        public static void main(String[] args) {
        }
    }
}
