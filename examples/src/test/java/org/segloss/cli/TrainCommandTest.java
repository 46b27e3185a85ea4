package org.segloss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.tensor.LabelTensor;
import picocli.CommandLine;

class TrainCommandTest {

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        TrainCommand cmd = new TrainCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        cmd.outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(cmd).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void twoStepSmokeRunWritesMetrics(@TempDir Path dir) throws Exception {
        Run r = run("--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "2", "--batch", "2",
                "--train-volumes", "2", "--val-volumes", "1", "--threads", "2", "--no-progress", "--out", dir.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = Files.readAllLines(dir.resolve("metrics.csv"));
        assertEquals(TrainCommand.CSV_HEADER, lines.get(0));
        assertEquals(2, lines.size(), lines.toString());
        String[] f = lines.get(1).split(",");
        assertEquals(TrainCommand.CSV_HEADER.split(",").length, f.length);
        assertEquals("1", f[0]);
        double loss = Double.parseDouble(f[1]);
        assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
        for (int i = 3; i <= 6; i++) {
            double d = Double.parseDouble(f[i]);
            assertTrue(d >= 0 && d <= 1, "dice " + d);
        }
        assertTrue(r.out().contains("epoch 1/1"), r.out());
    }

    @Test
    void sameSeedSameMetricsUpToRoundOff(@TempDir Path dir) throws Exception {
        String[] args = {"--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "2", "--train-volumes", "1",
                "--val-volumes", "1", "--threads", "2", "--no-progress", "--out", ""};
        args[args.length - 1] = dir.resolve("a").toString();
        assertEquals(0, run(args).exit());
        args[args.length - 1] = dir.resolve("b").toString();
        assertEquals(0, run(args).exit());
        // same data, sampler and initialisation; equal up to float round-off (see TrainCommand), seconds aside
        String[] a = Files.readAllLines(dir.resolve("a/metrics.csv")).get(1).split(",");
        String[] b = Files.readAllLines(dir.resolve("b/metrics.csv")).get(1).split(",");
        assertEquals(Double.parseDouble(a[1]), Double.parseDouble(b[1]), 1e-4, "loss");
        assertEquals(a[2], b[2], "lr");
        for (int i = 3; i <= 6; i++) assertEquals(Double.parseDouble(a[i]), Double.parseDouble(b[i]), 0.02, "dice column " + i);
    }

    @Test
    void unknownLossIsRejectedWithTheValidNames(@TempDir Path dir) {
        Run r = run("--loss", "nope", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown loss 'nope'") && r.err().contains("dice-ce") && r.err().contains("focal-tversky"), r.err());
        assertThrows(IllegalArgumentException.class, () -> TrainCommand.loss("nope"));
    }

    @Test
    void everyLossNameBuilds() {
        for (String name : TrainCommand.LOSSES.keySet()) TrainCommand.loss(name);
    }

    @Test
    void mniIsNotImplementedYet(@TempDir Path dir) {
        Run r = run("--data", "mni", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("not implemented yet"), r.err());
    }

    @Test
    void diceCountsEmptyClassesAsPerfect() {
        LabelTensor truth = LabelTensor.of(new int[] {0, 1, 1, 0}, 4), pred = LabelTensor.of(new int[] {0, 1, 0, 2}, 4);
        double[] d = TrainCommand.dice(pred, truth, 4);
        assertEquals(2.0 * 1 / 4, d[0], 1e-12);   // background: pred {0,2}, truth {0,3}, overlap {0}
        assertEquals(2.0 * 1 / 3, d[1], 1e-12);
        assertEquals(0.0, d[2], 1e-12);            // predicted, absent from the truth
        assertEquals(1.0, d[3], 1e-12);            // in neither
    }

    @Test
    void deepSupervisionTrains(@TempDir Path dir) throws Exception {
        Run r = run("--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "2", "--train-volumes", "1",
                "--val-volumes", "1", "--deep-supervision", "--no-progress", "--out", dir.toString());
        assertEquals(0, r.exit(), r.err());
        double loss = Double.parseDouble(Files.readAllLines(dir.resolve("metrics.csv")).get(1).split(",")[1]);
        assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
    }

    @Test
    void epochSeedsDifferPerEpochAndRun() {
        assertTrue(TrainCommand.epochSeed(1, 0) != TrainCommand.epochSeed(1, 1));
        assertTrue(TrainCommand.epochSeed(1, 0) != TrainCommand.epochSeed(2, 0));
        assertEquals(TrainCommand.epochSeed(7, 3), TrainCommand.epochSeed(7, 3));
    }
}
