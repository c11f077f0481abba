package io.viaemu.transport.chronicle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;
import io.viaemu.testing.TestDirs;
import io.viaemu.transport.Channel;
import io.viaemu.transport.ChannelReader;
import io.viaemu.transport.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chronicle Queue (2026.4) on the logical segment clock: two appenders of their own queue instances (as two
 * processes have) on one channel follow each other's rolls, a tailer crosses every roll in order, moveToIndex finds
 * documents in earlier files, and consumed files are released.
 */
@Timeout(60)
class SizeRolledChannelTest {
    @TempDir
    Path tmp;

    @Test
    void appendersFollowEachOthersRollsAndTailersCrossThem() throws Exception {
        Path connDir = TestDirs.privateDir(tmp, "conn");
        FlagBlock flags = FlagBlock.create(connDir);
        ChronicleTransport transport = new ChronicleTransport("FAST_DAILY", 16L << 20);
        Path queueDir = connDir.resolve("up");
        Channel a = transport.open(queueDir, flags.counter(Word.UP_SEGMENT), 8 * 1024);
        Channel b = transport.open(queueDir, flags.counter(Word.UP_SEGMENT), 8 * 1024);
        Channel r = transport.open(queueDir, flags.counter(Word.UP_SEGMENT), 8 * 1024);
        try {
            byte[] header = {1, 2};
            byte[] payload = new byte[1000];
            List<Long> indexes = new ArrayList<>();
            ChannelReader reader = r.reader();
            Document d = new Document(2048);
            int read = 0;
            for (int i = 0; i < 400; i++) {
                ByteBuffer.wrap(payload).putInt(i);
                // alternate writers: each must append to the segment the other rolled to
                indexes.add((i % 3 == 0 ? b : a).append(header, 2, payload, 0, payload.length));
                if (i % 7 == 0) {
                    while (reader.next(d)) {
                        assertThat(ByteBuffer.wrap(d.bytes(), 2, 4).getInt()).isEqualTo(read);
                        assertThat(d.index()).isEqualTo(indexes.get(read));
                        read++;
                    }
                }
            }
            while (reader.next(d)) {
                assertThat(ByteBuffer.wrap(d.bytes(), 2, 4).getInt()).isEqualTo(read);
                read++;
            }
            assertThat(read).as("documents read across the rolls").isEqualTo(400);
            long segments = flags.get(Word.UP_SEGMENT);
            assertThat(segments).as("rolls (8 KiB files of 1 KiB documents)").isGreaterThan(40);
            for (int i = 1; i < indexes.size(); i++) {
                assertThat(indexes.get(i)).isGreaterThan(indexes.get(i - 1)); // never back to an older file
            }

            // moveToIndex into an earlier file, as a child recovering from the parent's consumed position
            ChannelReader back = r.reader();
            assertThat(back.moveToIndex(indexes.get(100))).isTrue();
            assertThat(back.next(d)).isTrue();
            assertThat(ByteBuffer.wrap(d.bytes(), 2, 4).getInt()).isEqualTo(100);
            back.close();

            // everything before document 390 is consumed: its files go, the rest stays readable
            r.reclaimBefore(indexes.get(390));
            assertThat(cycleFiles(queueDir)).as("files left").isLessThanOrEqualTo(3);
            ChannelReader late = r.reader();
            assertThat(late.moveToIndex(indexes.get(390))).isTrue();
            assertThat(late.next(d)).isTrue();
            assertThat(ByteBuffer.wrap(d.bytes(), 2, 4).getInt()).isEqualTo(390);
            late.close();
            reader.close();
        } finally {
            a.close();
            b.close();
            r.close();
        }
    }

    private static long cycleFiles(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".cq4")).count();
        }
    }
}
