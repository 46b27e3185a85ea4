package org.segloss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        int exit = new CommandLine(cmd).setErr(new java.io.PrintWriter(cmd.errStream, true)).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void twoStepSmokeRunWritesMetrics(@TempDir Path dir) throws Exception {
        Run r = run("--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "2", "--batch", "2",
                "--train-volumes", "2", "--val-volumes", "1", "--threads", "2", "--no-progress", "--out", dir.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = Files.readAllLines(dir.resolve("metrics.csv"));
        assertEquals("epoch,loss,lr,dice_organ,dice_structure,dice_lesion,iou_organ,iou_structure,iou_lesion,hd95_organ,hd95_structure,"
                + "hd95_lesion,assd_organ,assd_structure,assd_lesion,dice_mean,seconds", lines.get(0));
        assertEquals(2, lines.size(), lines.toString());
        String[] f = lines.get(1).split(",");
        assertEquals(17, f.length);
        assertEquals("1", f[0]);
        double loss = Double.parseDouble(f[1]);
        assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
        for (int i = 3; i <= 8; i++) {
            double d = Double.parseDouble(f[i]);
            assertTrue(d >= 0 && d <= 1, "dice/iou column " + i + ": " + d);
        }
        for (int i = 9; i <= 14; i++) assertTrue(f[i].equals("inf") || Double.parseDouble(f[i]) >= 0, "distance column " + i + ": " + f[i]);
        assertTrue(r.out().contains("epoch 1/1") && r.out().contains("HD95 mm"), r.out());
        for (String file : new String[] {"checkpoint.ckpt", "curves.png", "validation-slices.png", "validation-prediction.nii.gz",
                "validation-truth.nii.gz", "validation-image.nii.gz"}) {
            assertTrue(Files.size(dir.resolve(file)) > 0, file);
        }
    }

    @Test
    void phantomHardTrainsOnTheHardPreset(@TempDir Path dir) throws Exception {
        Run r = run("--data", "phantom-hard", "--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "2",
                "--train-volumes", "1", "--val-volumes", "1", "--threads", "2", "--no-progress", "--out", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("segloss train: phantom-hard: 1+1 synthetic volumes of 16^3"), r.out());
        assertEquals(2, Files.readAllLines(dir.resolve("metrics.csv")).size());
        r = run("--data", "phantom-hard", "--mni-downsample", "2", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--mni-dir and --mni-downsample are options of --data mni, not phantom-hard"), r.err());
    }

    @Test
    void sameSeedSameMetrics(@TempDir Path dir) throws Exception {
        String[] args = {"--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "2", "--train-volumes", "1",
                "--val-volumes", "1", "--threads", "2", "--no-progress", "--out", ""};
        args[args.length - 1] = dir.resolve("a").toString();
        assertEquals(0, run(args).exit());
        args[args.length - 1] = dir.resolve("b").toString();
        assertEquals(0, run(args).exit());
        // same data, sampler, initialisation and kernels: every field but the wall time is the same, bit for bit
        String a = Files.readAllLines(dir.resolve("a/metrics.csv")).get(1), b = Files.readAllLines(dir.resolve("b/metrics.csv")).get(1);
        assertEquals(a.substring(0, a.lastIndexOf(',')), b.substring(0, b.lastIndexOf(',')));
        org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(dir.resolve("a/checkpoint.ckpt")),
                Files.readAllBytes(dir.resolve("b/checkpoint.ckpt")));
    }

    @Test
    void unknownLossIsRejectedWithTheValidNames(@TempDir Path dir) {
        Run r = run("--loss", "nope", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown loss 'nope'") && r.err().contains("dice-ce") && r.err().contains("focal-tversky"), r.err());
    }

    @Test
    void lossOptionsReachTheLossAndBadOnesAreRejected(@TempDir Path dir) throws Exception {
        Run r = run("--loss", "tversky", "--loss-option", "alpha=0.3", "--loss-option", "beta=0.7", "--volume-size", "16", "--patch",
                "8", "--epochs", "1", "--steps-per-epoch", "1", "--train-volumes", "1", "--val-volumes", "1", "--no-progress", "--out",
                dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("alpha=0.3") && r.out().contains("beta=0.7"), r.out());
        r = run("--loss", "tversky", "--loss-option", "gamma=2", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("gamma") && r.err().contains("alpha"), r.err());
    }

    @Test
    void optionsOfTheOtherDataSetAreRejectedNotIgnored(@TempDir Path dir) {
        Run r = run("--data", "mni", "--volume-size", "32", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--volume-size") && r.err().contains("phantom"), r.err());
        r = run("--mni-downsample", "2", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--mni-downsample") && r.err().contains("--data mni"), r.err());
        r = run("--postprocess", "biggest", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--postprocess") && r.err().contains("largest_component"), r.err());
        r = run("--data", "ct", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown --data 'ct'; valid: phantom, mni"), r.err());
    }

    @Test
    void mniWithoutTheTemplatesGivesTheInstallCommand(@TempDir Path dir) {
        Run r = run("--data", "mni", "--mni-dir", dir.resolve("empty").toString(), "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("apt-get install mricron-data"), r.err());
    }

    @Test
    void mniTrainsAndWritesThePredictionInMniSpace(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(org.segloss.examples.unet.MniAtlas.DEFAULT_DIR.resolve("aal.nii.gz")),
                "mricron-data not installed");
        Run r = run("--data", "mni", "--mni-downsample", "2", "--patch", "16", "--epochs", "1", "--steps-per-epoch", "2", "--no-progress",
                "--postprocess", "largest_component", "--out", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("amygdala") && r.out().contains("caudate"), r.out());
        org.segloss.io.NiftiImage pred = org.segloss.io.Nifti.read(dir.resolve("validation-prediction.nii.gz"));
        org.segloss.io.NiftiImage truth = org.segloss.io.Nifti.read(dir.resolve("validation-truth.nii.gz"));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {40, 48, 32}, pred.shape());
        assertEquals(4, pred.sformCode());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {2, 2, 2}, pred.spacing(), 1e-6);
        for (int row = 0; row < 3; row++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(truth.affine()[row], pred.affine()[row], 1e-6, "affine row " + row);
        }
        assertTrue(pred.affine()[0][0] < 0, "the validation crop is the mirrored right hemisphere: x column negated");
        int[] t = truth.toLabels().toArray();
        int amygdala = 0;
        for (int v : t) if (v == 6) amygdala++;
        assertEquals(227, amygdala, "2 mm right amygdala voxels (MniAtlas's count)");
    }

    @Test
    void deepSupervisionNeedsDepthFourAndChangesTheLoss(@TempDir Path dir) throws Exception {
        Run r = run("--deep-supervision", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--deep-supervision needs --depth >= 4"), r.err());
        String[] common = {"--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "2", "--train-volumes", "1",
                "--val-volumes", "1", "--depth", "4", "--no-progress", "--out"};
        r = run(concat(common, dir.resolve("ds").toString(), "--deep-supervision"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("deep supervision over 3 scales"), r.out());
        assertEquals(0, run(concat(common, dir.resolve("plain").toString())).exit());
        double ds = Double.parseDouble(Files.readAllLines(dir.resolve("ds/metrics.csv")).get(1).split(",")[1]);
        double plain = Double.parseDouble(Files.readAllLines(dir.resolve("plain/metrics.csv")).get(1).split(",")[1]);
        assertTrue(Double.isFinite(ds) && ds > 0, "loss " + ds);
        assertTrue(ds != plain, "the half-resolution head's loss enters the sum: " + ds + " vs " + plain);
        r = run("--depth", "4", "--patch", "12", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--patch must be a positive multiple of 8"), r.err());
    }

    @Test
    void negativeValidationWindowIsRejectedUpFront(@TempDir Path dir) {
        Run r = run("--val-window", "-4", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--val-window must be 0 or a positive multiple of 4, got -4"), r.err());
        r = run("--foreground-share", "1.5", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--foreground-share must be in [0, 1], got 1.5"), r.err());
    }

    @Test
    void epochSeedsDifferPerEpochAndRun() {
        assertTrue(TrainCommand.epochSeed(1, 0) != TrainCommand.epochSeed(1, 1));
        assertTrue(TrainCommand.epochSeed(1, 0) != TrainCommand.epochSeed(2, 0));
        assertEquals(TrainCommand.epochSeed(7, 3), TrainCommand.epochSeed(7, 3));
    }

    @Test
    void resumeContinuesExactlyAsTheUninterruptedRun(@TempDir Path dir) throws Exception {
        String[] common = {"--volume-size", "16", "--patch", "8", "--epochs", "3", "--steps-per-epoch", "2", "--train-volumes", "1",
                "--val-volumes", "1", "--threads", "2", "--no-progress", "--out"};
        Path full = dir.resolve("full"), cut = dir.resolve("cut");
        assertEquals(0, run(concat(common, full.toString())).exit());
        Run r = run(concat(common, cut.toString(), "--stop-after-epoch", "1"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("stopped after epoch 1 of 3"), r.out());
        assertEquals(2, Files.readAllLines(cut.resolve("metrics.csv")).size());
        r = run(concat(common, cut.toString(), "--resume"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("resuming from") && r.out().contains("after epoch 1 of 3"), r.out());
        // same parameters, buffers, optimizer state and epoch, bit for bit: the checkpoint files are identical
        org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(full.resolve("checkpoint.ckpt")),
                Files.readAllBytes(cut.resolve("checkpoint.ckpt")));
        List<String> a = Files.readAllLines(full.resolve("metrics.csv")), b = Files.readAllLines(cut.resolve("metrics.csv"));
        assertEquals(4, b.size());
        for (int i = 0; i < a.size(); i++) {   // every column but the wall time
            assertEquals(a.get(i).substring(0, a.get(i).lastIndexOf(',')), b.get(i).substring(0, b.get(i).lastIndexOf(',')), "line " + i);
        }
        r = run(concat(common, cut.toString(), "--resume"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("nothing to do"), r.out());
        // the loss options are compared as in force: naming the default explicitly is the same run
        r = run(concat(common, cut.toString(), "--resume", "--loss", "dice-ce:lambda-dice=1.0"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("nothing to do"), r.out());
        String[] other = common.clone();
        other[5] = "4";
        r = run(concat(other, cut.toString(), "--resume"));
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--epochs: 3 in the checkpoint, 4 now"), r.err());
        r = run(concat(common, cut.toString(), "--resume", "--base-channels", "4"));
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--base-channels: 8 in the checkpoint, 4 now"), "options compared before the weights: " + r.err());
        // a new run in the same directory replaces the old checkpoint from its start
        r = run(concat(other, cut.toString(), "--stop-after-epoch", "1"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("replacing the earlier run"), r.out());
        r = run(concat(other, cut.toString(), "--resume", "--stop-after-epoch", "1"));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--stop-after-epoch must be > 1"), r.err());
    }

    @Test
    void resumeWithoutCheckpointOrWithACorruptOneFailsClearly(@TempDir Path dir) throws Exception {
        Run r = run("--out", dir.toString(), "--resume", "--no-progress");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no checkpoint"), r.err());
        String[] args = {"--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "1", "--train-volumes", "1",
                "--val-volumes", "1", "--no-progress", "--out", dir.toString()};
        assertEquals(0, run(args).exit());
        Path ckpt = dir.resolve("checkpoint.ckpt");
        byte[] bytes = Files.readAllBytes(ckpt);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(ckpt, bytes);
        r = run(concat(args, "--resume"));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("checkpoint") && r.err().contains("checksum"), r.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
