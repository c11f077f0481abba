package io.viaemu.internal;

import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

import io.viaemu.ViaProtocolException;
import io.viaemu.idle.Doorbell;
import io.viaemu.idle.IdleStrategy;
import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import org.slf4j.Logger;

/**
 * The loop of a queue of requests that any process may append to (a server's listen queue, a worker's inbox):
 * poll, decode, dispatch to the handler of the document's type, refuse what has none or cannot be decoded (logged,
 * the loop goes on), and otherwise wait parked on the queue's doorbell, which every append rings.
 *
 * <p>A bad document must never stop the loop: anything a handler throws short of an {@link Error} is logged and
 * the next document is read. Not thread-safe: one thread at a time runs it (threads that take turns, as a server's
 * acceptor and its accept() callers do, hand it over under a lock and {@link #leave()} it when they stop).
 */
public final class InboxDispatcher {

    /** Handles one decoded request; the reader is positioned after the type, at the document's first field. */
    @FunctionalInterface
    public interface Handler {
        void handle(Messages.Reader request) throws IOException;
    }

    private final Logger log;
    private final String owner;
    private final String kind;
    private final String place;
    private final Channel channel;
    private final ChannelReader reader;
    private final Doorbell bell;
    private final IdleStrategy idle;
    private final Map<MessageType, Handler> handlers = new EnumMap<>(MessageType.class);
    private final Document doc;
    private final Messages.Reader request = new Messages.Reader();

    /**
     * @param log      the owner's logger: refusals are logged where the owner logs
     * @param owner    who reads the queue, as logs name it ({@code endpoint 'echo'}, {@code worker 0a1b})
     * @param kind     the queue's kind for "refused a bad KIND document" ({@code listen}, {@code inbox})
     * @param place    the queue for "refused unexpected TYPE document in PLACE" ({@code the listen queue})
     * @param reader   a reader of {@code channel}, positioned where dispatching starts; closed by {@link #close()}
     * @param capacity the initial size of the document buffer (it grows for larger documents)
     */
    public InboxDispatcher(Logger log, String owner, String kind, String place, Channel channel,
            ChannelReader reader, Doorbell bell, IdleStrategy idle, int capacity) {
        this.log = log;
        this.owner = owner;
        this.kind = kind;
        this.place = place;
        this.channel = channel;
        this.reader = reader;
        this.bell = bell;
        this.idle = idle;
        this.doc = new Document(capacity);
    }

    /** Documents of {@code type} go to {@code handler}; types without a handler are refused. */
    public InboxDispatcher on(MessageType type, Handler handler) {
        handlers.put(type, handler);
        return this;
    }

    /**
     * Waits for the next document, parked on the doorbell, and dispatches it: true if one was dispatched; false at
     * the deadline ({@link System#nanoTime()} scale, {@code Long.MAX_VALUE} for none) or as soon as {@code stop}
     * holds (whoever makes it hold rings the doorbell).
     */
    public boolean dispatchNext(long deadlineNanos, BooleanSupplier stop) {
        return dispatchNext(deadlineNanos, stop, idle);
    }

    /**
     * {@link #dispatchNext(long, BooleanSupplier)} waiting with {@code idle} instead of the dispatcher's own
     * strategy (the caller resets it when it stops).
     */
    public boolean dispatchNext(long deadlineNanos, BooleanSupplier stop, IdleStrategy idle) {
        while (!reader.next(doc)) {
            if (stop.getAsBoolean() || deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos >= 0) {
                return false;
            }
            idle.idle(bell, deadlineNanos);
        }
        idle.reset();
        dispatch();
        channel.reclaimBefore(doc.index()); // the queue's files before this document are all read
        return true;
    }

    private void dispatch() {
        try {
            MessageType type = request.reset(doc).type();
            Handler handler = handlers.get(type);
            if (handler == null) {
                log.warn("{}: refused unexpected {} document in {}", owner, type, place);
                return;
            }
            handler.handle(request);
        } catch (ViaProtocolException e) {
            log.warn("{}: refused a bad {} document: {}", owner, kind, e.getMessage());
        } catch (IOException | RuntimeException e) {
            log.error("{}: failed to handle a {} document", owner, kind, e);
        }
    }

    /**
     * Leaves the doorbell (no longer announced as a waiter: appenders stop paying its wake-up) until the next
     * {@link #dispatchNext}; for a queue whose readers take turns (a server's listen queue).
     */
    public void leave() {
        idle.reset();
    }

    /** Leaves the doorbell and closes the reader (the channel stays the owner's). */
    public void close() {
        idle.reset();
        reader.close();
    }
}
