package io.viaemu;

/** Nobody accepted the connection: no live server on the endpoint, or the server refused it (e.g. max connections). */
public class ViaRefusedException extends ViaException {
    private static final long serialVersionUID = 1L;

    public ViaRefusedException(String message) {
        super(message);
    }
}
