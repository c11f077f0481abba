package io.viaemu.spring.boot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import io.micrometer.core.instrument.Timer;
import io.viaemu.inspect.ViaInspector;
import io.viaemu.spring.boot.actuate.ViaHandoverObservation;
import io.viaemu.spring.boot.actuate.ViaMetrics;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The timeline pages of a real handover (a worker JVM, T1), rendered by a real headless Chromium (Debian's
 * {@code chromium} package; the test is skipped where it is not installed): the list links the connection, and
 * the connection's page, as the browser built it, has the three lanes and every step of the handover; its
 * screenshot is not blank. The handover is also an observation (timer {@code via.handover} with keys endpoint,
 * trigger, outcome) and per-step timers {@code via.handover.step}.
 */
@SpringBootTest(classes = ViaTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"via.endpoint=echo", "via.worker.pool-size=0", "via.triggers.t1-parent-close=true",
                "via.triggers.t2-parent-abort=true", "via.triggers.t3-child-receive=false",
                "via.triggers.t4-child-send=false",
                "management.endpoints.web.exposure.include=health,viaconnections,viatimeline,metrics"})
@DirtiesContext
class TimelinePageBrowserTests extends WorkerJvmApplicationTest {
    private static final Duration BROWSER_TIMEOUT = Duration.ofSeconds(90);
    private static final List<String> STEPS = List.of("connect", "grant", "EMU_FORK", "S7", "S47", "S10", "S11",
            "S49", "S50", "S51");

    @LocalServerPort
    int port;

    @Test
    void aCompletedHandoverRendersInChromiumWithAllLanesAndSteps() throws Exception {
        String id;
        try (LineClient client = LineClient.connect(config, "echo")) {
            client.sendLine("hello");
            assertThat(client.line()).endsWith("] hello"); // answered by the worker: handed over
            id = client.id();

            // the observation and the per-step timers, recorded when the connection left the parent
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Timer t = meters.find(ViaHandoverObservation.NAME).tags("endpoint", "echo", "trigger",
                        "T1_PARENT_CLOSE", "outcome", "completed").timer();
                assertThat(t).isNotNull();
                assertThat(t.count()).isEqualTo(1);
            });
            for (String step : List.of("S7", "S47", "S10", "S11", "S49", "S50", "S51", "S13")) {
                Timer t = meters.find(ViaMetrics.HANDOVER_STEP).tags("endpoint", "echo", "step", step).timer();
                assertThat(t).as("timer of step " + step).isNotNull();
                assertThat(t.count()).isEqualTo(1);
            }
            double stepsMillis = meters.find(ViaMetrics.HANDOVER_STEP).timers().stream()
                    .mapToDouble(t -> t.totalTime(TimeUnit.MILLISECONDS)).sum();
            long pauseNanos = ViaInspector.timeline(config.baseDir(), "echo", id).orElseThrow().pauseNanos();
            assertThat(stepsMillis).as("the steps add up to the pause (trigger to completion)")
                    .isCloseTo(pauseNanos / 1e6, org.assertj.core.data.Offset.offset(0.001));
            assertThat(meters.get(ViaHandoverObservation.NAME).timer().totalTime(TimeUnit.MILLISECONDS)).isPositive();

            HttpResponse<String> svg = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(url("/actuator/viatimeline/" + id + "/svg"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(svg.statusCode()).isEqualTo(200);
            assertThat(svg.headers().firstValue("Content-Type")).hasValueSatisfying(
                    ct -> assertThat(ct).startsWith("image/svg+xml"));
            HttpResponse<String> unknown = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(url("/actuator/viatimeline/0123456789abcdef"))).header("Accept", "text/html").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(404);

            Path chromium = chromium();
            Assumptions.assumeTrue(chromium != null, "chromium is not installed (Debian: apt-get install chromium);"
                    + " the timeline page is not checked in a browser");

            String list = dumpDom(chromium, url("/actuator/viatimeline"));
            assertThat(list).contains("<a href=\"viatimeline/" + id + "\">" + id + "</a>", "HANDED_OVER",
                    "T1_PARENT_CLOSE");

            String page = dumpDom(chromium, url("/actuator/viatimeline/" + id));
            assertThat(attributes(page, "g", "data-lane")).containsExactly("client", "parent", "child");
            List<String> steps = attributes(page, "g", "data-step");
            assertThat(steps).containsAll(STEPS);
            assertThat(attributes(page, "g", "data-mark")).containsExactly("trigger", "S13");
            assertThat(page).contains("class=\"pause\"", "pause by step", "T1 parent closes", "S13 completion",
                    "S7 intermission request", "S47 intermission done", "S10 copy", "S11 reconnection request",
                    "S49 reconnect", "S50 child's grant", "S51 reconnection report", "<table id=\"steps\"");
            // arrows in protocol order: each sent no earlier than the one before
            List<Long> sent = new ArrayList<>();
            for (String step : STEPS) {
                Matcher m = Pattern.compile("data-step=\"" + Pattern.quote(step) + "\"[^>]*data-sent-ns=\"(\\d+)\"")
                        .matcher(page);
                assertThat(m.find()).as("sent time of " + step).isTrue();
                sent.add(Long.parseLong(m.group(1)));
            }
            assertThat(sent).isSorted();

            Path png = tmp.resolve("timeline.png");
            screenshot(chromium, url("/actuator/viatimeline/" + id), png);
            BufferedImage image = ImageIO.read(png.toFile());
            assertThat(image.getWidth()).isEqualTo(1100);
            assertThat(inkRatio(image)).as("share of the screenshot that is not white").isGreaterThan(0.02);
            Path keep = Path.of("target", "timeline-page.png");
            Files.copy(png, keep, StandardCopyOption.REPLACE_EXISTING); // for a look (docs/ has one)
        }
    }

    private String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    static Path chromium() {
        for (String name : List.of("chromium", "chromium-browser")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    private static String dumpDom(Path chromium, String url) throws Exception {
        Path out = tmp.resolve("dom-" + System.nanoTime() + ".html");
        runChromium(chromium, out, "--dump-dom", url);
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static void screenshot(Path chromium, String url, Path png) throws Exception {
        runChromium(chromium, tmp.resolve("screenshot.log"), "--screenshot=" + png, "--window-size=1100,1400",
                "--hide-scrollbars", url);
        assertThat(png).exists();
    }

    /** One headless Chromium run with a fresh profile, bounded in time; its stdout goes to {@code stdout}. */
    private static void runChromium(Path chromium, Path stdout, String... args) throws Exception {
        Path profile = Files.createTempDirectory(tmp, "chromium-profile");
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        Path err = tmp.resolve("chromium-" + System.nanoTime() + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(BROWSER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("chromium did not finish within " + BROWSER_TIMEOUT + ": " + cmd);
            }
            assertThat(p.exitValue()).as("chromium exit; stderr:\n" + read(err)).isZero();
        } finally {
            p.destroyForcibly();
            p.descendants().forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** The values of {@code attribute} on every {@code <tag>} element of the dumped DOM, in document order. */
    private static List<String> attributes(String dom, String tag, String attribute) {
        List<String> values = new ArrayList<>();
        Matcher m = Pattern.compile("<" + tag + "\\b[^>]*\\b" + attribute + "=\"([^\"]*)\"").matcher(dom);
        while (m.find()) {
            values.add(m.group(1));
        }
        return values;
    }

    private static double inkRatio(BufferedImage image) {
        long ink = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) != 0xffffff) {
                    ink++;
                }
            }
        }
        return ink / (double) (image.getWidth() * image.getHeight());
    }
}
