package io.viaemu.worker;

import java.nio.file.Files;
import java.nio.file.Path;

import io.viaemu.internal.Layout;
import io.viaemu.internal.ListenChannels;
import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.transport.Transport;

/** The parent's handle on one worker process. */
public final class Worker {
    static final String READY_FILE = "ready";

    private final long id;
    private final Process process;
    private final Path dir;
    private final Transport transport;
    private final long startedNanos = System.nanoTime();

    Worker(long id, Process process, Path dir, Transport transport) {
        this.id = id;
        this.process = process;
        this.dir = dir;
        this.transport = transport;
    }

    public long id() {
        return id;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The worker listens on its inbox. */
    public boolean isReady() {
        return Files.exists(dir.resolve(READY_FILE));
    }

    long ageNanos() {
        return System.nanoTime() - startedNanos;
    }

    /** EMU_FORK's message to the worker: serve this connection with this handler. */
    public void assign(long connectionId, String handlerName) {
        Path inbox = Layout.inboxDir(dir);
        Messages.Writer w = new Messages.Writer().start(MessageType.ASSIGN).putLong(connectionId).putString(handlerName);
        ListenChannels.append(transport, inbox, w);
        ListenChannels.forget(inbox); // one assignment per worker: do not keep its queue mapped
    }

    public void kill() {
        process.destroyForcibly();
    }

    @Override
    public String toString() {
        return "Worker{" + Layout.idString(id) + ", pid " + process.pid() + (isReady() ? ", ready" : "") + "}";
    }
}
