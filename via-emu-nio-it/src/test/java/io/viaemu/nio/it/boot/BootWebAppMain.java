package io.viaemu.nio.it.boot;

import io.viaemu.nio.it.HttpBodies;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * An ordinary Spring Boot web app (embedded Tomcat, its NIO connector), nothing via-emu in it: {@code POST /echo}
 * answers with the request body, {@code GET /bytes?n=N&seed=S} with N seeded random bytes. Run with
 * {@code --server.port=PORT}.
 */
@SpringBootApplication
@RestController
public class BootWebAppMain {

    @PostMapping(value = "/echo", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    public byte[] echo(@RequestBody(required = false) byte[] body) {
        return body == null ? new byte[0] : body;
    }

    @GetMapping(value = "/bytes", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    public byte[] bytes(@RequestParam("n") int n, @RequestParam("seed") long seed) {
        return HttpBodies.random(n, seed);
    }

    public static void main(String[] args) {
        SpringApplication.run(BootWebAppMain.class, args);
    }
}
