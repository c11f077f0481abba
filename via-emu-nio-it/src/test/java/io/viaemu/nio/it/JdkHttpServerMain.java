package io.viaemu.nio.it;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpServer;

/**
 * The JDK's own HTTP server ({@code com.sun.net.httpserver}, built on a ServerSocketChannel and a Selector), nothing
 * via-emu in it. {@code POST /echo} answers with the request body; {@code GET /bytes?n=N&seed=S} with N seeded random
 * bytes. Args: port.
 */
public final class JdkHttpServerMain {
    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 0);
        server.createContext("/echo", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/bytes", exchange -> {
            String q = exchange.getRequestURI().getQuery();
            int n = Integer.parseInt(q.replaceAll(".*n=(\\d+).*", "$1"));
            long seed = Long.parseLong(q.replaceAll(".*seed=(\\d+).*", "$1"));
            byte[] body = HttpBodies.random(n, seed);
            exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
        System.out.println("LISTENING " + server.getAddress());
    }
}
