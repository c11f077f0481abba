package io.viaemu.bench;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A transport under test. Every figure runs one contender in two fresh JVMs started by {@link BenchMain}: the
 * server JVM calls {@link #listen}, publishes {@link Listener#address()} and serves the figure's workload on the
 * connections it {@link Listener#accept accepts}; the client JVM calls {@link #connect} with that address and
 * drives the workload and all timing. One instance lives in each JVM and is used from its main thread only.
 *
 * <h2>Adding a contender (extension point)</h2>
 * <ol>
 *   <li>Write a class implementing this interface with a public no-argument constructor that does no I/O.</li>
 *   <li>Register it in {@link Contenders} (one line). Its {@link #name()} becomes a value for
 *       {@code --contenders} and a column of the results table; ratios are always against {@code tcp}.</li>
 *   <li>If it needs more libraries, add them to {@code bench/pom.xml}.</li>
 * </ol>
 * The via-emu contenders are meant to be added this way once {@code via-emu-core} is a dependency of this module:
 * <ul>
 *   <li>{@code via}: {@link #listen} starts an {@code io.viaemu.ViaServer} whose queues live under {@code dir}
 *       and returns its address; {@link Listener#accept} returns the next accepted via-emu connection;
 *       {@link #connect} opens an {@code io.viaemu.ViaClient} connection to it.</li>
 *   <li>{@code via-socket}: the same server, but the client side goes through the socket emulation
 *       ({@code io.viaemu.ViaSocket}: its input/output streams back the {@link Connection}).</li>
 * </ul>
 * Rules for implementations: every blocking or spinning wait must end when the peer process is killed or must be
 * safe to kill (the harness kills a peer that exceeds its deadline and the peer also halts itself then); put all
 * files (queues, socket files) under the {@code dir} given to {@link #listen}, which the harness deletes after the
 * figure; {@link #connect} must return only once the first byte can be sent (the connect figure times it).
 */
public interface Contender {

    /** Short lower-case id used on the command line and as the table column, e.g. {@code tcp}. */
    String name();

    /** One line for the results' legend: what exactly is measured. */
    String description();

    /** Server side: opens the listening endpoint. {@code dir} exists, is empty and is private to this run. */
    Listener listen(Path dir) throws IOException;

    /** Client side: connects to the address published by the server's {@link Listener#address()}. */
    Connection connect(String address) throws IOException;

    /** The server side's listening endpoint. */
    interface Listener extends AutoCloseable {

        /** What the client passes to {@link Contender#connect}; a single line of text. */
        String address();

        /** Waits for and returns the next client connection. */
        Connection accept() throws IOException;

        @Override
        void close() throws IOException;
    }
}
