package io.viaemu.transport;

import java.nio.file.Path;

/**
 * The transport SPI: durable, ordered, one-direction channels between processes on one host, each living in a
 * directory. via-emu puts two channels (up: client to server, down: server to client) under every connection and
 * one listen channel under every endpoint. The Chronicle Queue implementation is {@code ChronicleTransport}.
 */
public interface Transport {

    /** Opens the channel stored in {@code directory}, creating it if missing. Several processes may open it. */
    Channel open(Path directory);
}
