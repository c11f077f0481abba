package io.viaemu.protocol;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * Coordination words in this JVM's memory: a connection whose three roles run in one process (unit tests with the
 * in-memory transport). The doorbells are registered under the connection's (virtual) directory, so a transport's
 * appends to its {@code up} and {@code down} queues ring them as they ring a mapped flag block's.
 */
public final class MemoryCoordination extends BufferCoordination {

    private final LongConsumer processWaker;

    /**
     * @param connectionDir the connection's directory, as the roles and the transport name it (nothing is created)
     * @param processWaker told the pid of each process whose housekeeper a role wakes
     */
    public MemoryCoordination(Path connectionDir, LongConsumer processWaker) {
        super(ByteBuffer.allocateDirect(SIZE), connectionDir.resolve(FlagBlock.FILE_NAME), connectionDir, false);
        this.processWaker = processWaker;
    }

    @Override
    public void wakeProcess(long pid, long startMillis) {
        processWaker.accept(pid);
    }
}
