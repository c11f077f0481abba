package io.viaemu.socket;

import static io.viaemu.socket.SocketTestSupport.config;
import static io.viaemu.socket.SocketTestSupport.privateBaseDir;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP with third-party code on both ends: OkHttp's client (given a {@link ViaSocketFactory} through
 * {@code OkHttpClient.Builder.socketFactory}) talks to OkHttp's MockWebServer (given a {@link ViaServerSocketFactory}
 * through {@code setServerSocketFactory}). MockWebServer binds port 0 on localhost, so the server socket picks an
 * ephemeral port whose endpoint the shared {@link ViaAddressMap} then knows; OkHttp resolves "localhost", connects
 * an unconnected socket with a timeout, keeps the connection in its pool and, before reusing it, checks its health
 * with a 1 ms read timeout: a {@link java.net.SocketTimeoutException} must leave the socket usable.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OkHttpMockWebServerOverViaTest {

    @TempDir
    Path tempDir;

    @Test
    void okHttpClientTalksToMockWebServerOverViaEmuReusingTheConnection() throws Exception {
        ViaAddressMap map = new ViaAddressMap();
        ViaServerSocketFactory servers = new ViaServerSocketFactory(config(privateBaseDir(tempDir)), map);

        MockWebServer web = new MockWebServer();
        web.setServerSocketFactory(servers);
        web.enqueue(new MockResponse.Builder().body("hello over via-emu").build());
        web.enqueue(new MockResponse.Builder().code(201).addHeader("X-Via", "yes").body("created").build());
        web.enqueue(new MockResponse.Builder().body("third").build());
        web.start();
        OkHttpClient client = new OkHttpClient.Builder().socketFactory(servers.socketFactory())
                .connectTimeout(Duration.ofSeconds(5)).readTimeout(Duration.ofSeconds(5)).build();
        try {
            // port 0 became an ephemeral via-emu port with an endpoint in the shared map; no real TCP port is
            // involved (the map's policy for unmapped addresses is FAIL, so nothing falls back to TCP)
            assertThat(map.endpointFor(new InetSocketAddress(InetAddress.getLoopbackAddress(), web.getPort())))
                    .isEqualTo("ephemeral-" + web.getPort());
            assertThat(map.unmapped()).isEqualTo(ViaAddressMap.Unmapped.FAIL);

            try (Response r = client.newCall(new Request.Builder().url(web.url("/hello")).build()).execute()) {
                assertThat(r.code()).isEqualTo(200);
                assertThat(r.body().string()).isEqualTo("hello over via-emu");
            }
            try (Response r = client.newCall(new Request.Builder().url(web.url("/items"))
                    .post(RequestBody.create("{\"name\":\"via\"}", MediaType.get("application/json"))).build())
                    .execute()) {
                assertThat(r.code()).isEqualTo(201);
                assertThat(r.header("X-Via")).isEqualTo("yes");
                assertThat(r.body().string()).isEqualTo("created");
            }
            try (Response r = client.newCall(new Request.Builder().url(web.url("/third")).build()).execute()) {
                assertThat(r.body().string()).isEqualTo("third");
            }

            RecordedRequest get = web.takeRequest(5, TimeUnit.SECONDS);
            RecordedRequest post = web.takeRequest(5, TimeUnit.SECONDS);
            RecordedRequest third = web.takeRequest(5, TimeUnit.SECONDS);
            assertThat(get.getMethod()).isEqualTo("GET");
            assertThat(get.getTarget()).isEqualTo("/hello");
            assertThat(post.getMethod()).isEqualTo("POST");
            assertThat(post.getBody().utf8()).isEqualTo("{\"name\":\"via\"}");
            // one connection for all three: OkHttp found the pooled via-emu socket healthy and reused it
            assertThat(get.getConnectionIndex()).isZero();
            assertThat(post.getConnectionIndex()).isZero();
            assertThat(third.getConnectionIndex()).isZero();
            assertThat(third.getExchangeIndex()).isEqualTo(2);
        } finally {
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
            web.close();
        }
    }
}
