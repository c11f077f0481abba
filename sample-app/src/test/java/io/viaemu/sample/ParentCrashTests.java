package io.viaemu.sample;

import static io.viaemu.sample.SampleLines.line;
import static io.viaemu.sample.SampleLines.send;
import static io.viaemu.sample.SampleLines.workerPid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.jayway.jsonpath.JsonPath;
import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.spring.boot.autoconfigure.ViaProperties;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.io.ClassPathResource;

/**
 * T2, unexpected: the sample server is killed (kill -9) while it holds a forked chat connection; the client goes on
 * with the worker, which serves what the server had received but not consumed.
 */
class ParentCrashTests extends SeparateProcessTest {

    @Test
    void theWorkerTakesOverWhenTheServerIsKilled() throws Exception {
        // Only T2: the forked connection stays with the server until it dies. Pool 0: no idle worker to orphan.
        try (JvmProcess server = JvmProcess.start(tmp.resolve("logs"), "server", List.of(), SampleApplication.class,
                "--via.base-dir=" + base, "--server.port=0", "--via.worker.pool-size=0",
                "--via.triggers.t1-parent-close=false", "--via.triggers.t2-parent-abort=true",
                "--via.triggers.t3-child-receive=false", "--via.triggers.t4-child-send=false")) {
            server.awaitOutput("Started SampleApplication", Duration.ofSeconds(120));
            Matcher m = Pattern.compile("Tomcat started on port (\\d+)").matcher(server.output());
            assertThat(m.find()).as(server.output()).isTrue();
            int port = Integer.parseInt(m.group(1));

            try (ViaConnection c = ViaClient.connect(sampleConfig(base), "chat")) {
                send(c, "sent before the crash\n");
                // the worker is up and forked, but without T1/T3/T4 the server keeps the connection
                long child = await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                        .until(() -> childPid(port, c.id()), pid -> pid != 0);

                server.kill9();

                String reply = line(c);
                assertThat(workerPid(reply)).isEqualTo(child);
                assertThat(reply).isEqualTo("[worker " + child + "] sent before the crash");
                send(c, "and after it\n");
                assertThat(line(c)).isEqualTo("[worker " + child + "] and after it");
                c.shutdownOutput(); // after the handover, so the worker reads the end of stream
                assertThat(line(c)).isNull();

                // the worker's one connection is done: it exits although its parent is gone
                ProcessHandle worker = ProcessHandle.of(child).orElse(null);
                if (worker != null) {
                    assertThat(worker.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).get())
                            .as("worker %d exits", child).isNotNull();
                }
            }
        }
    }

    private static long childPid(int port, String id) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/actuator/viaconnections/" + id))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            return 0;
        }
        return JsonPath.parse(r.body()).<Number>read("$.childPid").longValue();
    }

    /** The client must agree with the server: bind the sample's own application.yml, base directory replaced. */
    private static ViaConfig sampleConfig(Path base) throws Exception {
        var yaml = new YamlPropertySourceLoader().load("application.yml", new ClassPathResource("application.yml"));
        var sources = new ArrayList<org.springframework.boot.context.properties.source
                .ConfigurationPropertySource>();
        sources.add(new MapConfigurationPropertySource(Map.of("via.base-dir", base.toString())));
        ConfigurationPropertySources.from(yaml).forEach(sources::add);
        return new Binder(sources).bind("via", Bindable.of(ViaProperties.class)).get().toConfigBuilder().build();
    }
}
