package org.segloss.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @Test
    void replacesTheContent(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.bin");
        AtomicFiles.write(f, new byte[] {1, 2, 3});
        AtomicFiles.write(f, new byte[] {4, 5});
        assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file left");
        }
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.bin");
        AtomicFiles.write(f, new byte[] {7});
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, ch -> {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {8, 9}));
            throw new IOException("disk full (simulated)");
        }));
        assertEquals("disk full (simulated)", e.getMessage());
        assertArrayEquals(new byte[] {7}, Files.readAllBytes(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file left");
        }
    }

    @Test
    void permissionsAreThoseOfAnOrdinaryNewFile(@TempDir Path dir) throws IOException {
        Assumptions.assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX file system");
        Path ordinary = Files.write(dir.resolve("ordinary"), new byte[] {1});
        Path atomic = dir.resolve("atomic");
        AtomicFiles.write(atomic, new byte[] {1});
        // Files.createTempFile would give rw------- whatever the umask; other users (viewers) could not read the file
        assertEquals(Files.getPosixFilePermissions(ordinary), Files.getPosixFilePermissions(atomic));
    }
}
