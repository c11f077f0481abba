package io.viaemu.spring.boot.remote;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A Spring Boot application that only runs the via-emu gateway (via.remote.gateway.*), in a JVM of its own. */
@SpringBootApplication
public class RemoteGatewayApp {
    public static void main(String[] args) {
        SpringApplication.run(RemoteGatewayApp.class, args);
        System.out.println("GATEWAY-APP-STARTED");
    }
}
