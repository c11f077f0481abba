package io.viaemu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.viaemu.protocol.MessageType;
import io.viaemu.protocol.Messages;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import io.viaemu.transport.chronicle.ChronicleTransport;
import io.viaemu.testing.TestDirs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reusable worker's inbox is shared by every connection a client process has with it: one connection forgetting
 * the channel after its reconnection must not break another's append (found by ForkRateBench with 8 client threads:
 * "SingleChronicleQueue closed").
 */
class ListenChannelsTest {
    @TempDir
    Path tmp;

    @Test
    void anAppendRacingAForgetOfTheSameChannelStillLands() throws Exception {
        Path dir = TestDirs.privateDir(tmp, "inbox");
        ChronicleTransport transport = new ChronicleTransport("FAST_DAILY", 16L << 20);
        int appends = 300;
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread forgetter = new Thread(() -> {
            while (!done.get()) {
                ListenChannels.forget(dir);
                Thread.onSpinWait();
            }
        });
        forgetter.start();
        try {
            for (int i = 0; i < appends; i++) {
                ListenChannels.append(transport, dir, new Messages.Writer().start(MessageType.ASSIGN).putLong(i)
                        .putString("h"));
            }
        } catch (Throwable e) {
            failure.set(e);
        } finally {
            done.set(true);
            forgetter.join(10_000);
            ListenChannels.forget(dir);
        }
        assertThat(failure.get()).isNull();
        try (Channel ch = transport.open(dir); ChannelReader r = ch.reader()) {
            Document d = new Document(256);
            Messages.Reader m = new Messages.Reader();
            int n = 0;
            while (r.next(d)) {
                assertThat(m.reset(d).type()).isEqualTo(MessageType.ASSIGN);
                assertThat(m.getLong()).isEqualTo(n);
                n++;
            }
            assertThat(n).as("every append landed, in order").isEqualTo(appends);
        }
    }
}
