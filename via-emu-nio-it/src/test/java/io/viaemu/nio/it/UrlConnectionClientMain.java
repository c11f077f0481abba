package io.viaemu.nio.it;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.util.Arrays;

/**
 * {@code HttpURLConnection} (classic sockets, {@code new Socket()} inside the JDK), nothing via-emu in it: for every
 * size of {@link HttpBodies#SIZES} a POST to /echo and a GET of /bytes, byte for byte. Args: baseUrl.
 */
public final class UrlConnectionClientMain {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        for (int size : HttpBodies.SIZES) {
            byte[] body = HttpBodies.random(size, 7L + size);
            HttpURLConnection post = (HttpURLConnection) new URL(url + "/echo").openConnection();
            post.setConnectTimeout(10_000);
            post.setReadTimeout(30_000);
            post.setDoOutput(true);
            post.setFixedLengthStreamingMode(size);
            try (OutputStream out = post.getOutputStream()) {
                out.write(body);
            }
            check(post, body, "POST /echo " + size);
            HttpURLConnection get = (HttpURLConnection) new URL(url + "/bytes?n=" + size + "&seed=" + (7L + size))
                    .openConnection();
            get.setReadTimeout(30_000);
            check(get, body, "GET /bytes " + size);
        }
        System.out.println("OK HttpURLConnection, " + HttpBodies.SIZES.length + " sizes up to 1 MiB, byte for byte");
        System.exit(0);
    }

    private static void check(HttpURLConnection c, byte[] expected, String what) throws Exception {
        byte[] got;
        try (InputStream in = c.getInputStream()) {
            got = in.readAllBytes();
        }
        if (c.getResponseCode() != 200 || !Arrays.equals(got, expected)) {
            System.out.println("FAILED " + what + ": status " + c.getResponseCode() + ", " + got.length + " bytes");
            System.exit(1);
        }
    }
}
