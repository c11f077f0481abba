package io.viaemu.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The uid the base-directory check compares with: read from /proc, the owner a created file gets. */
class FilePermissionsTest {

    @Test
    void theUidFromProcIsTheOwnerOfAFileThisProcessCreates(@TempDir Path dir) throws IOException {
        Path status = Path.of("/proc/self/status");
        assumeTrue(Files.isReadable(status), "no /proc here");
        Path created = Files.createFile(dir.resolve("created"));
        assertThat(FilePermissions.fileSystemUid(status)).isEqualTo(Files.getAttribute(created, "unix:uid"));
    }

    @Test
    void theFourthIdOfTheUidLineIsTaken(@TempDir Path dir) throws IOException {
        Path status = dir.resolve("status");
        Files.writeString(status, "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t7\n"
                + "Uid:\t1000\t1001\t1002\t1003\nGid:\t5\t5\t5\t5\nGroups:\t\n", StandardCharsets.US_ASCII);
        assertThat(FilePermissions.fileSystemUid(status)).isEqualTo(1003);
        Files.writeString(status, "Uid: 0 0 0 0", StandardCharsets.US_ASCII);
        assertThat(FilePermissions.fileSystemUid(status)).isZero();
    }

    @Test
    void aMissingOrMalformedUidLineGivesNothing(@TempDir Path dir) throws IOException {
        Path status = dir.resolve("status");
        assertThat(FilePermissions.fileSystemUid(status)).as("no file").isNull();
        Files.writeString(status, "Name:\tjava\nGid:\t5\t5\t5\t5\n", StandardCharsets.US_ASCII);
        assertThat(FilePermissions.fileSystemUid(status)).as("no Uid line").isNull();
        Files.writeString(status, "Uid:\t1000\t1000\t1000\n", StandardCharsets.US_ASCII);
        assertThat(FilePermissions.fileSystemUid(status)).as("three ids").isNull();
        Files.writeString(status, "Uid:\t1000\t1000\tx\t1000\n", StandardCharsets.US_ASCII);
        assertThat(FilePermissions.fileSystemUid(status)).as("not a number").isNull();
        Files.writeString(status, "Uid:\t1\t1\t1\t99999999999\n", StandardCharsets.US_ASCII);
        assertThat(FilePermissions.fileSystemUid(status)).as("beyond an int").isNull();
        Files.writeString(status, "XUid:\t1\t1\t1\t1\n", StandardCharsets.US_ASCII);
        assertThat(FilePermissions.fileSystemUid(status)).as("another key").isNull();
    }

    @Test
    void anOwnerOnlyDirectoryOfThisUserPassesAndAnOpenOneIsRefused(@TempDir Path dir) throws IOException {
        Path mine = Files.createDirectory(dir.resolve("mine"),
                PosixFilePermissions.asFileAttribute(FilePermissions.OWNER_DIR));
        FilePermissions.checkPrivate(mine);
        Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwxrwx---"));
        assertThatThrownBy(() -> FilePermissions.checkPrivate(mine)).isInstanceOf(IOException.class)
                .hasMessageContaining("accessible to others");
    }
}
