package org.segloss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * An output path that cannot be used is an option error ({@code segloss CMD: --out PATH: why},
 * exit 2), never a stack trace; so is a {@code --resume} that finds no checkpoint file.
 */
class OutputPathErrorsTest {
    private record Run(int exit, String out, String err) {}

    private static final String[] TINY = {"--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "1",
        "--train-volumes", "1", "--val-volumes", "1", "--no-progress"};

    private static Run train(String... args) {
        TrainCommand cmd = new TrainCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        cmd.outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        String[] all = java.util.Arrays.copyOf(TINY, TINY.length + args.length);
        System.arraycopy(args, 0, all, TINY.length, args.length);
        int exit = new CommandLine(cmd).setErr(new java.io.PrintWriter(cmd.errStream, true)).execute(all);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertOptionError(Run r, String expected) {
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in: " + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
    }

    @Test
    void outOnARegularFileIsAnOptionError(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "not a folder");
        assertOptionError(train("--out", file.toString()), "segloss train: --out " + file + ": exists and is not a directory");
        assertEquals("not a folder", Files.readString(file), "the file is left alone");
    }

    @Test
    void outUnderAFileIsAnOptionError(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        Path under = file.resolve("run");
        assertOptionError(train("--out", under.toString()), "segloss train: --out " + under + ": " + file + " is a file, not a directory");
    }

    @Test
    void outThatCannotBeCreatedIsAnOptionError() {
        // /proc refuses new directories even for root (a permission test would pass as root)
        Path proc = Path.of("/proc/segloss-cannot-create/run");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        Run r = train("--out", proc.toString());
        assertOptionError(r, "segloss train: --out " + proc + ": cannot be created");
    }

    @Test
    void checkpointPathThatIsADirectoryIsNamed(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("checkpoint.ckpt"));
        assertOptionError(train("--out", dir.toString()), dir.resolve("checkpoint.ckpt") + " is a directory");
        assertOptionError(train("--out", dir.toString(), "--resume"), dir.resolve("checkpoint.ckpt") + " is a directory");
    }

    @Test
    void resumeWithoutARunNamesThePath(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("never-trained");
        assertOptionError(train("--out", missing.toString(), "--resume"), "--resume: no run in " + missing);
        assertFalse(Files.exists(missing), "a resume does not create the folder");
        assertOptionError(train("--out", dir.toString(), "--resume"), "--resume: no checkpoint " + dir.resolve("checkpoint.ckpt"));
        Path file = Files.writeString(dir.resolve("f"), "x");
        assertOptionError(train("--out", file.toString(), "--resume"), "--resume: no run in " + file + " (a file");
    }

    @Test
    void conformWithAnUnusableOutputFolderIsAnOptionError(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("out.txt"), "x");
        PrintStream before = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new ConformCommand()).execute("../spec/vectors/cases.json", file.resolve("sub").toString());
        } finally {
            System.setErr(before);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, exit, text);
        assertTrue(text.contains("segloss conform: OUT_DIR " + file.resolve("sub") + ": " + file + " is a file, not a directory"), text);
        assertFalse(text.contains("\tat "), text);
    }
}
