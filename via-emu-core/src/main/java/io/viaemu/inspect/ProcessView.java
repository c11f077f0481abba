package io.viaemu.inspect;

/** One process of a connection or a worker: its pid (0 if none yet) and whether it runs now. */
public record ProcessView(long pid, boolean alive) {
    static final ProcessView NONE = new ProcessView(0, false);

    /** "1234", "1234 (dead)" or "-". */
    public String describe() {
        return pid == 0 ? "-" : alive ? Long.toString(pid) : pid + " (dead)";
    }
}
