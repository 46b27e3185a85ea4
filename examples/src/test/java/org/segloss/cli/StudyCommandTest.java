package org.segloss.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.autograd.Var;
import org.segloss.examples.study.RunKey;
import org.segloss.examples.study.RunStore;
import org.segloss.examples.study.StudyPlots;
import org.segloss.examples.study.StudyResults;
import org.segloss.examples.train.RunConfig.LossSpec;
import org.segloss.loss.Loss;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import picocli.CommandLine;

/** Tiny studies through the command line: 16³ phantoms, patches of 8³, one epoch of two steps, one thread. */
class StudyCommandTest {
    record Run(int exit, String out, String err) {}

    static final String[] TINY = {"--volume-size", "16", "--patch", "8", "--epochs", "1", "--steps-per-epoch", "2",
        "--train-volumes", "1", "--val-volumes", "2", "--threads", "1", "--no-progress"};

    static Run run(StudyCommand cmd, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        cmd.outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(cmd).setErr(new java.io.PrintWriter(cmd.errStream, true)).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run study(Path dir, String... extra) {
        List<String> a = new ArrayList<>(Arrays.asList(TINY));
        if (!Arrays.asList(extra).contains("--data")) a.addAll(List.of("--data", "phantom"));
        a.addAll(Arrays.asList(extra));
        a.add("--out");
        a.add(dir.toString());
        return run(new StudyCommand(), a.toArray(String[]::new));
    }

    static Run report(Path dir) {
        StudyCommand.Report cmd = new StudyCommand.Report();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        cmd.outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(cmd).execute(dir.toString());
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** results.csv without the timing columns (step_ms, wall_s), which measure the machine. */
    static String metricsOnly(Path dir) throws Exception {
        StringBuilder b = new StringBuilder();
        for (String line : Files.readAllLines(dir.resolve(StudyResults.CSV))) {
            String[] f = line.split(",", -1);
            assertEquals(StudyResults.COLUMNS.size(), f.length, line);       // the tiny study's loss names hold no comma
            List<String> keep = new ArrayList<>(Arrays.asList(f));
            keep.remove(11);
            keep.remove(10);
            b.append(String.join(",", keep)).append('\n');
        }
        return b.toString();
    }

    @Test
    void tinyStudyWritesCsvReportAndPictures(@TempDir Path dir) throws Exception {
        Run r = study(dir, "--losses", "dice-ce,dice", "--seeds", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("2 runs (1 data sets x 1 seeds x 2 losses); shard 0/1 holds 2, 0 finished already, 2 to run"), r.out());
        assertTrue(r.out().contains("2 of 2 runs finished; wrote"), r.out());
        List<String> csv = Files.readAllLines(dir.resolve(StudyResults.CSV));
        assertEquals(String.join(",", StudyResults.COLUMNS), csv.get(0));
        assertTrue(csv.get(0).startsWith("data,loss,seed,class,dice,iou,hd95_mm,assd_mm,detected,false_positive_components,step_ms,wall_s"));
        assertEquals(1 + 2 * 3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(1).startsWith("phantom,dice-ce,2026,organ,"), csv.get(1));
        assertTrue(csv.get(6).startsWith("phantom,dice,2026,lesion,") && csv.get(6).endsWith(",2,1,finished"), csv.get(6));
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("## phantom") && md.contains("### Paired comparison with `dice-ce`") && md.contains("## The papers' claims"), md);
        assertTrue(md.contains("**Budget:** base-channels 8, batch 2, depth 3, epochs 1,"), md);
        for (String[] f : StudyPlots.files("phantom")) {
            BufferedImage img = ImageIO.read(dir.resolve(f[0]).toFile());
            assertNotNull(img, f[0]);
            assertTrue(img.getWidth() > 100 && img.getHeight() > 100, f[0]);
        }
        // each run folder holds the trainer's outputs and the result
        Path run = new RunStore(dir).folder(new RunKey("phantom", "dice", 2026));
        for (String f : List.of("result.json", "metrics.csv", "validation-prediction.nii.gz")) assertTrue(Files.exists(run.resolve(f)), f);
    }

    @Test
    void resumeSkipsFinishedRuns(@TempDir Path dir) throws Exception {
        assertEquals(0, study(dir, "--losses", "dice-ce,dice", "--seeds", "1").exit());
        String before = metricsOnly(dir);
        Path done = new RunStore(dir).folder(new RunKey("phantom", "dice-ce", 2026)).resolve("result.json");
        byte[] kept = Files.readAllBytes(done);
        Run again = study(dir, "--losses", "dice-ce,dice", "--seeds", "1");
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("holds 2, 2 finished already, 0 to run"), again.out());
        assertEquals(-1L, Files.mismatch(done, done.resolveSibling("result.json")));
        assertTrue(Arrays.equals(kept, Files.readAllBytes(done)), "a finished run is not run again");
        // an interrupted run: its folder gone, a temporary one left behind
        Path dice = new RunStore(dir).folder(new RunKey("phantom", "dice", 2026));
        RunStoreCleanup.deleteTree(dice);
        Files.createDirectories(dice.resolveSibling(".seed-2026.tmp-0ff"));
        Run resumed = study(dir, "--losses", "dice-ce,dice", "--seeds", "1");
        assertTrue(resumed.out().contains("holds 2, 1 finished already, 1 to run"), resumed.out());
        assertFalse(Files.exists(dice.resolveSibling(".seed-2026.tmp-0ff")), "the stale temporary folder is cleared");
        assertEquals(before, metricsOnly(dir), "the rerun gives the same metrics, bit for bit");
        // other settings into the same folder are refused
        Run other = study(dir, "--losses", "dice-ce,dice", "--seeds", "1", "--lr", "0.01");
        assertEquals(2, other.exit());
        assertTrue(other.err().contains("holds another study") && other.err().contains("lr 0.003 there, 0.01 now"), other.err());
    }

    @Test
    void twoShardsMergeToTheUnshardedStudy(@TempDir Path dir) throws Exception {
        String[] losses = {"--losses", "dice-ce,dice,cross-entropy", "--seeds", "1"};
        Path whole = dir.resolve("whole"), sharded = dir.resolve("sharded");
        assertEquals(0, study(whole, losses).exit());
        List<String> a = new ArrayList<>(Arrays.asList(losses));
        a.addAll(List.of("--shard", "1/2"));
        Run second = study(sharded, a.toArray(String[]::new));
        assertEquals(0, second.exit(), second.err());
        assertTrue(second.out().contains("shard 1/2 holds 1,") && second.out().contains("2 runs missing"), second.out());
        a.set(a.size() - 1, "0/2");
        assertEquals(0, study(sharded, a.toArray(String[]::new)).exit());
        Run merged = report(sharded);
        assertEquals(0, merged.exit(), merged.err());
        assertTrue(merged.out().contains("3 of 3 runs finished"), merged.out());
        assertEquals(metricsOnly(whole), metricsOnly(sharded));
    }

    /**
     * Three runs two at a time give the metrics of one run after the other, bit for bit. The
     * runs meet at a barrier in their first loss call: were they not side by side, the barrier would
     * time out and the run fail.
     */
    @Test
    void runsSideBySideGiveTheMetricsOfOneAtATime(@TempDir Path dir) throws Exception {
        String[] losses = {"--losses", "dice-ce,dice,cross-entropy", "--seeds", "1"};
        Path serial = dir.resolve("serial"), together = dir.resolve("together");
        List<String> a = new ArrayList<>(Arrays.asList(losses));
        a.addAll(List.of("--jobs", "1"));
        Run one = study(serial, a.toArray(String[]::new));
        assertEquals(0, one.exit(), one.err());
        assertTrue(one.out().contains("3 to run (1 run at once, 1 thread each)"), one.out());
        assertTrue(Files.readString(serial.resolve("report.md")).contains("measured with 1 run at once, 1 thread each (`--jobs`"));

        java.util.concurrent.CyclicBarrier meet = new java.util.concurrent.CyclicBarrier(2);
        java.util.Set<String> met = java.util.concurrent.ConcurrentHashMap.newKeySet();
        StudyCommand cmd = new StudyCommand();
        cmd.lossSource = (name, classes) -> {
            LossSpec real = StudyCommand.catalogLoss(name, classes);
            if (name.equals("cross-entropy")) return real;      // the third run starts after one of the first two ended
            Loss inner = real.loss();
            return new LossSpec(real.id(), new Loss() {
                boolean first = true;

                @Override
                public Var forward(Var input, LabelTensor target) {
                    if (first) {
                        first = false;
                        try {
                            meet.await(60, java.util.concurrent.TimeUnit.SECONDS);
                            met.add(name);
                        } catch (Exception e) {
                            throw new IllegalStateException("the other run never came: " + e);
                        }
                    }
                    return inner.forward(input, target);
                }

                @Override
                public Var forward(Var input, Tensor target) { return inner.forward(input, target); }
            });
        };
        List<String> b = new ArrayList<>(Arrays.asList(TINY));
        b.addAll(List.of("--data", "phantom", "--losses", "dice-ce,dice,cross-entropy", "--seeds", "1", "--jobs", "2", "--out",
                together.toString()));
        Run two = run(cmd, b.toArray(String[]::new));
        assertEquals(0, two.exit(), two.err());
        assertTrue(two.out().contains("3 to run (2 runs at once, 1 thread each)"), two.out());
        assertTrue(two.out().contains("3 finished now, 0 diverged, 0 failed"), two.out());
        assertEquals(java.util.Set.of("dice-ce", "dice"), met);
        assertEquals(metricsOnly(serial), metricsOnly(together));
        assertTrue(Files.readString(together.resolve("report.md")).contains("measured with 2 runs at once, 1 thread each (`--jobs`"));
    }

    @Test
    void jobsAndThreadsFillTheCores() {
        long gib = 1L << 30;
        assertArrayEquals(new int[] {8, 1}, StudyCommand.parallelism(null, null, 8, 16 * gib));
        assertArrayEquals(new int[] {3, 1}, StudyCommand.parallelism(null, null, 8, 3 * gib + 5), "one run per GiB of heap");
        assertArrayEquals(new int[] {1, 1}, StudyCommand.parallelism(null, null, 8, gib / 2), "at least one run");
        assertArrayEquals(new int[] {4, 2}, StudyCommand.parallelism(null, 2, 8, 16 * gib));
        assertArrayEquals(new int[] {1, 3}, StudyCommand.parallelism(null, 3, 2, 16 * gib), "more threads than cores: one run");
        assertArrayEquals(new int[] {2, 4}, StudyCommand.parallelism(2, null, 8, gib), "--jobs given: the heap rule does not apply");
        assertArrayEquals(new int[] {3, 1}, StudyCommand.parallelism(3, null, 2, 16 * gib));
        assertArrayEquals(new int[] {3, 5}, StudyCommand.parallelism(3, 5, 2, 16 * gib));
    }

    /** A loss that is NaN from its second call on. */
    static final class NanLoss implements Loss {
        private int calls;

        @Override
        public Var forward(Var input, LabelTensor target) {
            Var l = input.mul(0f).sum();
            return ++calls >= 2 ? l.add(Float.NaN) : l;
        }

        @Override
        public Var forward(Var input, Tensor target) { throw new UnsupportedOperationException(); }
    }

    /** A diverging loss and a loss that throws come first: the study records both and goes on to dice-ce. */
    @Test
    void aDivergingLossIsReportedNotFatal(@TempDir Path dir) throws Exception {
        StudyCommand cmd = new StudyCommand();
        cmd.lossSource = (name, classes) -> switch (name) {
            case "nan-test" -> new LossSpec("nan-test", new NanLoss());
            case "throws-test" -> new LossSpec("throws-test", new Loss() {
                @Override
                public Var forward(Var input, LabelTensor target) { throw new IllegalStateException("planted failure"); }

                @Override
                public Var forward(Var input, Tensor target) { throw new IllegalStateException("planted failure"); }
            });
            default -> StudyCommand.catalogLoss(name, classes);
        };
        List<String> a = new ArrayList<>(Arrays.asList(TINY));
        a.addAll(List.of("--data", "phantom", "--losses", "nan-test,throws-test,dice-ce", "--seeds", "1", "--out", dir.toString()));
        Run r = run(cmd, a.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("phantom / nan-test / seed 2026: diverged: loss NaN at epoch 1, step 2"), r.out());
        assertTrue(r.out().contains("phantom / throws-test / seed 2026: failed: java.lang.IllegalStateException: planted failure"), r.out());
        assertTrue(r.out().contains("1 finished now, 1 diverged, 1 failed"), r.out());
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("- phantom / nan-test / seed 2026: diverged: loss NaN at epoch 1, step 2"), md);
        assertTrue(md.contains("- phantom / throws-test / seed 2026: failed: java.lang.IllegalStateException: planted failure"), md);
        // both are published: a second start skips them
        Run again = run(cmd, a.toArray(String[]::new));
        assertTrue(again.out().contains("holds 3, 3 finished already, 0 to run"), again.out());
        assertTrue(Files.readString(dir.resolve(StudyResults.CSV)).contains("phantom,nan-test,2026,lesion,nan,nan,"), "csv row");
    }

    @Test
    void badOptionsAreRejectedBeforeAnyRun(@TempDir Path dir) {
        String[][] cases = {
            {"--losses", "dice-ce,dice", "--shard", "2/2"}, {"segloss study: --shard '2/2': K must be in [0, 2), got 2"},
            {"--losses", "dice-ce,dice", "--shard", "one/2"}, {"segloss study: --shard 'one/2': expected K/N"},
            {"--losses", "dice-ce,nope"}, {"segloss study: --losses 'nope': ", "nope"},
            {"--losses", ""}, {"segloss study: --losses '': the loss list is empty"},
            {"--losses", " , "}, {"the loss list is empty"},
            {"--losses", "dice,dice"}, {"lists 'dice' twice"},
            {"--losses", "dice-ce", "--seeds", "0"}, {"segloss study: --seeds 0: must be >= 1"},
            {"--losses", "dice-ce", "--jobs", "0"}, {"segloss study: --jobs 0: must be >= 1"},
            {"--losses", "dice-ce", "--data", "phantom,brats"}, {"segloss study: --data 'phantom,brats': unknown data set 'brats'"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            Run r = study(dir.resolve("s" + i), cases[i]);
            assertEquals(2, r.exit(), Arrays.toString(cases[i]) + ": " + r.err());
            for (String want : cases[i + 1]) assertTrue(r.err().contains(want), Arrays.toString(cases[i]) + ": " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
            assertFalse(Files.exists(dir.resolve("s" + i).resolve("runs")), "nothing ran");
        }
        Path file = dir.resolve("a-file");
        try {
            Files.writeString(file, "x");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        Run onFile = run(new StudyCommand(), "--losses", "dice-ce", "--out", file.toString());
        assertEquals(2, onFile.exit());
        assertTrue(onFile.err().startsWith("segloss study: --out " + file + ": "), onFile.err());
        Run noStudy = report(dir);
        assertEquals(2, noStudy.exit());
        assertTrue(noStudy.err().contains("holds no study (no study.json)"), noStudy.err());
    }

    /** A phantom and a data set folder (nnU-Net v2 layout) in one study: the folder is named by its folder name. */
    @Test
    void aDataSetFolderJoinsTheStudy(@TempDir Path dir) throws Exception {
        Path data = org.segloss.examples.data.SyntheticDataset.writeNnUnet(dir.resolve("Dataset001_Synthetic"));
        Path out = dir.resolve("study");
        Run r = study(out, "--data", "phantom," + data, "--fold", "all", "--losses", "dice-ce,dice", "--seeds", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("4 runs (2 data sets x 1 seeds x 2 losses)"), r.out());
        assertFalse(r.err().contains("could not draw"), r.err());
        for (String[] f : StudyPlots.files("Dataset001_Synthetic")) assertNotNull(ImageIO.read(out.resolve(f[0]).toFile()), f[0]);
        List<String> csv = Files.readAllLines(out.resolve(StudyResults.CSV));
        assertEquals(1 + 2 * 3 + 2 * 2, csv.size(), String.join("\n", csv));      // phantom: 3 classes, the folder: ball, core
        assertTrue(csv.get(7).startsWith("Dataset001_Synthetic,dice-ce,2026,ball,"), csv.get(7));
        assertTrue(csv.get(10).startsWith("Dataset001_Synthetic,dice,2026,core,") && csv.get(10).endsWith(",finished"), csv.get(10));
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("## Dataset001_Synthetic") && md.contains("ball") && md.contains("core"), md);
        String plan = Files.readString(out.resolve("study.json"));
        assertTrue(plan.contains("\"fold\": \"all\"") && plan.contains("\"spacing\": \"median\"")
                && plan.contains("\"data-dir Dataset001_Synthetic\": \"" + data.toAbsolutePath().normalize().toString().replace("\\", "\\\\")), plan);
        Path run = new RunStore(out).folder(new RunKey("Dataset001_Synthetic", "dice", 2026));
        String result = Files.readString(run.resolve("result.json"));
        assertTrue(result.contains("\"fold\": \"all\""), result);
        // the same study again: every run is finished
        Run again = study(out, "--data", "phantom," + data, "--fold", "all", "--losses", "dice-ce,dice", "--seeds", "1");
        assertTrue(again.out().contains("holds 4, 4 finished already, 0 to run"), again.out());
    }

    @Test
    void badDataFoldersAreRejected(@TempDir Path dir) throws Exception {
        Path data = org.segloss.examples.data.SyntheticDataset.writeNnUnet(dir.resolve("Dataset001_Synthetic"));
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path copy = org.segloss.examples.data.SyntheticDataset.writeNnUnet(dir.resolve("other").resolve("Dataset001_Synthetic"));
        Path mniNamed = org.segloss.examples.data.SyntheticDataset.writeNnUnet(dir.resolve("x").resolve("mni"));
        String[][] cases = {
            {"--data", dir.resolve("missing").toString()}, {"segloss study: --data '", "unknown data set '" + dir.resolve("missing")
                + "'; valid: phantom, phantom-hard, mni or a data set folder"},
            {"--data", "phantom," + empty}, {"folder '" + empty + "'", "dataset.json not found"},
            {"--data", data.toString()}, {"segloss study: --fold '0' of --data folder", "all"},
            {"--data", data + "," + copy, "--fold", "all"}, {"two folders would both be named 'Dataset001_Synthetic'"},
            {"--data", mniNamed.toString(), "--fold", "all"}, {"would be named 'mni', the name of a built-in data set"},
            {"--data", "phantom", "--fold", "all"}, {"segloss study: --fold and --spacing are options of --data DIR"},
            {"--data", data.toString(), "--fold", "all", "--spacing", "1,1"}, {"segloss study: --spacing '1,1': "},
        };
        for (int i = 0; i < cases.length; i += 2) {
            List<String> a = new ArrayList<>(List.of("--losses", "dice-ce", "--patch", "8", "--threads", "1", "--no-progress"));
            a.addAll(Arrays.asList(cases[i]));
            a.addAll(List.of("--out", dir.resolve("s" + i).toString()));
            Run r = run(new StudyCommand(), a.toArray(String[]::new));
            assertEquals(2, r.exit(), Arrays.toString(cases[i]) + ": " + r.err());
            for (String want : cases[i + 1]) assertTrue(r.err().contains(want), Arrays.toString(cases[i]) + ": " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
            assertFalse(Files.exists(dir.resolve("s" + i).resolve("runs")), "nothing ran");
        }
    }

    /** The MNI atlas in a study (skipped when Debian's mricron-data is not installed). */
    @Test
    void mniJoinsTheStudy(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(org.segloss.examples.unet.MniAtlas.DEFAULT_DIR.resolve("ch2.nii.gz")),
                "the MNI templates are not installed");
        Run r = run(new StudyCommand(), "--data", "mni", "--mni-downsample", "2", "--patch", "16", "--epochs", "1", "--steps-per-epoch",
                "1", "--losses", "dice-ce", "--seeds", "1", "--threads", "2", "--no-progress", "--out", dir.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> csv = Files.readAllLines(dir.resolve(StudyResults.CSV));
        assertEquals(1 + org.segloss.examples.unet.MniAtlas.CLASSES - 1, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(1).startsWith("mni,dice-ce,2026,"), csv.get(1));
        assertTrue(Files.readString(dir.resolve("study.json")).contains("\"mni-downsample\": \"2\""));
    }

    /** TINY with two epochs: the fine-tuning protocol needs one epoch per loss. */
    static String[] twoEpochs() {
        String[] a = TINY.clone();
        a[Arrays.asList(a).indexOf("--epochs") + 1] = "2";
        return a;
    }

    /**
     * lovasz-softmax runs cross-entropy for the first epoch, then Lovász from those weights: its
     * first epoch is the paired cross-entropy run's, bit for bit; the second is not; a rerun of an
     * interrupted study and a run resumed from its checkpoint give the same bits.
     */
    @Test
    void lovaszFineTunesAfterCrossEntropy(@TempDir Path dir) throws Exception {
        List<String> a = new ArrayList<>(Arrays.asList(twoEpochs()));
        a.addAll(List.of("--data", "phantom", "--losses", "cross-entropy,lovasz-softmax", "--seeds", "1", "--out", dir.toString()));
        Run r = run(new StudyCommand(), a.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        StudyResults results = StudyResults.read(dir);
        org.segloss.examples.study.RunResult ce = results.finished().get(new RunKey("phantom", "cross-entropy", 2026));
        org.segloss.examples.study.RunResult lovasz = results.finished().get(new RunKey("phantom", "lovasz-softmax", 2026));
        assertEquals(2, lovasz.curve().size());
        assertEquals(ce.curve().get(0), lovasz.curve().get(0), "epoch 1 is the cross-entropy run's first epoch");
        assertFalse(ce.curve().get(1).loss() == lovasz.curve().get(1).loss(), "epoch 2 trains with Lovász");
        assertTrue(lovasz.config().get("loss").matches("cross-entropy.*\\(epochs 1-1\\) then lovasz-softmax.*\\(epochs 2-2\\)"),
                lovasz.config().get("loss"));
        assertTrue(Files.readString(dir.resolve("study.json")).contains(
                "\"fine-tune lovasz-softmax\": \"cross-entropy for epochs 1-1, then lovasz-softmax\""));
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("lovasz-softmax runs follow Berman et al.'s fine-tuning within the same budget"), md);
        assertFalse(md.contains("trained from scratch"), md);

        // an interrupted study: the rerun gives the same bits
        String before = metricsOnly(dir);
        RunStoreCleanup.deleteTree(new RunStore(dir).folder(new RunKey("phantom", "lovasz-softmax", 2026)));
        Run again = run(new StudyCommand(), a.toArray(String[]::new));
        assertTrue(again.out().contains("holds 2, 1 finished already, 1 to run"), again.out());
        assertEquals(before, metricsOnly(dir));

        // the Trainer level: after epoch 1 the weights are the cross-entropy run's; stop + resume = uninterrupted
        org.segloss.examples.unet.SegmentationDataset data = org.segloss.examples.unet.SegmentationDataset.phantoms(2026, 16, 1, 2);
        java.util.function.BiFunction<String, Path, org.segloss.examples.train.RunConfig> config = (loss, out) ->
                new org.segloss.examples.train.RunConfig(data, org.segloss.examples.train.RunConfig.ModelSpec.defaults(),
                        StudyCommand.studyLoss(loss, data.classes(), 2), new org.segloss.examples.train.RunConfig.TrainingSchedule(2, 2, 3e-3f),
                        org.segloss.examples.train.RunConfig.SamplerSpec.of(8), org.segloss.examples.train.RunConfig.ValidationSpec.defaults(),
                        2026, 1, out);
        Path t = dir.resolve("trainer");
        new org.segloss.examples.train.Trainer(config.apply("cross-entropy", t.resolve("ce"))).stopAfterEpoch(1).run();
        new org.segloss.examples.train.Trainer(config.apply("lovasz-softmax", t.resolve("lv"))).stopAfterEpoch(1).run();
        assertSameParameters(t.resolve("ce"), t.resolve("lv"));
        new org.segloss.examples.train.Trainer(config.apply("lovasz-softmax", t.resolve("lv"))).resume();
        new org.segloss.examples.train.Trainer(config.apply("lovasz-softmax", t.resolve("whole"))).run();
        assertSameParameters(t.resolve("whole"), t.resolve("lv"));
        new org.segloss.examples.train.Trainer(config.apply("cross-entropy", t.resolve("ce"))).resume();
        assertThrows(AssertionError.class, () -> assertSameParameters(t.resolve("ce"), t.resolve("lv")), "epoch 2 differs");

        // one epoch cannot hold both halves
        List<String> one = new ArrayList<>(Arrays.asList(TINY));
        one.addAll(List.of("--data", "phantom", "--losses", "dice-ce,lovasz-softmax", "--out", dir.resolve("one").toString()));
        Run bad = run(new StudyCommand(), one.toArray(String[]::new));
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("segloss study: --losses 'lovasz-softmax': --epochs 1: ") && bad.err().contains("needs --epochs >= 2"),
                bad.err());
    }

    static void assertSameParameters(Path runA, Path runB) throws Exception {
        var a = org.segloss.nn.Checkpoint.read(runA.resolve("checkpoint.ckpt")).parameters();
        var b = org.segloss.nn.Checkpoint.read(runB.resolve("checkpoint.ckpt")).parameters();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) org.junit.jupiter.api.Assertions.assertArrayEquals(a.get(k).toArray(), b.get(k).toArray(), k);
    }

    @Test
    void lossListSplitting() {
        assertEquals(List.of("dice", "focal-tversky:alpha=0.7,beta=0.3", "exp-log"),
                StudyCommand.lossList("dice, focal-tversky:alpha=0.7,beta=0.3 ,exp-log"));
        assertEquals(List.of("dice-ce:weight=[1,2,3,4]", "dice"), StudyCommand.lossList("dice-ce:weight=[1,2,3,4],dice"));
        assertEquals(List.of("dice-ce", "dice", "jaccard", "sudre-dice", "generalized-dice", "cross-entropy", "weighted-cross-entropy",
                "focal", "sensitivity-specificity", "tversky", "asymmetric-similarity", "focal-tversky", "exp-log", "left-atrium",
                "lovasz-softmax", "generalized-wasserstein-dice", "boundary", "hausdorff-dt"), StudyCommand.lossList("all"));
        assertEquals(StudyCommand.lossList("all"), StudyCommand.lossList(" ALL "));
        // every catalogue loss is in all or left out with a reason; the compounds and the fine-tuned loss are in
        for (String name : LossCatalog.names()) {
            assertTrue(StudyCommand.lossList("all").contains(name) ^ StudyCommand.NOT_IN_ALL.containsKey(name), name);
        }
        assertTrue(StudyCommand.lossList("all").containsAll(List.of("dice-ce", "boundary", "left-atrium", "lovasz-softmax")));
        assertEquals(java.util.Set.of("overlap", "focal-positive"), StudyCommand.NOT_IN_ALL.keySet());
        // all of them build for a 3-class data set, lovasz-softmax as the fine-tuning protocol
        for (String name : StudyCommand.lossList("all")) {
            String id = StudyCommand.studyLoss(name, 3, 10).id();
            assertEquals(name.equals("lovasz-softmax"), id.contains(" then "), id);
        }
    }
}
