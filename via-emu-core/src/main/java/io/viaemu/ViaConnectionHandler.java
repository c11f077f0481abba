package io.viaemu;

/** Application code that serves one connection, in the parent or, after a fork, in a worker process. */
@FunctionalInterface
public interface ViaConnectionHandler {
    void handle(ViaConnection connection) throws Exception;
}
