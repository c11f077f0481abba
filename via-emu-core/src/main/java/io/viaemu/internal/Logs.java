package io.viaemu.internal;

import java.util.ArrayDeque;
import java.util.Arrays;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * via-emu's way to SLF4J on the paths a fresh client's first connect takes, which keeps SLF4J's initialisation off
 * that connect (after Spring Boot's {@code DeferredLog}, which holds lines until the logging system is set up).
 *
 * <p>Why: SLF4J's first {@code getLogger} in a fresh JVM finds its provider (a {@code ServiceLoader} scan of every
 * jar), loads it and reads its configuration: 26-47 ms on this 2-core machine in a JVM that does nothing else,
 * 15-17 of the 74 wall-clock samples of a fresh client's {@code ViaClient.connect} (async-profiler). A connect that
 * goes well logs nothing but its state machines' DEBUG lines, and those are what this class defers: while SLF4J is
 * not initialised and an initialisation is scheduled ({@link #initialiseLater}, by the {@code NativeWarmup} thread
 * once the first connect returned), {@link #debug} keeps the line (its arguments must be immutable: strings,
 * enums, numbers) and {@link #initialise} writes it, with the thread that made it, when it has set SLF4J up.
 *
 * <p>Nothing is lost or reordered among via-emu's lines: every other use of a logger goes through {@link #of},
 * which initialises SLF4J (at once, on the calling thread) and writes the kept lines first. At most
 * {@link #MAX_KEPT} lines are kept; the next one initialises SLF4J on its own thread. Where no initialisation was
 * scheduled (a server, a process whose warm-up thread could not start), {@link #debug} initialises at once, as a
 * plain logger would.
 */
public final class Logs {
    /** Lines kept before SLF4J is set up; a first connect makes about ten. */
    static final int MAX_KEPT = 256;

    private static final Object LOCK = new Object();
    /** SLF4J was initialised through this class (and the kept lines written). */
    private static volatile boolean initialised;
    /** Guarded by LOCK. */
    private static boolean scheduled;
    /** Guarded by LOCK. */
    private static final ArrayDeque<KeptLine> kept = new ArrayDeque<>();

    private Logs() {
    }

    /** A logger, SLF4J initialised first if it was not (and the kept lines written). */
    public static Logger of(String name) {
        initialise();
        return LoggerFactory.getLogger(name);
    }

    /** {@link #of(String)} by the class's name. */
    public static Logger of(Class<?> type) {
        return of(type.getName());
    }

    /**
     * Logs at DEBUG to the logger {@code name}, or keeps the line until SLF4J is initialised if an initialisation
     * is scheduled. {@code args} must not change after the call (they may be formatted later, on another thread).
     */
    public static void debug(String name, String format, Object... args) {
        if (!initialised) {
            synchronized (LOCK) {
                if (!initialised && scheduled && kept.size() < MAX_KEPT) {
                    kept.add(new KeptLine(name, format, args, Thread.currentThread().getName()));
                    return;
                }
            }
        }
        Logger log = of(name);
        if (log.isDebugEnabled()) {
            log.debug(format, args);
        }
    }

    /**
     * Someone will call {@link #initialise} soon (the {@code NativeWarmup} thread): until then {@link #debug} keeps
     * its lines. Has no effect once SLF4J is initialised.
     */
    public static void initialiseLater() {
        synchronized (LOCK) {
            scheduled = true;
        }
    }

    /** Initialises SLF4J unless done, and writes the lines kept meanwhile (at DEBUG, each with its thread). */
    public static void initialise() {
        if (initialised) {
            return;
        }
        synchronized (LOCK) {
            if (initialised) {
                return;
            }
            LoggerFactory.getILoggerFactory();
            for (KeptLine line : kept) {
                Logger log = LoggerFactory.getLogger(line.name);
                if (log.isDebugEnabled()) {
                    Object[] args = Arrays.copyOf(line.args, line.args.length + 1);
                    args[line.args.length] = line.thread;
                    log.debug(line.format + " [thread {}, written late]", args);
                }
            }
            kept.clear();
            initialised = true;
        }
    }

    /** How many lines are kept now (tests). */
    static int keptLines() {
        synchronized (LOCK) {
            return kept.size();
        }
    }

    private record KeptLine(String name, String format, Object[] args, String thread) {
    }
}
