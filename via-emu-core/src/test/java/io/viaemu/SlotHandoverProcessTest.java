package io.viaemu;

import static io.viaemu.testing.ByteStreams.concat;
import static io.viaemu.testing.ByteStreams.longs;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.viaemu.internal.Layout;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.testapp.HandoverServerMain;
import io.viaemu.testapp.RecordingHandler;
import io.viaemu.testapp.StreamingClientMain;
import io.viaemu.testing.JvmProcess;
import io.viaemu.testing.SeparateProcessTest;
import org.junit.jupiter.api.Test;

/**
 * A connection on a recycled connection slot is handed over by T1 byte-exact, like one on a fresh directory: the
 * client first uses and gives back slots (echo round trips with the parent), then streams on a slot in its second or
 * later use while the parent forks and closes. The child starts reading after that use's start, never at an
 * earlier use's documents; after the handover the client keeps the slot and the child releases the use.
 */
class SlotHandoverProcessTest extends SeparateProcessTest {
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final int WARMUPS = 5;

    @Test
    void t1HandsOverAConnectionOnARecycledSlotByteExact() throws Exception {
        String warmups = "-Dvia.test.slotWarmups=" + WARMUPS;
        server = JvmProcess.start(tmp.resolve("logs"), "server", List.of("-Dvia.test.out=" + out, warmups),
                HandoverServerMain.class, base.toString(), "ep", "T1", "0", "T1", "3001", out.toString())
                .awaitOutput("LISTENING", STEP);
        client = JvmProcess.start(tmp.resolve("logs"), "client", List.of(warmups), StreamingClientMain.class,
                base.toString(), "ep", "T1", out.toString()).awaitOutput("CONNECTED", STEP);
        Matcher m = Pattern.compile("CONNECTED (\\S+) use=(\\d+)").matcher(client.output());
        assertThat(m.find()).as(client.output()).isTrue();
        assertThat(Long.parseLong(m.group(2))).as("the streamed connection's slot use").isGreaterThan(1);
        // mapped now: the block stays readable whoever deletes the directory at the end
        FlagBlock flags = FlagBlock.openReadOnly(Layout.connectionDir(base, "ep", Layout.parseId(m.group(1))));
        long upStart = flags.get(Word.UP_START);
        assertThat(upStart).as("the use starts after the earlier uses' documents").isPositive();

        server.awaitOutput("FORKED", STEP);
        server.awaitOutput("CLOSED handedOver=true", STEP);
        Thread.sleep(500); // the client keeps streaming, now to the child
        assertThat(stopStreamingClient(STEP)).as(client.output()).isZero();
        awaitChildDone(STEP);

        assertThat(Files.readString(out.resolve("child-done.txt"))).contains("error=none");
        long sent = longsSent();
        byte[] parentIn = Files.readAllBytes(out.resolve("parent-in.bin"));
        byte[] childIn = Files.readAllBytes(out.resolve("child-in.bin"));
        assertThat(childIn.length).as("child received input").isPositive();
        assertThat(concat(parentIn, childIn)).as("parent's consumed bytes + child's bytes == client's stream ("
                + sent + " longs; parent " + parentIn.length + " B, child " + childIn.length + " B)")
                .isEqualTo(longs(0, (int) sent));
        assertThat(Files.readAllBytes(out.resolve("client-in.bin")))
                .as("client got the parent's longs, then the child's, nothing of the warm-ups' echoes")
                .isEqualTo(concat(longs(HandoverServerMain.PARENT_BASE, HandoverServerMain.PARENT_LONGS),
                        longs(RecordingHandler.CHILD_BASE, RecordingHandler.CHILD_LONGS)));
        assertThat(flags.get(Word.TRIGGER_FIRED)).isEqualTo(Trigger.T1_PARENT_CLOSE.code());
        assertThat(flags.get(Word.RECONNECTION_COMPLETION)).isEqualTo(1);
        assertThat(flags.get(Word.BYTES_COPIED)).as("copied what the parent held").isEqualTo(128 - 4001 % 128);
        long use = Long.parseLong(m.group(2));
        assertThat(flags.get(Word.SLOT_KEPT)).as("a slot handed over completely is kept by the client").isEqualTo(use);
        assertThat(flags.get(Word.SLOT_RELEASED)).as("and released by the child").isEqualTo(use);
        assertThat(flags.state()).as("handed over, or idle again in the client's pool")
                .isIn(ConnectionState.HANDED_OVER, ConnectionState.IDLE);
    }
}
