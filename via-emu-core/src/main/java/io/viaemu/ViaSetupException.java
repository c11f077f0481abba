package io.viaemu;

import java.io.IOException;

/**
 * This JVM cannot run via-emu as it is set up: for example it lacks the JVM options Chronicle Queue needs to map
 * files. Thrown by every entry point (server, client, socket factories, worker) before anything is opened, with a
 * message that says what is missing and where the list of what is needed is.
 */
public class ViaSetupException extends IOException {
    private static final long serialVersionUID = 1L;

    public ViaSetupException(String message) {
        super(message);
    }
}
