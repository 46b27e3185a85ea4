package org.segloss.examples.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.examples.viz.StudyCharts;

/**
 * The report on fake runs (no training) whose predictions are the truth with a share of voxels
 * relabelled at random: the fewer relabelled, the better the "loss". focal-tversky changes
 * nothing, dice and exp-log a lot, boundary exactly what generalized-dice changes (identical
 * predictions), so the verdicts are known in advance.
 */
class StudyReportTest {
    static final Map<String, Double> FLIP = new LinkedHashMap<>();

    static {
        FLIP.put("dice-ce", 0.05);
        FLIP.put("dice", 0.15);
        FLIP.put("focal-tversky", 0.0);
        FLIP.put("exp-log", 0.3);
        FLIP.put("generalized-dice", 0.1);
        FLIP.put("boundary", 0.1);
        FLIP.put("nan-loss", 0.0);
    }

    static StudyResults study(List<String> losses, List<String> data, int seeds, boolean dropOne) {
        StudyPlan plan = new StudyPlan(data, losses, StudyPlan.seeds(100, seeds), Map.of("epochs", "2", "volume-size", "16"));
        Map<RunKey, RunResult> done = new LinkedHashMap<>();
        for (RunKey k : plan.runs()) {
            if (dropOne && k.equals(new RunKey(data.get(data.size() - 1), "dice", 100))) continue;
            String rng = k.loss().equals("boundary") ? "generalized-dice" : k.loss();
            done.put(k, StudyFixtures.result(k, FLIP.get(k.loss()), rng, 32));
        }
        return new StudyResults(plan, done);
    }

    private static StudyResults main;

    /** The study every test reads (made once: scoring 83 fake runs takes seconds). */
    static synchronized StudyResults mainStudy() {
        if (main == null) main = study(List.copyOf(FLIP.keySet()), List.of("phantom", "phantom-hard"), 6, true);
        return main;
    }

    @Test
    void claimsVerdicts() {
        StudyResults r = mainStudy();
        Map<String, String> verdicts = new LinkedHashMap<>();
        for (Claims.Claim c : Claims.PAIRWISE) verdicts.put(c.id(), StudyReport.pairwiseVerdict(r, c)[0]);
        assertEquals("shown", verdicts.get("focal-tversky-recall"), StudyReport.pairwiseVerdict(r, Claims.PAIRWISE.get(0))[1]);
        assertEquals("contrary", verdicts.get("exp-log-smallest"), StudyReport.pairwiseVerdict(r, Claims.PAIRWISE.get(1))[1]);
        assertEquals("not shown", verdicts.get("boundary-small"));                  // identical predictions: all differences 0
        assertEquals("not tested", verdicts.get("lovasz-iou"));                    // neither loss in the study
        // focal-tversky (nothing relabelled) beats dice-ce on both data sets: robustness contrary
        String[] robust = StudyReport.robustnessVerdict(r);
        assertEquals("contrary", robust[0], robust[1]);
        // dice-ce best on two data sets: shown
        StudyResults good = study(List.of("dice-ce", "dice", "exp-log"), List.of("phantom", "phantom-hard"), 4, false);
        assertEquals("shown", StudyReport.robustnessVerdict(good)[0], StudyReport.robustnessVerdict(good)[1]);
        // one data set: not tested
        StudyResults one = study(List.of("dice-ce", "dice"), List.of("phantom"), 3, false);
        assertEquals("not tested", StudyReport.robustnessVerdict(one)[0]);
    }

    @Test
    void pairedComparisonsAndNoise() {
        StudyResults r = mainStudy();
        StudyReport.Comparison same = StudyReport.compare(r, "phantom", "boundary", "generalized-dice", StudyReport.MEAN_DICE);
        assertEquals(12, same.n());                                                  // 6 seeds x 2 volumes
        assertEquals(0, same.direction());
        assertEquals(1.0, same.test().pValue(), 0);
        StudyReport.Comparison better = StudyReport.compare(r, "phantom", "focal-tversky", "dice-ce", StudyReport.MEAN_DICE);
        assertEquals(1, better.direction());
        assertTrue(better.ci().low() > 0 && better.test().pValue() < 0.05);
        // seed 100 of dice on phantom-hard is missing: its pairs are left out
        StudyReport.Comparison missing = StudyReport.compare(r, "phantom-hard", "dice", "dice-ce", StudyReport.MEAN_DICE);
        assertEquals(10, missing.n());
        assertEquals(1, missing.seedsLeftOut());
        assertEquals(-1, missing.direction());
        // a diverged loss has no pairs
        assertEquals(0, StudyReport.compare(r, "phantom", "nan-loss", "dice-ce", StudyReport.MEAN_DICE).n());
    }

    @Test
    void reportText(@TempDir Path dir) throws Exception {
        StudyResults r = mainStudy();
        String md = StudyReport.render(r, null);
        assertEquals(md, StudyReport.render(new StudyResults(r.plan(), r.finished()), null));     // deterministic
        assertTrue(md.contains("83 of 84 runs finished"), md);
        assertTrue(md.contains("**Budget:** epochs 2, volume-size 16. This is a short CPU budget"), md);
        assertTrue(md.contains("## phantom\n") && md.contains("## phantom-hard\n"), md);
        assertTrue(md.contains("| loss | organ | structure | lesion (smallest) |"), md);
        // focal-tversky relabels nothing: Dice 1 with sd 0, the best of each column, in bold
        assertTrue(md.contains("| `focal-tversky` | **1.000 ± 0.000** | **1.000 ± 0.000** | **1.000 ± 0.000** |"), md);
        assertTrue(md.contains("| `nan-loss` | diverged or failed | diverged or failed | diverged or failed |"), md);
        assertTrue(md.matches("(?s).*\\| `focal-tversky` \\| mean foreground \\| 12 \\| \\+0\\.\\d+ \\| \\[\\+0\\.\\d+, \\+0\\.\\d+\\] \\| [0-9.e-]+ \\| better \\|.*"), md);
        assertTrue(md.contains("boundary 0.021 vs 0.021, difference +0.000, CI [+0.000, +0.000], p 1.000, 12 pairs: inside the noise"), md);
        assertTrue(md.contains("10 pairs (1 seed left out): shown"), md);
        assertTrue(md.contains("| focal Tversky improves small-lesion recall over Dice | Abraham and Khan"), md);
        assertTrue(md.contains("| **not tested** | needs `lovasz-softmax` and `cross-entropy`"), md);
        assertTrue(md.contains("- phantom / nan-loss / seed 100: diverged: loss NaN at epoch 1, step 3"), md);
        assertTrue(md.contains("1 of 84 runs have not finished") && md.contains("- phantom-hard / dice / seed 100\n"), md);
        // with the pictures written, the report links them
        StudyPlots.write(dir, r);
        String linked = StudyReport.render(r, dir);
        assertTrue(linked.contains("![phantom: Dice per class and loss](dice-per-class-phantom.png)"), linked);
        StudyReport.write(dir, r);
        assertEquals(linked, Files.readString(dir.resolve(StudyReport.FILE)));
    }

    /** The report says how the step times were measured: runs side by side step slower. */
    @Test
    void stepTimesNameTheRunsAtOnce() {
        StudyResults r = study(List.of("dice-ce", "focal-tversky"), List.of("phantom"), 2, false);
        assertEquals("", StudyReport.sideBySide(r), "runs that recorded nothing (older studies)");
        Map<RunKey, RunResult> done = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<RunKey, RunResult> e : r.finished().entrySet()) {
            RunResult x = e.getValue();
            Map<String, String> config = new LinkedHashMap<>(x.config());
            config.put(StudyRunner.JOBS, i++ == 0 ? "1" : "2");
            config.put(StudyRunner.THREADS, i == 1 ? "2" : "1");
            done.put(e.getKey(), new RunResult(x.key(), x.status(), x.note(), x.classNames(), x.epochs(), x.stepMs(), x.wallS(), x.curve(),
                    x.volumes(), config));
        }
        StudyResults mixed = new StudyResults(r.plan(), done);
        assertEquals(", measured with 1 run at once, 2 threads each (1 run); 2 runs at once, 1 thread each (3 runs): runs that share the"
                + " cores step slower, so compare step times within one setting", StudyReport.sideBySide(mixed));
        done.remove(done.keySet().iterator().next());
        String md = StudyReport.render(new StudyResults(r.plan(), done), null);
        assertTrue(md.contains("include the JIT warm-up), measured with 2 runs at once, 1 thread each (`--jobs`, `--threads`)."), md);
    }

    @Test
    void fewPairsAreFlagged() {
        StudyResults r = study(List.of("dice-ce", "focal-tversky"), List.of("phantom"), 2, false);
        String md = StudyReport.render(r, null);
        assertTrue(md.contains("Fewer than 6 pairs: the Wilcoxon test cannot reach p < 0.05"), md);
        assertEquals("not tested", StudyReport.pairwiseVerdict(r, Claims.PAIRWISE.get(0))[0]);    // no plain dice in the study
        assertTrue(md.contains("## Missing runs\n\nNone"), md);
    }

    @Test
    void picturesAreReadablePngs(@TempDir Path dir) throws Exception {
        List<Path> files = StudyPlots.write(dir, mainStudy());
        assertEquals(6, files.size());
        for (Path f : files) {
            BufferedImage img = ImageIO.read(f.toFile());
            assertEquals(StudyCharts.WIDTH, img.getWidth(), f.toString());
            assertEquals(StudyCharts.HEIGHT, img.getHeight(), f.toString());
            // the first loss's colour (Okabe-Ito orange) is drawn somewhere
            boolean orange = false;
            for (int y = 0; y < img.getHeight() && !orange; y++) {
                for (int x = 0; x < img.getWidth() && !orange; x++) orange = (img.getRGB(x, y) & 0xFFFFFF) == 0xE69F00;
            }
            assertTrue(orange, f + " shows the first series");
        }
    }
}
