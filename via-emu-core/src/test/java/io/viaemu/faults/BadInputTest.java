package io.viaemu.faults;

import static io.viaemu.faults.Faults.EP;
import static io.viaemu.faults.Faults.STEP;
import static io.viaemu.faults.Faults.append;
import static io.viaemu.faults.Faults.appendRaw;
import static io.viaemu.faults.Faults.assertEchoWorks;
import static io.viaemu.faults.Faults.awaitOutputSince;
import static io.viaemu.faults.Faults.bytes;
import static io.viaemu.faults.Faults.connDir;
import static io.viaemu.faults.Faults.doc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import io.viaemu.ViaClient;
import io.viaemu.ViaConfig;
import io.viaemu.ViaConnection;
import io.viaemu.ViaException;
import io.viaemu.ViaProtocolException;
import io.viaemu.ViaTimeoutException;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.testapp.EchoServerMain;
import io.viaemu.testapp.TestConfigs;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.TestDirs;
import io.viaemu.transport.Channel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Documents no well-behaved peer writes, appended with the transport straight into the echo server's listen queue
 * and into live connections' queues. Each must be refused with a clear reason (the server's log, the peer's
 * exception), fail only the connection it was on, and leave the server serving: every test ends with a new client
 * whose bytes are echoed.
 */
class BadInputTest {
    @TempDir
    static Path tmp;
    static Path base;
    /** The largest DATA payload of {@link TestConfigs}' configuration (the default). */
    private static final int MAX = ViaConfig.DEFAULT_MAX_MESSAGE_SIZE;

    static ViaConfig config;
    static JvmProcess server;
    static Channel listen;
    final List<Channel> opened = new ArrayList<>();

    @BeforeAll
    static void startServer() throws IOException {
        base = TestDirs.privateDir(tmp, "base");
        config = TestConfigs.config(base, "none", 0);
        server = JvmProcess.start(tmp.resolve("logs"), "echo-server", List.of(), EchoServerMain.class,
                base.toString(), EP).awaitOutput("LISTENING", STEP);
        listen = Faults.rawChannel(config, Layout.listenDir(base, EP));
    }

    @AfterAll
    static void stopServer() {
        if (listen != null) {
            listen.close();
        }
        if (server != null) {
            server.close();
        }
        TestDirs.killProcessesMentioning(base);
    }

    @AfterEach
    void closeChannels() throws IOException {
        opened.forEach(Channel::close);
        assertThat(server.process().isAlive()).as("server still up; output:\n" + server.output()).isTrue();
    }

    // ------------------------------------------------------------------------------------------- listen queue

    static Stream<Arguments> badListenDocuments() {
        long unknownId = Layout.randomId();
        return Stream.of(
                Arguments.of("unknown message type", bytes(Messages.VERSION, 99, 1, 2, 3),
                        "refused a bad listen document: unknown message type 99"),
                Arguments.of("wrong protocol version", versioned(7, doc(MessageType.CONNECT).putLong(1).putLong(2)),
                        "refused a bad listen document: protocol version 7 not supported (this side speaks 1)"),
                Arguments.of("truncated CONNECT", bytes(Messages.VERSION, MessageType.CONNECT.code(), 1, 2, 3, 4, 5,
                        6, 7, 8, 9), "refused a bad listen document: truncated CONNECT document: needs 16 bytes"),
                Arguments.of("zero-length document", new byte[0],
                        "refused a bad listen document: truncated document at index"),
                Arguments.of("one-byte document", bytes(Messages.VERSION), ": 1 bytes, no header"),
                Arguments.of("RECONNECT for an unknown connection", copy(doc(MessageType.RECONNECT).putLong(unknownId)
                        .putString(EP).putLong(5).putLong(6)), "refused RECONNECT for connection "
                        + Layout.idString(unknownId) + ": reconnections go to the child"),
                Arguments.of("CONNECT for a connection with no directory", copy(doc(MessageType.CONNECT)
                        .putLong(unknownId).putLong(Processes.currentPid()).putLong(0)),
                        "refused CONNECT for " + Layout.idString(unknownId) + ": no such connection directory"),
                Arguments.of("a DATA document", copy(doc(MessageType.DATA).putLong(42)),
                        "refused unexpected DATA document in the listen queue"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badListenDocuments")
    void badListenDocumentIsRefusedAndLoggedAndTheServerGoesOn(String what, byte[] document, String logged)
            throws IOException {
        int since = server.output().length();
        appendRaw(listen, document);
        awaitOutputSince(server, since, logged, Duration.ofSeconds(10));
        assertEchoWorks(config, what);
    }

    @Test
    void replayedConnectForALiveConnectionDoesNotGrantItAgain() throws IOException {
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            FlagBlock flags = FlagBlock.openReadOnly(connDir(base, c));
            long token = flags.get(Word.TOKEN);
            int since = server.output().length();
            append(listen, doc(MessageType.CONNECT).putLong(Layout.parseId(c.id())).putLong(Processes.currentPid())
                    .putLong(Processes.currentStart()));
            awaitOutputSince(server, since, "refused CONNECT for " + c.id()
                    + ": the flag block does not match the request", Duration.ofSeconds(10));
            assertThat(flags.get(Word.TOKEN)).as("no second grant").isEqualTo(token);
            c.send(new byte[] {1, 2, 3});
            byte[] got = new byte[3];
            assertThat(c.receive(got, 0, 3, 10_000)).isPositive();
        }
        assertEchoWorks(config, "a replayed CONNECT");
    }

    // ------------------------------------------------------------------------------------- a connection's up queue

    static Stream<Arguments> badConnectionDocuments() {
        return Stream.of(
                Arguments.of("unknown message type", bytes(Messages.VERSION, 99, 0, 0), "unknown message type 99"),
                Arguments.of("wrong protocol version", versioned(3, doc(MessageType.DATA).putLong(7)),
                        "protocol version 3 not supported"),
                Arguments.of("truncated CLOSE", bytes(Messages.VERSION, MessageType.CLOSE.code(), 9, 9, 9),
                        "truncated CLOSE document: needs 8 bytes of fields, has 3"),
                Arguments.of("CLOSE with a bad string length", copy(doc(MessageType.CLOSE).putLong(1).putInt(-5)),
                        "CLOSE document has a string of bad length -5"),
                // Chronicle stores an empty document as one padding byte: either way it has no header
                Arguments.of("zero-length document", new byte[0], "bytes, no header"),
                Arguments.of("GRANT in the up queue", copy(doc(MessageType.GRANT).putLong(1).putLong(2)),
                        "unexpected GRANT document on the PARENT's inbound queue"),
                Arguments.of("COPY from the client", copy(doc(MessageType.COPY).putLong(1)),
                        "unexpected COPY document on the PARENT's inbound queue"),
                Arguments.of("RECONNECTION_DONE without a handover", copy(doc(MessageType.RECONNECTION_DONE)),
                        "unexpected RECONNECTION_DONE document on the PARENT's inbound queue"),
                Arguments.of("INTERMISSION_DONE without a handover", copy(doc(MessageType.INTERMISSION_DONE)),
                        "INTERMISSION_DONE"),
                Arguments.of("oversized DATA", oversizedData(), "DATA document of " + (MAX + 1)
                        + " bytes exceeds the maximum of " + MAX));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConnectionDocuments")
    void badDocumentOnAConnectionFailsItWithTheReasonAndTheServerGoesOn(String what, byte[] document, String reason)
            throws Exception {
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            assertEchoRoundTrip(c); // the connection works before
            Channel up = Faults.rawChannel(config, Layout.upDir(connDir(base, c)));
            opened.add(up);
            int since = server.output().length();
            appendRaw(up, document);
            // the server fails the connection and tells the client why; the client's receive says so
            assertThatThrownBy(() -> c.receive(new byte[16], 0, 16, 10_000))
                    .isInstanceOf(ViaException.class).isNotInstanceOf(ViaTimeoutException.class)
                    .hasMessageContaining("connection " + c.id())
                    .hasMessageContaining(ErrorCode.PROTOCOL.description());
            String log = awaitOutputSince(server, since, "ECHO-ERROR", Duration.ofSeconds(10));
            assertThat(Faults.line(log, "(PARENT) failed: protocol violation")).contains(c.id()).contains(reason);
            assertThat(Faults.line(log, "ECHO-ERROR")).contains("ViaProtocolException").contains(reason);
            FlagBlock flags = FlagBlock.openReadOnly(connDir(base, c));
            assertThat(flags.state()).isEqualTo(ConnectionState.FAILED);
            assertThat(flags.error()).isEqualTo(ErrorCode.PROTOCOL);
            assertThatThrownBy(() -> c.send(new byte[1])).isInstanceOf(ViaException.class)
                    .hasMessageContaining("protocol violation");
        }
        assertEchoWorks(config, what);
    }

    @Test
    void badDocumentOnTheClientsDownQueueFailsTheConnectionForBothSides() throws Exception {
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            assertEchoRoundTrip(c);
            Channel down = Faults.rawChannel(config, Layout.downDir(connDir(base, c)));
            opened.add(down);
            int since = server.output().length();
            appendRaw(down, bytes(Messages.VERSION, 77));
            assertThatThrownBy(() -> c.receive(new byte[16], 0, 16, 10_000))
                    .isInstanceOf(ViaProtocolException.class).hasMessageContaining("unknown message type 77");
            // the client told the server: its blocked receive ends with the reason
            String log = awaitOutputSince(server, since, "ECHO-ERROR", Duration.ofSeconds(10));
            assertThat(Faults.line(log, "ECHO-ERROR")).contains(c.id()).contains("protocol violation");
        }
        assertEchoWorks(config, "a bad down-queue document");
    }

    @Test
    void grantWithAWrongTokenOnTheDownQueueFailsTheConnection() throws Exception {
        try (ViaConnection c = ViaClient.connect(config, EP)) {
            Channel down = Faults.rawChannel(config, Layout.downDir(connDir(base, c)));
            opened.add(down);
            append(down, doc(MessageType.GRANT).putLong(12345).putLong(1));
            assertThatThrownBy(() -> c.receive(new byte[16], 0, 16, 10_000))
                    .isInstanceOf(ViaProtocolException.class).hasMessageContaining("GRANT with a wrong token");
        }
        assertEchoWorks(config, "a forged GRANT");
    }

    // ------------------------------------------------------------------------------------------------- fuzzing

    @Test
    void fuzzedListenQueueAndConnectionsLeaveTheServerServing() throws Exception {
        Random random = new Random(20261127L);
        int since = server.output().length();
        for (int i = 0; i < 1500; i++) {
            appendRaw(listen, randomDocument(random));
        }
        // 20 live connections, each fed 40 random documents: each must end (error or end of stream), none hang
        for (int k = 0; k < 20; k++) {
            try (ViaConnection c = ViaClient.connect(config, EP)) {
                Channel up = Faults.rawChannel(config, Layout.upDir(connDir(base, c)));
                try {
                    for (int i = 0; i < 40; i++) {
                        appendRaw(up, randomDocument(random));
                    }
                    appendRaw(up, copy(doc(MessageType.CLOSE).putLong(0).putString(""))); // then end of stream
                } finally {
                    up.close();
                }
                drainToTheEnd(c, "fuzzed connection " + k);
            }
        }
        assertThat(server.output().substring(since)).doesNotContain("accept failed").doesNotContain("Exception in");
        assertEchoWorks(config, "fuzzing");
    }

    /** Reads until end of stream or an error; a wait that times out (a wedged connection) fails the test. */
    private static void drainToTheEnd(ViaConnection c, String what) throws IOException {
        byte[] buf = new byte[64 * 1024];
        try {
            while (c.receive(buf, 0, buf.length, 10_000) >= 0) {
                // echoed random DATA
            }
        } catch (ViaTimeoutException e) {
            throw new AssertionError(what + ": the connection neither ended nor failed: " + e.getMessage(), e);
        } catch (ViaException expected) {
            assertThat(expected.getMessage()).as(what).contains(c.id());
        }
    }

    /** Mostly well-formed headers with garbage fields, sometimes pure garbage, sometimes empty. */
    private static byte[] randomDocument(Random r) {
        int kind = r.nextInt(10);
        byte[] b = new byte[kind == 0 ? r.nextInt(3) : 2 + r.nextInt(kind == 1 ? 3000 : 60)];
        r.nextBytes(b);
        if (kind >= 2 && b.length >= 2) {
            b[0] = Messages.VERSION;
            b[1] = (byte) r.nextInt(14);
        }
        return b;
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private static void assertEchoRoundTrip(ViaConnection c) throws IOException {
        c.send(new byte[] {4, 5, 6});
        byte[] got = new byte[3];
        int off = 0;
        while (off < 3) {
            off += c.receive(got, off, 3 - off, 10_000);
        }
        assertThat(got).containsExactly(4, 5, 6);
    }

    private static byte[] copy(Messages.Writer w) {
        return Arrays.copyOf(w.bytes(), w.length());
    }

    private static byte[] versioned(int version, Messages.Writer w) {
        byte[] b = copy(w);
        b[0] = (byte) version;
        return b;
    }

    private static byte[] oversizedData() {
        byte[] b = new byte[Messages.HEADER + MAX + 1];
        b[0] = Messages.VERSION;
        b[1] = MessageType.DATA.code();
        return b;
    }
}
