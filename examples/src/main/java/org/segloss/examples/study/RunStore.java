package org.segloss.examples.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The run folders of a study: {@code DIR/runs/<data>/<loss>/seed-<seed>/} ({@link RunKey#folder()}),
 * each holding {@code result.json} ({@link RunResult}) and whatever else the run writes (curves,
 * the prediction of a validation volume).
 *
 * <p><b>A folder exists only once its run has finished.</b> A run writes into a hidden temporary
 * sibling {@code .seed-<seed>.tmp-<random>} and renames it to its final name in one atomic move
 * ({@code ATOMIC_MOVE}, same directory hence same file system). A killed run leaves at most a
 * temporary folder, which the next attempt at the same run deletes ({@link #clearStale}); a resumed
 * or sharded study skips every run whose folder exists. Two processes never run the same run at
 * once when they are shards of one study (the shares are disjoint); should one finish a run whose
 * folder appeared meanwhile, its own copy is discarded and the existing one kept.
 */
public final class RunStore {
    /** The subfolder of a study that holds the run folders. */
    public static final String RUNS = "runs";

    private final Path dir;

    /** The store of the study in {@code dir}. */
    public RunStore(Path dir) {
        if (dir == null) throw new IllegalArgumentException("RunStore: dir must not be null");
        this.dir = dir;
    }

    /** The study's folder. */
    public Path dir() {
        return dir;
    }

    /** The final folder of a run. */
    public Path folder(RunKey key) {
        return dir.resolve(RUNS).resolve(key.folder());
    }

    /** Whether the run has finished (its folder holds {@code result.json}). */
    public boolean finished(RunKey key) {
        return Files.isRegularFile(folder(key).resolve(RunResult.FILE));
    }

    /** The run's result, or {@code null} when it has not finished. */
    public RunResult read(RunKey key) throws IOException {
        Path f = folder(key).resolve(RunResult.FILE);
        if (!Files.isRegularFile(f)) return null;
        try {
            RunResult r = RunResult.fromJson(Files.readString(f, StandardCharsets.UTF_8));
            if (!r.key().equals(key)) throw new IOException(f + " holds the result of " + r.key() + ", not of " + key);
            return r;
        } catch (IllegalArgumentException e) {
            throw new IOException(f + ": " + e.getMessage(), e);
        }
    }

    /** Writes the files of a run into a folder. */
    @FunctionalInterface
    public interface FolderWriter {
        void write(Path folder) throws IOException;
    }

    /**
     * Deletes the temporary folders an interrupted attempt at this run left behind. Call it before
     * running the run, in the one process that owns it.
     */
    public void clearStale(RunKey key) throws IOException {
        Path parent = folder(key).getParent();
        if (!Files.isDirectory(parent)) return;
        String prefix = "." + folder(key).getFileName() + ".tmp-";
        try (DirectoryStream<Path> s = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : s) deleteTree(p);
        }
    }

    /**
     * A new, empty temporary folder for an attempt at {@code key}, next to its final folder: the
     * run writes its files there, and {@link #publish} renames it.
     */
    public Path begin(RunKey key) throws IOException {
        Path target = folder(key);
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        Files.createDirectory(tmp);
        return tmp;
    }

    /**
     * Adds {@code result.json} to the temporary folder {@code tmp} of {@link #begin} and renames
     * the folder to the run's final name atomically.
     *
     * @return true if this call published the run; false if its folder existed already (the
     *     temporary folder is then deleted and the existing result kept)
     */
    public boolean publish(Path tmp, RunResult result) throws IOException {
        Path target = folder(result.key());
        boolean moved = false;
        try {
            Files.writeString(tmp.resolve(RunResult.FILE), result.toJson(), StandardCharsets.UTF_8);
            if (Files.exists(target)) return false;
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                return false;
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot rename a folder atomically; a study needs one that can", e);
            } catch (IOException e) {
                if (Files.exists(target)) return false;        // lost a race: "directory not empty" on some systems
                throw e;
            }
            moved = true;
            return true;
        } finally {
            if (!moved) deleteTree(tmp);
        }
    }

    /** Drops the temporary folder of an attempt that will not be published. */
    public void abandon(Path tmp) throws IOException {
        deleteTree(tmp);
    }

    /**
     * {@link #begin}, {@code files} writing the run's extra files into the temporary folder, then
     * {@link #publish}.
     */
    public boolean commit(RunResult result, FolderWriter files) throws IOException {
        Path tmp = begin(result.key());
        try {
            if (files != null) files.write(tmp);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
        return publish(tmp, result);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(q);
        }
    }
}
