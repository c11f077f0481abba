package io.viaemu.testapp;

import java.nio.file.Path;

import io.viaemu.transport.chronicle.ChronicleTransport;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * A writer that gets killed in the middle of appending a document: it opens a document on the queue in
 * {@code args[0]} (taking the queue's write lock), writes half of it, prints HOLDING and waits (bounded) for the
 * test's kill -9. Roll cycle {@code args[1]} (a RollCycles name), block size 16 MiB like the channel's default.
 */
public final class LockHoldingWriterMain {
    public static void main(String[] args) throws Exception {
        SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(Path.of(args[0]))
                .rollCycle(ChronicleTransport.rollCycle(args[1]))
                .blockSize(16L << 20)
                .build();
        ExcerptAppender appender = queue.createAppender();
        DocumentContext dc = appender.writingDocument(); // holds the write lock until closed: never
        dc.wire().bytes().write(new byte[] {1, 5, 9, 9, 9, 9, 9, 9});
        System.out.println("HOLDING");
        Thread.sleep(120_000);
        System.out.println("unused " + TestRollCycles.class + dc);
    }
}
