package io.viaemu.nio.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The JDK's {@code java.net.http.HttpClient} (NIO: SocketChannel, Selector), nothing via-emu in it: {@code clients}
 * concurrent callers, each doing, for every size of {@link HttpBodies#SIZES}, a POST to /echo and a GET of /bytes,
 * checking every body byte for byte. Args: baseUrl clients.
 */
public final class JdkHttpClientMain {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        int clients = Integer.parseInt(args[1]);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int caller = c;
            all.add(CompletableFuture.runAsync(() -> {
                try {
                    for (int size : HttpBodies.SIZES) {
                        long seed = caller * 1000L + size;
                        byte[] body = HttpBodies.random(size, seed);
                        HttpResponse<byte[]> echo = http.send(HttpRequest.newBuilder(URI.create(url + "/echo"))
                                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(), HttpResponse.BodyHandlers.ofByteArray());
                        check(echo, body, "POST /echo " + size);
                        HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(
                                URI.create(url + "/bytes?n=" + size + "&seed=" + seed)).timeout(Duration.ofSeconds(30))
                                .build(), HttpResponse.BodyHandlers.ofByteArray());
                        check(get, body, "GET /bytes " + size);
                    }
                } catch (Exception e) {
                    throw new RuntimeException("caller " + caller + ": " + e, e);
                }
            }));
        }
        try {
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            e.printStackTrace(System.out);
            System.out.println("FAILED " + e);
            System.exit(1);
        }
        System.out.println("OK " + clients + " concurrent clients x " + HttpBodies.SIZES.length
                + " sizes up to 1 MiB, POST and GET, byte for byte");
        System.exit(0);
    }

    private static void check(HttpResponse<byte[]> r, byte[] expected, String what) {
        if (r.statusCode() != 200 || !Arrays.equals(r.body(), expected)) {
            throw new IllegalStateException(what + ": status " + r.statusCode() + ", " + r.body().length
                    + " bytes, expected " + expected.length + (Arrays.equals(r.body(), expected) ? "" : ", differ"));
        }
    }
}
