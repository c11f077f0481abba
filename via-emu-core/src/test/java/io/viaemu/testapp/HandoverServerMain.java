package io.viaemu.testapp;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import io.viaemu.ConnectionHandedOverException;
import io.viaemu.ParentConnection;
import io.viaemu.ViaServer;
import io.viaemu.protocol.ConnectionEnd;
import io.viaemu.protocol.FlagBlock;

/**
 * The parent of the handover tests. Consumes the client's stream in odd-sized pieces (so a document is always
 * half consumed when the handover comes), records exactly what it consumed, sends its own numbered longs, forks
 * the connection to {@link RecordingHandler}, then acts out one trigger.
 * Args: base endpoint triggers poolSize mode consumeBytes outDir.
 * Modes: T1 (close), T2 (abort), KILL (keeps consuming until killed), T3/T4 (consumes until the child takes the
 * connection, then tries close and abort, which must not start a second handover), OFF (close with T1 off).
 */
public final class HandoverServerMain {
    public static final long PARENT_BASE = 1_000_000_000L;
    public static final int PARENT_LONGS = 50;

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        String endpoint = args[1];
        String mode = args[4];
        int consumeBytes = Integer.parseInt(args[5]);
        Path out = Path.of(args[6]);
        Files.createDirectories(out);
        ViaServer server = ViaServer.listen(TestConfigs.config(base, args[2], Integer.parseInt(args[3])), endpoint);
        System.out.println("LISTENING");
        for (int i = Integer.getInteger("via.test.slotWarmups", 0); i > 0; i--) {
            try (ParentConnection warmup = server.accept(30_000)) { // echoes until the client's end of stream
                byte[] buf = new byte[64];
                int n;
                while ((n = warmup.receive(buf, 0, buf.length, 30_000)) >= 0) {
                    warmup.send(buf, 0, n);
                }
            }
        }
        ParentConnection c = server.accept(30_000);
        KillSwitch.arm(base, endpoint, c.id()); // only with -Dvia.test.killParentAt (the fault tests)
        try (FileOutputStream parentIn = new FileOutputStream(out.resolve("parent-in.bin").toFile())) {
            consume(c, parentIn, consumeBytes, 0);
            for (int i = 0; i < PARENT_LONGS; i++) {
                c.send(ByteBuffer.allocate(8).putLong(PARENT_BASE + i).array());
            }
            c.fork(RecordingHandler.class.getName());
            System.out.println("FORKED");
            switch (mode) {
                case "T1":
                    consume(c, parentIn, 1000, 0);
                    c.close();
                    System.out.println("CLOSED handedOver=" + c.isHandedOver());
                    break;
                case "T2":
                    consume(c, parentIn, 1000, 0);
                    c.abort();
                    System.out.println("ABORTED handedOver=" + c.isHandedOver());
                    break;
                case "T1-BLOCKED": // the client's write is blocked on a full window when the parent closes
                    consume(c, parentIn, 1000, 0);
                    awaitClientBlocked(c);
                    c.close();
                    System.out.println("CLOSED handedOver=" + c.isHandedOver());
                    break;
                case "KILL-BLOCKED": // ... or when the parent is killed (by the test)
                    consume(c, parentIn, 1000, 0);
                    awaitClientBlocked(c);
                    Thread.sleep(120_000);
                    break;
                case "KILL":
                    System.out.println("CONSUMING");
                    consume(c, parentIn, Integer.MAX_VALUE, 1);
                    break;
                case "T3":
                case "T4":
                    try {
                        consume(c, parentIn, Integer.MAX_VALUE, 1);
                    } catch (ConnectionHandedOverException e) {
                        System.out.println("HANDED_OVER_BY_CHILD " + e.getMessage());
                    }
                    // once the handover completed (the server released the connection), a send must say why too
                    long releasedBy = System.nanoTime() + 30_000_000_000L;
                    while (server.connections().contains(c) && System.nanoTime() < releasedBy) {
                        Thread.sleep(5);
                    }
                    try {
                        c.send(new byte[8]);
                        System.out.println("SEND-AFTER-HANDOVER succeeded");
                    } catch (IOException e) {
                        System.out.println("SEND-AFTER-HANDOVER " + e.getClass().getSimpleName() + ": " + e.getMessage());
                    }
                    c.close();
                    c.abort();
                    System.out.println("SECOND-TRIGGERS-IGNORED handedOver=" + c.isHandedOver());
                    break;
                case "OFF":
                    c.close();
                    System.out.println("CLOSED_WITHOUT_HANDOVER handedOver=" + c.isHandedOver());
                    break;
                default:
                    throw new IllegalArgumentException(mode);
            }
        }
        System.out.println("PARENT-DONE");
        Thread.sleep(120_000); // stay up (bounded) so the test decides when the parent goes
        server.close();
    }

    /** Reads nothing until the client's sends have stood still for 300 ms with more than half a window unread. */
    static void awaitClientBlocked(ParentConnection c) throws Exception {
        FlagBlock flags = ((ConnectionEnd) c).flags();
        long window = c.sendWindow();
        long last = -1;
        long stillSince = System.nanoTime();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            long appended = flags.get(FlagBlock.Word.UP_APPENDED);
            if (appended != last) {
                last = appended;
                stillSince = System.nanoTime();
            } else if (appended - flags.get(FlagBlock.Word.UP_CONSUMED) > window / 2
                    && System.nanoTime() - stillSince > 300_000_000L) {
                System.out.println("CLIENT-BLOCKED appended=" + appended + " unconsumed="
                        + (appended - flags.get(FlagBlock.Word.UP_CONSUMED)) + " window=" + window);
                return;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("the client never blocked on the window");
    }

    /** The largest piece {@link #consume} receives at once. */
    public static final int LARGEST_PIECE = 13;

    /** Consumes {@code bytes} bytes in pieces of 7 to 13 bytes, writing each piece to {@code sink}. */
    static void consume(ParentConnection c, FileOutputStream sink, int bytes, long pauseMillis) throws Exception {
        byte[] buf = new byte[LARGEST_PIECE];
        int piece = 7;
        long done = 0;
        while (done < bytes) {
            int want = (int) Math.min(piece, bytes - done);
            int n = c.receive(buf, 0, want, 30_000);
            if (n < 0) {
                return;
            }
            sink.write(buf, 0, n); // unbuffered: on disk (page cache) even if we are killed right after
            done += n;
            piece = piece == LARGEST_PIECE ? 7 : piece + 1;
            if (pauseMillis > 0) {
                Thread.sleep(pauseMillis);
            }
        }
    }
}
