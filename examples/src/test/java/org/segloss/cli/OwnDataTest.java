package org.segloss.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.examples.data.Preprocessing;
import org.segloss.examples.data.SyntheticDataset;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.nn.Checkpoint;
import org.segloss.tensor.Tensor;
import picocli.CommandLine;

/**
 * The path for one's own data, on synthetic NIfTI data sets in both layouts (anisotropic
 * spacing, a rotated and flipped affine, cases of different shapes, one smaller than a patch):
 * {@code train --data DIR} runs a step and stores the preprocessing, {@code predict} writes onto
 * each input's exact grid with its header, {@code evaluate} scores the result.
 */
class OwnDataTest {
    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {}

    private static Run run(Callable<Integer> cmd, PrintStream[] streams, ByteArrayOutputStream out, ByteArrayOutputStream err,
            String... args) {
        int exit = new CommandLine(cmd).setErr(new java.io.PrintWriter(streams[1], true)).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run train(String... args) {
        TrainCommand c = new TrainCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        c.outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        c.errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        return run(c, new PrintStream[] {c.outStream, c.errStream}, out, err, args);
    }

    static Run predict(String... args) {
        PredictCommand c = new PredictCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        c.outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        c.errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        return run(c, new PrintStream[] {c.outStream, c.errStream}, out, err, args);
    }

    static Run evaluate(String... args) {
        EvaluateCommand c = new EvaluateCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        c.outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        c.errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        return run(c, new PrintStream[] {c.outStream, c.errStream}, out, err, args);
    }

    private static final String[] QUICK = {"--epochs", "1", "--steps-per-epoch", "1", "--patch", "8", "--batch", "1", "--threads", "2",
            "--no-progress"};

    private static String[] with(String[] base, String... more) {
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void nnUnetFolderTrainsPredictsOntoTheInputGridAndEvaluates() throws IOException {
        Path data = SyntheticDataset.writeNnUnet(tmp.resolve("Dataset001_Synthetic"));
        endToEnd(data, data.resolve("imagesTr"), List.of("case_a.nii.gz", "case_b.nii.gz", "case_c.nii.gz"), "_0000.nii.gz");
    }

    @Test
    void msdFolderTrainsPredictsOntoTheInputGridAndEvaluates() throws IOException {
        Path data = SyntheticDataset.writeMsd(tmp.resolve("Task01_Synthetic"));
        endToEnd(data, data.resolve("imagesTr"), List.of("case_a.nii.gz", "case_b.nii.gz", "case_c.nii.gz"), ".nii.gz");
    }

    private void endToEnd(Path data, Path images, List<String> expectedOutputs, String inputSuffix) throws IOException {
        Path runDir = tmp.resolve("run");
        Run t = train(with(QUICK, "--data", data.toString(), "--fold", "all", "--out", runDir.toString()));
        assertEquals(0, t.exit(), t.err() + t.out());
        assertTrue(t.out().contains("fold all") && t.out().contains("resampled to 1 x 1 x 3 mm (x, y, z)"), t.out());
        Checkpoint ckpt = Checkpoint.read(runDir.resolve("checkpoint.ckpt"));
        Preprocessing p = Preprocessing.fromMetadata(ckpt.metadata());
        assertArrayEquals(new double[] {3, 1, 1}, p.targetSpacing(), 1e-9);
        assertEquals(Preprocessing.Scheme.CT, p.channels().get(1).scheme());
        assertEquals(List.of("background", "ball", "core"), p.classNames());

        Path pred = tmp.resolve("pred");
        Run r = predict("--checkpoint", runDir.resolve("checkpoint.ckpt").toString(), "--in", images.toString(), "--out", pred.toString(),
                "--probabilities", "--no-progress");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("predicted 3 case(s)"), r.out());
        for (String name : expectedOutputs) {
            String id = name.substring(0, name.length() - 7);
            NiftiImage input = Nifti.read(images.resolve(id + inputSuffix));
            NiftiImage out = Nifti.read(pred.resolve(name));
            int[] s = input.shape();
            assertArrayEquals(new int[] {s[s.length - 3], s[s.length - 2], s[s.length - 1]}, out.shape(), name);
            assertEquals(NiftiImage.Datatype.UINT8, out.datatype());
            assertEquals(input.sformCode(), out.sformCode());
            assertEquals(input.qformCode(), out.qformCode());
            for (int row = 0; row < 4; row++) assertArrayEquals(input.affine()[row], out.affine()[row], 0, name);
            int[] labels = out.toLabels().toArray();
            for (int v : labels) assertTrue(v >= 0 && v < 3, name + ": label " + v);
            Tensor probs = Nifti.readTensor(pred.resolve(id + "_probabilities.nii.gz"));
            assertEquals(3, probs.dim(0));
            assertTrue(probs.sum(new int[] {0}, false).add(-1f).abs().max(new int[] {0, 1, 2}, false).item() < 1e-5f);
            assertArrayEquals(probs.argmax(0).toArray(), labels);
        }

        Path eval = tmp.resolve("eval");
        Run e = evaluate("--pred", pred.toString(), "--truth", data.resolve("labelsTr").toString(), "--out", eval.toString(), "--labels",
                data.resolve("dataset.json").toString());
        assertEquals(0, e.exit(), e.err());
        List<String> csv = Files.readAllLines(eval.resolve("evaluation.csv"));
        assertEquals(1 + 3 * 2, csv.size(), csv.toString());
        assertTrue(csv.get(1).startsWith("case_a,ball,1,") && csv.get(2).startsWith("case_a,core,2,"), csv.toString());
        assertTrue(Files.readString(eval.resolve("summary.md")).contains("3 probability file(s) of segloss predict"), e.out());
    }

    @Test
    void resumeFindsTheSamePreprocessingAndRefusesAnother() throws IOException {
        Path data = SyntheticDataset.writeMsd(tmp.resolve("msd"));
        Path runDir = tmp.resolve("run");
        String[] args = {"--epochs", "2", "--steps-per-epoch", "1", "--patch", "8", "--batch", "1", "--threads", "2", "--no-progress",
                "--data", data.toString(), "--fold", "all", "--out", runDir.toString()};
        assertEquals(0, train(with(args, "--stop-after-epoch", "1")).exit());
        Run r = train(with(args, "--resume"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("resuming from"), r.out());
        r = train(with(args, "--resume", "--spacing", "1,1,2"));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--spacing: (default) in the checkpoint, 1,1,2 now")
                && r.err().contains("--preprocessing.target_spacing_dhw: 3.0,1.0,1.0 in the checkpoint, 2.0,1.0,1.0 now"), r.err());
    }

    @Test
    void badInputToTrainAndPredictIsNamed() throws IOException {
        Path data = SyntheticDataset.writeNnUnet(tmp.resolve("v2"));
        Run t = train(with(QUICK, "--data", data.toString(), "--fold", "0", "--out", tmp.resolve("r").toString()));
        assertEquals(2, t.exit());
        assertTrue(t.err().contains("at least 5 training cases, got 3"), t.err());
        t = train(with(QUICK, "--data", data.toString(), "--fold", "all", "--spacing", "1,1", "--out", tmp.resolve("r").toString()));
        assertEquals(2, t.exit());
        assertTrue(t.err().startsWith("segloss train: --spacing 1,1:"), t.err());
        t = train(with(QUICK, "--data", "phantom", "--fold", "all", "--out", tmp.resolve("r").toString()));
        assertEquals(2, t.exit());
        assertTrue(t.err().contains("--fold and --spacing are options of --data DIR"), t.err());
        t = train(with(QUICK, "--data", tmp.resolve("nothing").toString(), "--out", tmp.resolve("r").toString()));
        assertEquals(2, t.exit());
        assertTrue(t.err().contains("unknown --data") && t.err().contains("dataset.json"), t.err());

        Path runDir = tmp.resolve("run");
        assertEquals(0, train(with(QUICK, "--data", data.toString(), "--fold", "all", "--out", runDir.toString())).exit());
        String ckpt = runDir.resolve("checkpoint.ckpt").toString();
        // one channel of a two-channel model
        Path oneChannel = tmp.resolve("one");
        Files.createDirectories(oneChannel);
        Files.copy(data.resolve("imagesTr/case_a_0000.nii.gz"), oneChannel.resolve("case_a_0000.nii.gz"));
        Path out = tmp.resolve("pred");
        Run r = predict("--checkpoint", ckpt, "--in", oneChannel.toString(), "--out", out.toString(), "--no-progress");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("case case_a") && r.err().contains("2 channel(s)") && r.err().contains("case_a_0000.nii.gz"), r.err());
        assertFalse(Files.exists(out));
        // a checkpoint of a built-in data set has no preprocessing
        Path phantomRun = tmp.resolve("phantom");
        assertEquals(0, train(with(QUICK, "--volume-size", "16", "--train-volumes", "1", "--val-volumes", "1", "--out",
                phantomRun.toString())).exit());
        r = predict("--checkpoint", phantomRun.resolve("checkpoint.ckpt").toString(), "--in", data.resolve("imagesTr").toString(),
                "--out", out.toString(), "--no-progress");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("preprocessing.format is missing"), r.err());
        assertFalse(Files.exists(out));
    }
}
