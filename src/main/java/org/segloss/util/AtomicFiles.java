package org.segloss.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writing a file so that readers see either the old content or the whole new one, never a
 * half-written file: checkpoints, NIfTI predictions and metrics tables are rewritten after every
 * epoch of a training run that may be killed at any moment.
 *
 * <p>The content goes to a new temporary file next to the target (same directory, hence the same
 * file system; a random name, created with the process's umask like any other file), which is
 * forced to disk and then moved over the target with {@code ATOMIC_MOVE}. On any failure the
 * temporary file is deleted and the target is untouched. The directory is forced afterwards where
 * the platform allows it, so the rename survives a power cut too.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the content of a file into an open channel. */
    @FunctionalInterface
    public interface ContentWriter {
        void write(FileChannel channel) throws IOException;
    }

    /** Replaces {@code file} by {@code bytes} atomically. */
    public static void write(Path file, byte[] bytes) throws IOException {
        write(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    /** Replaces {@code file} by what {@code content} writes, atomically (see the class comment). */
    public static void write(Path file, ContentWriter content) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.write(ch);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure matters more
                }
            }
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not supported (e.g. Windows): the data is durable, the rename as durable as the OS makes it
        }
    }
}
