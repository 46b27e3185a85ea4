package org.segloss.util;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Making the folder a command writes its outputs into, with a reason a user can act on when that
 * is impossible (instead of an exception's stack trace): the path is a file, lies under a file,
 * cannot be created, or is not writable.
 */
public final class OutputFolder {
    private OutputFolder() {}

    /**
     * Creates {@code dir} with its parents if needed and checks that it is a writable folder.
     *
     * @return null when the folder is ready; otherwise why it cannot be used, e.g.
     *     {@code "exists and is not a directory"} or {@code "/a/b is a file, not a directory"}
     *     (the caller names the option and the path in front of it)
     */
    public static String prepare(Path dir) {
        if (dir == null) return "no path given";
        if (Files.exists(dir) && !Files.isDirectory(dir)) return "exists and is not a directory";
        for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) return p + " is a file, not a directory";
        }
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            return e.getFile() + " exists and is not a directory";
        } catch (AccessDeniedException e) {
            return "cannot be created: permission denied on " + e.getFile();
        } catch (NoSuchFileException e) {
            return "cannot be created: the file system refuses " + e.getFile() + " (no such file or directory)";
        } catch (FileSystemException e) {
            return "cannot be created: " + (e.getReason() != null ? e.getReason() : "refused") + " (" + e.getFile() + ")";
        } catch (IOException e) {
            return "cannot be created: " + e.getMessage();
        } catch (SecurityException e) {
            return "cannot be created: denied by the security manager (" + e.getMessage() + ")";
        }
        if (!Files.isWritable(dir)) return "the folder is not writable";
        return null;
    }
}
