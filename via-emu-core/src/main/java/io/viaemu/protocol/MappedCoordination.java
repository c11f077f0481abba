package io.viaemu.protocol;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.viaemu.internal.FilePermissions;
import io.viaemu.internal.ProcessBells;

/**
 * The coordination words of a connection shared by its processes: the {@code flags} file of the connection's
 * directory, mapped {@code MAP_SHARED}. A peer's housekeeper is woken through its process doorbell under the base
 * directory ({@link ProcessBells}). The mapping is released by the garbage collector (no explicit unmap): a late
 * read from a thread that has not noticed the connection closed can never touch unmapped memory.
 */
final class MappedCoordination extends BufferCoordination {

    private final Path base;

    private MappedCoordination(Path file, MappedByteBuffer buffer, boolean readOnly) {
        super(buffer, file, file.getParent(), readOnly);
        // BASE/ENDPOINT/conn/ID/flags
        this.base = file.getParent().getParent().getParent().getParent();
    }

    /** Creates (zeroed, 0600) or opens the file and maps it read-write. */
    static MappedCoordination create(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            FilePermissions.makePrivate(file);
            return new MappedCoordination(file, ch.map(FileChannel.MapMode.READ_WRITE, 0, SIZE), false);
        }
    }

    /** Maps an existing file of at least {@link #SIZE} bytes. */
    static MappedCoordination open(Path file, boolean readOnly) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no flag block");
        }
        if (Files.size(file) < SIZE) {
            throw new IOException("flag block " + file + " is truncated (" + Files.size(file) + " bytes)");
        }
        try (FileChannel ch = readOnly ? FileChannel.open(file, StandardOpenOption.READ)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return new MappedCoordination(file,
                    ch.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE, 0, SIZE),
                    readOnly);
        }
    }

    @Override
    public void wakeProcess(long pid, long startMillis) {
        ProcessBells.ring(base, pid, startMillis);
    }
}
