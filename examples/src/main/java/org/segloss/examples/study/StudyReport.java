package org.segloss.examples.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.segloss.examples.study.Claims.Claim;
import org.segloss.examples.study.PairedStatistics.Interval;
import org.segloss.examples.study.PairedStatistics.Summary;
import org.segloss.examples.study.PairedStatistics.Wilcoxon;
import org.segloss.util.AtomicFiles;

/**
 * {@code report.md} of a study, written from its finished runs ({@link StudyResults}): what ran and
 * at which budget, per data set the loss × class tables (mean ± sd over seeds, best per column in
 * bold), the paired comparison of every loss against Dice + CE, the papers' claims one by one, the
 * diverged runs and the missing ones.
 *
 * <p><b>Pairs.</b> Two losses are compared on the (seed, validation volume) pairs where both runs
 * finished; a seed with a diverged run of either loss is left out (and the report says how many).
 * The difference is loss − baseline; a pair where the metric is undefined for either (the class in
 * neither truth nor prediction; an empty truth for recall) is left out.
 *
 * <p><b>Inside the noise</b> unless both the {@value #LEVEL_PERCENT} % percentile-bootstrap interval of
 * the mean difference ({@link PairedStatistics#bootstrapMeanCi}, {@value PairedStatistics#DEFAULT_RESAMPLES}
 * resamples, fixed seed) excludes 0 and the two-sided Wilcoxon signed-rank p-value
 * ({@link PairedStatistics#wilcoxon}) is below {@value #ALPHA}. Requiring both is conservative; with
 * fewer than 6 pairs the Wilcoxon test cannot reach p &lt; 0.05 at all (2/2^5 = 0.0625) and the
 * report says that more seeds are needed.
 */
public final class StudyReport {
    private StudyReport() {}

    /** The report's file name. */
    public static final String FILE = "report.md";
    static final double ALPHA = 0.05, LEVEL = 0.95;
    static final int LEVEL_PERCENT = 95;

    /** A verdict on a claim. */
    public enum Verdict {
        SHOWN("shown"), NOT_SHOWN("not shown"), CONTRARY("contrary"), NOT_TESTED("not tested");

        final String words;

        Verdict(String words) { this.words = words; }

        public String words() { return words; }
    }

    /**
     * A paired comparison of two losses on one data set and metric.
     *
     * @param diffs the per-(seed, volume) differences, loss − baseline, in plan order
     * @param meanA mean of the loss over the pairs
     * @param meanB mean of the baseline over the pairs
     * @param seedsLeftOut seeds without a finished pair (a run missing or diverged)
     */
    public record Comparison(double[] diffs, double meanA, double meanB, Interval ci, Wilcoxon test, int seedsLeftOut) {
        public int n() { return diffs.length; }

        public double meanDiff() { return meanA - meanB; }

        /** +1: the loss better (higher), −1: worse, 0: inside the noise (or no pairs). */
        public int direction() {
            if (diffs.length == 0 || test.pValue() >= ALPHA || ci.containsZero()) return 0;
            return ci.low() > 0 ? 1 : -1;
        }
    }

    /** One value per (validation volume) of a run, NaN where undefined. */
    interface VolumeMetric {
        double of(RunResult.Volume v);
    }

    /** The metric of a claim on a data set whose smallest class has index {@code smallest}. */
    static VolumeMetric metric(Claims.Metric m, int smallest) {
        return switch (m) {
            case SMALLEST_DICE -> v -> {
                ClassResult c = v.classes().get(smallest);
                return c.bothEmpty() ? Double.NaN : c.dice();
            };
            case SMALLEST_RECALL -> v -> v.classes().get(smallest).recall();
            case MEAN_IOU -> v -> {
                double s = 0;
                int n = 0;
                for (ClassResult c : v.classes()) {
                    if (c.bothEmpty()) continue;
                    s += c.iou();
                    n++;
                }
                return n == 0 ? Double.NaN : s / n;
            };
        };
    }

    /** The Dice of foreground class index {@code c} (NaN when both masks are empty). */
    static VolumeMetric dice(int c) {
        return v -> {
            ClassResult r = v.classes().get(c);
            return r.bothEmpty() ? Double.NaN : r.dice();
        };
    }

    /** Mean foreground Dice of a volume over the classes present in truth or prediction. */
    static final VolumeMetric MEAN_DICE = v -> {
        double s = 0;
        int n = 0;
        for (ClassResult c : v.classes()) {
            if (c.bothEmpty()) continue;
            s += c.dice();
            n++;
        }
        return n == 0 ? Double.NaN : s / n;
    };

    /** Pairs loss {@code a} against {@code b} on data set {@code data}. */
    static Comparison compare(StudyResults results, String data, String a, String b, VolumeMetric metric) {
        List<Double> diffs = new ArrayList<>();
        double sa = 0, sb = 0;
        int left = 0;
        for (long seed : results.plan().seeds()) {
            RunResult ra = results.finished().get(new RunKey(data, a, seed)), rb = results.finished().get(new RunKey(data, b, seed));
            if (ra == null || rb == null || ra.status() != RunResult.Status.FINISHED || rb.status() != RunResult.Status.FINISHED) {
                left++;
                continue;
            }
            int n = Math.min(ra.volumes().size(), rb.volumes().size());
            for (int v = 0; v < n; v++) {
                double x = metric.of(ra.volumes().get(v)), y = metric.of(rb.volumes().get(v));
                if (!Double.isFinite(x) || !Double.isFinite(y)) continue;
                diffs.add(x - y);
                sa += x;
                sb += y;
            }
        }
        double[] d = diffs.stream().mapToDouble(Double::doubleValue).toArray();
        if (d.length == 0) {
            return new Comparison(d, Double.NaN, Double.NaN, new Interval(Double.NaN, Double.NaN, LEVEL, 0, 0),
                    new Wilcoxon(0, 0, 0, 0, 1.0, PairedStatistics.Method.NONE), left);
        }
        return new Comparison(d, sa / d.length, sb / d.length,
                PairedStatistics.bootstrapMeanCi(d, LEVEL, PairedStatistics.DEFAULT_RESAMPLES, PairedStatistics.DEFAULT_BOOTSTRAP_SEED),
                PairedStatistics.wilcoxon(d), left);
    }

    /**
     * The smallest foreground class of a data set: the fewest reference voxels summed over the
     * validation volumes of the first finished run (every run of a (data, seed) sees the same
     * volumes); -1 when no run finished.
     */
    static int smallestClass(StudyResults results, String data) {
        for (RunResult r : results.finished().values()) {
            if (!r.key().data().equals(data) || r.status() != RunResult.Status.FINISHED) continue;
            long[] truth = new long[r.classNames().size()];
            for (RunResult.Volume v : r.volumes()) for (int c = 0; c < truth.length; c++) truth[c] += v.classes().get(c).truthVoxels();
            int best = 0;
            for (int c = 1; c < truth.length; c++) if (truth[c] < truth[best]) best = c;
            return best;
        }
        return -1;
    }

    static List<String> classNames(StudyResults results, String data) {
        for (RunResult r : results.finished().values()) if (r.key().data().equals(data)) return r.classNames();
        return List.of();
    }

    /**
     * ", measured with 2 runs at once, 1 thread each" from the runs' recorded {@code jobs} and
     * {@code threads} (several settings listed, "" when no run recorded them): runs that share
     * the cores step slower, so step times compare within one setting only.
     */
    static String sideBySide(StudyResults results) {
        java.util.TreeMap<String, Integer> settings = new java.util.TreeMap<>();
        for (RunResult r : results.finished().values()) {
            String jobs = r.config().get(StudyRunner.JOBS), threads = r.config().get(StudyRunner.THREADS);
            if (jobs == null || threads == null) continue;
            settings.merge(String.format(Locale.ROOT, "%s run%s at once, %s thread%s each", jobs, jobs.equals("1") ? "" : "s", threads,
                    threads.equals("1") ? "" : "s"), 1, Integer::sum);
        }
        if (settings.isEmpty()) return "";
        if (settings.size() == 1) return ", measured with " + settings.firstKey() + " (`--jobs`, `--threads`)";
        List<String> parts = new ArrayList<>();
        settings.forEach((k, n) -> parts.add(k + " (" + n + (n == 1 ? " run)" : " runs)")));
        return ", measured with " + String.join("; ", parts) + ": runs that share the cores step slower, so compare step times within"
                + " one setting";
    }

    /** Writes {@code report.md} into the study's folder, atomically. */
    public static Path write(Path dir, StudyResults results) throws IOException {
        Path f = dir.resolve(FILE);
        AtomicFiles.write(f, render(results, dir).getBytes(StandardCharsets.UTF_8));
        return f;
    }

    /** The report's text; {@code dir} (may be null) is searched for the plots to link. */
    public static String render(StudyResults results, Path dir) {
        StudyPlan plan = results.plan();
        StringBuilder md = new StringBuilder();
        int total = plan.runs().size(), done = results.finished().size();
        md.append("# segloss study\n\n");
        md.append(String.format(Locale.ROOT, "%d of %d runs finished: data %s; losses %s; seeds %s.%n%n", done, total,
                String.join(", ", plan.data()), String.join(", ", plan.losses()), plan.seeds()));
        md.append("**Budget:** ").append(plan.budget()).append(". This is a short CPU budget on a tiny 3-D U-Net, not the papers'"
                + " protocols (real data, hundreds of epochs, bigger networks): a claim \"not shown\" here is not shown *at this budget*,"
                + " and a claim \"shown\" holds for this budget and these data only.\n\n");
        md.append("Scores are after the last epoch, on the validation volumes; a run's value is the mean over its validation volumes,"
                + " tables show mean ± sd over seeds (sample sd). HD95 and ASSD in mm; `inf` when a class is missing from exactly one"
                + " of prediction and truth on some volume. Lesion-wise detection: share of reference components (26-connected)"
                + " touched by the prediction; false-positive components per volume. Time per step: wall time of the optimizer steps (the"
                + " first runs of a process include the JIT warm-up)" + sideBySide(results) + ". The best mean of each column is in bold (none when all tie)."
                + " Statistics: "
                + LEVEL_PERCENT + " % percentile bootstrap of the mean paired difference (" + PairedStatistics.DEFAULT_RESAMPLES
                + " resamples, fixed seed) and the two-sided Wilcoxon signed-rank test (zeros dropped; exact up to "
                + PairedStatistics.EXACT_LIMIT + " pairs); a difference counts only when the interval excludes 0 *and* p < " + ALPHA
                + ".\n\n");

        for (String data : plan.data()) dataSection(md, results, data, dir);
        claimsSection(md, results);
        divergedSection(md, results);
        missingSection(md, results);
        return md.toString();
    }

    // ---- per data set ---------------------------------------------------------------------------

    static void dataSection(StringBuilder md, StudyResults results, String data, Path dir) {
        StudyPlan plan = results.plan();
        md.append("## ").append(data).append("\n\n");
        List<String> classes = classNames(results, data);
        if (classes.isEmpty()) {
            md.append("No finished run yet.\n\n");
            return;
        }
        int smallest = smallestClass(results, data);
        // rows: per loss, the per-seed rows of each class
        Map<String, List<List<StudyResults.Row>>> byLoss = new LinkedHashMap<>();
        for (String loss : plan.losses()) {
            List<List<StudyResults.Row>> perClass = new ArrayList<>();
            for (int c = 0; c < classes.size(); c++) perClass.add(new ArrayList<>());
            for (long seed : plan.seeds()) {
                RunResult r = results.finished().get(new RunKey(data, loss, seed));
                if (r == null) continue;
                for (int c = 0; c < classes.size(); c++) perClass.get(c).add(StudyResults.row(r, c));
            }
            byLoss.put(loss, perClass);
        }

        md.append("### Dice per class (mean ± sd over seeds)\n\n");
        List<String> headers = new ArrayList<>(List.of("loss"));
        List<ToDoubleFunction<StudyResults.Row>> cols = new ArrayList<>();
        List<Integer> colClass = new ArrayList<>();
        List<Boolean> higher = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            headers.add(classes.get(c) + (c == smallest ? " (smallest)" : ""));
            cols.add(StudyResults.Row::dice);
            colClass.add(c);
            higher.add(true);
        }
        table(md, byLoss, headers, cols, colClass, higher, 3);

        if (smallest >= 0) {
            String s = classes.get(smallest);
            md.append("### The smallest class, ").append(s).append("\n\n");
            List<String> h = List.of("loss", "Dice", "IoU", "HD95 mm", "ASSD mm", "voxel recall", "lesions detected",
                    "false-positive lesions / volume", "ms / step");
            List<ToDoubleFunction<StudyResults.Row>> f = List.of(StudyResults.Row::dice, StudyResults.Row::iou, StudyResults.Row::hd95Mm,
                    StudyResults.Row::assdMm, StudyResults.Row::recall, StudyResults.Row::detected,
                    StudyResults.Row::falsePositiveComponents, StudyResults.Row::stepMs);
            List<Integer> cc = new ArrayList<>();
            for (int i = 0; i < f.size(); i++) cc.add(smallest);
            table(md, byLoss, h, f, cc, List.of(true, true, false, false, true, true, false, false), 3);
        }

        pairedSection(md, results, data, classes);
        if (dir != null) {
            for (String[] png : StudyPlots.files(data)) {
                if (Files.exists(dir.resolve(png[0]))) md.append("![").append(png[1]).append("](").append(png[0]).append(")\n\n");
            }
        }
    }

    /**
     * A markdown table: one row per loss, one column per (metric, class); cells mean ± sd over the
     * finished, not diverged seeds; the best mean of each column in bold.
     */
    static void table(StringBuilder md, Map<String, List<List<StudyResults.Row>>> byLoss, List<String> headers,
                      List<ToDoubleFunction<StudyResults.Row>> cols, List<Integer> colClass, List<Boolean> higherBetter, int decimals) {
        int k = cols.size();
        Map<String, Summary[]> cells = new LinkedHashMap<>();
        Map<String, int[]> diverged = new LinkedHashMap<>();
        double[] best = new double[k];
        for (int j = 0; j < k; j++) best[j] = Double.NaN;
        for (Map.Entry<String, List<List<StudyResults.Row>>> e : byLoss.entrySet()) {
            Summary[] s = new Summary[k];
            int[] div = new int[2];
            for (int j = 0; j < k; j++) {
                List<StudyResults.Row> rows = e.getValue().get(colClass.get(j));
                List<Double> vals = new ArrayList<>();
                div[0] = 0;
                div[1] = rows.size();
                for (StudyResults.Row r : rows) {
                    if (r.status() != RunResult.Status.FINISHED) {
                        div[0]++;
                        continue;
                    }
                    double v = cols.get(j).applyAsDouble(r);
                    if (!Double.isNaN(v)) vals.add(v);
                }
                s[j] = vals.isEmpty() ? null : PairedStatistics.summary(vals.stream().mapToDouble(Double::doubleValue).toArray());
                if (s[j] != null && !Double.isNaN(s[j].mean())) {
                    double m = s[j].mean();
                    if (Double.isNaN(best[j]) || (higherBetter.get(j) ? m > best[j] : m < best[j])) best[j] = m;
                }
            }
            cells.put(e.getKey(), s);
            diverged.put(e.getKey(), div);
        }
        // a column where every loss has the best value marks none: nothing to tell apart
        boolean[] tie = new boolean[k];
        for (int j = 0; j < k; j++) {
            int present = 0, atBest = 0;
            for (Summary[] s : cells.values()) {
                if (s[j] == null) continue;
                present++;
                if (s[j].mean() == best[j]) atBest++;
            }
            tie[j] = present > 1 && atBest == present;
        }
        md.append("| ").append(String.join(" | ", headers)).append(" |\n|---");
        for (int j = 0; j < k; j++) md.append("|--:");
        md.append("|\n");
        for (Map.Entry<String, Summary[]> e : cells.entrySet()) {
            md.append("| `").append(e.getKey()).append('`');
            int[] div = diverged.get(e.getKey());
            for (int j = 0; j < k; j++) {
                Summary s = e.getValue()[j];
                String cell;
                if (s == null) {
                    cell = div[1] == 0 ? "not run" : div[0] == div[1] ? "diverged or failed" : "n/a";
                } else {
                    cell = fmt(s.mean(), decimals) + (Double.isNaN(s.sd()) ? "" : " ± " + fmt(s.sd(), decimals));
                    if (s.mean() == best[j] && !tie[j]) cell = "**" + cell + "**";
                    if (div[0] > 0) cell += " (" + div[0] + " of " + div[1] + " diverged or failed)";
                }
                md.append(" | ").append(cell);
            }
            md.append(" |\n");
        }
        md.append('\n');
    }

    static void pairedSection(StringBuilder md, StudyResults results, String data, List<String> classes) {
        StudyPlan plan = results.plan();
        md.append("### Paired comparison with `").append(Claims.BASELINE).append("` (Dice, loss − baseline)\n\n");
        if (!plan.losses().contains(Claims.BASELINE)) {
            md.append("`").append(Claims.BASELINE).append("` is not in the study: no paired comparison.\n\n");
            return;
        }
        md.append("| loss | class | pairs | mean difference | ").append(LEVEL_PERCENT)
                .append(" % CI | Wilcoxon p | verdict |\n|---|---|--:|--:|---|--:|---|\n");
        boolean few = false;
        for (String loss : plan.losses()) {
            if (loss.equals(Claims.BASELINE)) continue;
            for (int c = 0; c <= classes.size(); c++) {
                boolean mean = c == classes.size();
                Comparison cmp = compare(results, data, loss, Claims.BASELINE, mean ? MEAN_DICE : dice(c));
                few |= cmp.n() > 0 && cmp.n() < 6;
                md.append("| `").append(loss).append("` | ").append(mean ? "mean foreground" : classes.get(c)).append(" | ")
                        .append(cmp.n()).append(leftOut(cmp)).append(" | ")
                        .append(cmp.n() == 0 ? "n/a" : signed(cmp.meanDiff(), 3)).append(" | ").append(ci(cmp)).append(" | ")
                        .append(cmp.n() == 0 ? "n/a" : p(cmp.test().pValue())).append(" | ").append(direction(cmp)).append(" |\n");
            }
        }
        md.append('\n');
        if (few) md.append("Fewer than 6 pairs: the Wilcoxon test cannot reach p < 0.05; run more seeds to tell losses apart.\n\n");
    }

    static String leftOut(Comparison c) {
        int n = c.seedsLeftOut();
        return n == 0 ? "" : " (" + n + (n == 1 ? " seed" : " seeds") + " left out)";
    }

    static String direction(Comparison c) {
        if (c.n() == 0) return "no pairs";
        return switch (c.direction()) {
            case 1 -> "better";
            case -1 -> "worse";
            default -> "inside the noise";
        };
    }

    // ---- claims ---------------------------------------------------------------------------------

    static void claimsSection(StringBuilder md, StudyResults results) {
        StudyPlan plan = results.plan();
        md.append("## The papers' claims\n\n");
        md.append("Budget of every verdict: ").append(plan.budget()).append(" (not the papers' protocols).\n\n");
        md.append("| claim | source | verdict | numbers |\n|---|---|---|---|\n");
        for (Claim claim : Claims.PAIRWISE) {
            String[] v = pairwiseVerdict(results, claim);
            md.append("| ").append(claim.text()).append(" | ").append(claim.source()).append(" | **").append(v[0]).append("** | ")
                    .append(v[1]).append(" |\n");
        }
        String[] r = robustnessVerdict(results);
        md.append("| ").append(Claims.ROBUSTNESS_TEXT).append(" | ").append(Claims.ROBUSTNESS_SOURCE).append(" | **").append(r[0])
                .append("** | ").append(r[1]).append(" |\n\n");
        md.append("Protocols: ");
        for (Claim claim : Claims.PAIRWISE) md.append(claim.source()).append(": ").append(claim.protocol()).append(". ");
        md.append('\n').append(lovaszProtocol(results)).append("\n\n");
    }

    /**
     * How the study's lovasz-softmax runs trained, from the loss their results record: fine-tuned
     * after cross-entropy inside the run's budget ({@link FineTuning}, the loss id holds " then "),
     * or from scratch (then the verdict does not test the paper's protocol); empty without such runs.
     */
    static String lovaszProtocol(StudyResults results) {
        for (RunResult r : results.finished().values()) {
            if (r.key().loss().equals("lovasz-softmax")) {
                String loss = r.config().getOrDefault("loss", "");
                if (loss.contains(" then ")) {
                    return "The study's lovasz-softmax runs follow Berman et al.'s fine-tuning within the same budget: cross-entropy"
                            + " for the first half of the epochs, then Lovász-Softmax from those weights for the second half (same seed,"
                            + " initial weights, patches, optimizer and step count as every other run; its first half is the paired"
                            + " cross-entropy run's first half). Recorded loss: `" + loss + "`.";
                }
                return "The study's lovasz-softmax runs trained from scratch, not fine-tuned after cross-entropy as in Berman et al.:"
                        + " the Lovász verdict does not test the paper's protocol.";
            }
        }
        return "";
    }

    /** {verdict words, numbers} of a pairwise claim, over every data set of the study. */
    static String[] pairwiseVerdict(StudyResults results, Claim claim) {
        StudyPlan plan = results.plan();
        if (!plan.losses().contains(claim.better()) || !plan.losses().contains(claim.baseline())) {
            return new String[] {Verdict.NOT_TESTED.words(), "needs `" + claim.better() + "` and `" + claim.baseline()
                    + "` in --losses (with default options)"};
        }
        List<String> parts = new ArrayList<>();
        int shown = 0, contrary = 0, tested = 0;
        for (String data : plan.data()) {
            int smallest = smallestClass(results, data);
            if (smallest < 0) {
                parts.add(data + ": no finished run");
                continue;
            }
            Comparison c = compare(results, data, claim.better(), claim.baseline(), metric(claim.metric(), smallest));
            if (c.n() == 0) {
                parts.add(data + ": no pairs (no seed with both runs finished)");
                continue;
            }
            tested++;
            String cls = claim.metric() == Claims.Metric.MEAN_IOU ? "" : " (" + classNames(results, data).get(smallest) + ")";
            String dir = switch (c.direction()) {
                case 1 -> { shown++; yield "shown"; }
                case -1 -> { contrary++; yield "contrary"; }
                default -> "inside the noise";
            };
            parts.add(String.format(Locale.ROOT, "%s: %s%s %s %s vs %s, difference %s, CI %s, p %s, %d pairs%s: %s", data,
                    claim.metric().words(), cls, claim.better(), fmt(c.meanA(), 3), fmt(c.meanB(), 3), signed(c.meanDiff(), 3), ci(c),
                    p(c.test().pValue()), c.n(), leftOut(c), dir));
        }
        Verdict v = tested == 0 ? Verdict.NOT_TESTED
                : shown == tested ? Verdict.SHOWN
                : contrary > 0 && shown == 0 ? Verdict.CONTRARY
                : Verdict.NOT_SHOWN;
        return new String[] {v.words(), String.join("; ", parts)};
    }

    /**
     * Ma et al.'s robustness claim: per data set every loss is ranked by its mean foreground Dice
     * (mean over seeds and validation volumes, 1 = best); a loss's robustness is its worst rank
     * over the data sets. Shown when no loss beats Dice + CE outside the noise on any data set and
     * Dice + CE's worst rank is at least as good as that of every non-compound loss; contrary when
     * a non-compound loss beats it outside the noise on every data set; not shown otherwise, and
     * not tested with fewer than two data sets (robust "across tasks" needs several).
     */
    static String[] robustnessVerdict(StudyResults results) {
        StudyPlan plan = results.plan();
        if (!plan.losses().contains(Claims.BASELINE)) {
            return new String[] {Verdict.NOT_TESTED.words(), "needs `" + Claims.BASELINE + "` in --losses"};
        }
        if (plan.data().size() < 2) {
            return new String[] {Verdict.NOT_TESTED.words(), "needs at least two data sets (--data), got " + plan.data().size()};
        }
        Map<String, Integer> worst = new LinkedHashMap<>();
        List<String> parts = new ArrayList<>();
        boolean anyBeaten = false;
        Map<String, Integer> beatsEverywhere = new LinkedHashMap<>();
        for (String data : plan.data()) {
            Map<String, Double> means = new LinkedHashMap<>();
            for (String loss : plan.losses()) {
                double s = 0;
                int n = 0;
                for (long seed : plan.seeds()) {
                    RunResult r = results.finished().get(new RunKey(data, loss, seed));
                    if (r == null || r.status() != RunResult.Status.FINISHED) continue;
                    for (RunResult.Volume v : r.volumes()) {
                        double x = MEAN_DICE.of(v);
                        if (Double.isFinite(x)) {
                            s += x;
                            n++;
                        }
                    }
                }
                if (n > 0) means.put(loss, s / n);
            }
            if (!means.containsKey(Claims.BASELINE)) {
                return new String[] {Verdict.NOT_TESTED.words(), data + ": no finished `" + Claims.BASELINE + "` run"};
            }
            List<String> ranking = new ArrayList<>(means.keySet());
            ranking.sort((x, y) -> Double.compare(means.get(y), means.get(x)));
            for (String loss : plan.losses()) {
                int rank = means.containsKey(loss) ? ranking.indexOf(loss) + 1 : plan.losses().size();   // not finished: last
                worst.merge(loss, rank, Math::max);
            }
            parts.add(String.format(Locale.ROOT, "%s: %s ranks %d of %d (mean foreground Dice %s; best %s %s)", data, Claims.BASELINE,
                    ranking.indexOf(Claims.BASELINE) + 1, ranking.size(), fmt(means.get(Claims.BASELINE), 3), ranking.get(0),
                    fmt(means.get(ranking.get(0)), 3)));
            for (String loss : plan.losses()) {
                if (loss.equals(Claims.BASELINE)) continue;
                Comparison c = compare(results, data, loss, Claims.BASELINE, MEAN_DICE);
                if (c.direction() == 1) {
                    anyBeaten = true;
                    parts.add(data + ": `" + loss + "` better outside the noise (difference " + signed(c.meanDiff(), 3) + ", p "
                            + p(c.test().pValue()) + ")");
                    beatsEverywhere.merge(loss, 1, Integer::sum);
                }
            }
        }
        int baseWorst = worst.get(Claims.BASELINE);
        boolean bestWorst = true;
        for (Map.Entry<String, Integer> e : worst.entrySet()) {
            if (Claims.COMPOUND.contains(e.getKey().split(":")[0])) continue;
            if (e.getValue() < baseWorst) bestWorst = false;
        }
        parts.add("worst rank over the data sets: " + worst);
        boolean contrary = false;
        for (Map.Entry<String, Integer> e : beatsEverywhere.entrySet()) {
            if (e.getValue() == plan.data().size() && !Claims.COMPOUND.contains(e.getKey().split(":")[0])) contrary = true;
        }
        Verdict v = contrary ? Verdict.CONTRARY : !anyBeaten && bestWorst ? Verdict.SHOWN : Verdict.NOT_SHOWN;
        return new String[] {v.words(), String.join("; ", parts)};
    }

    // ---- diverged and missing -------------------------------------------------------------------

    static void divergedSection(StringBuilder md, StudyResults results) {
        List<String> lines = new ArrayList<>();
        for (RunResult r : results.finished().values()) {
            if (r.status() != RunResult.Status.FINISHED) {
                String what = r.status() == RunResult.Status.DIVERGED ? "diverged" : "failed";
                lines.add("- " + r.key() + ": " + what + (r.note().isEmpty() ? "" : ": " + r.note()));
            }
        }
        md.append("## Diverged and failed runs\n\n");
        if (lines.isEmpty()) md.append("None.\n\n");
        else md.append("A diverged run is a result: its loss is left out of the means and pairs of that seed. A failed run threw"
                + " during training (the message follows); delete its folder to run it again.\n\n")
                .append(String.join("\n", lines)).append("\n\n");
    }

    static void missingSection(StringBuilder md, StudyResults results) {
        md.append("## Missing runs\n\n");
        if (results.missing().isEmpty()) {
            md.append("None: every run of the plan finished.\n");
            return;
        }
        md.append(results.missing().size()).append(" of ").append(results.plan().runs().size())
                .append(" runs have not finished (still running, in another shard, or interrupted: start the study again with the"
                        + " same options to run them):\n\n");
        for (RunKey k : results.missing()) md.append("- ").append(k).append('\n');
    }

    // ---- formatting -----------------------------------------------------------------------------

    static String fmt(double v, int decimals) {
        if (Double.isNaN(v)) return "n/a";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static String signed(double v, int decimals) {
        return Double.isFinite(v) && v >= 0 ? "+" + fmt(v, decimals) : fmt(v, decimals);
    }

    static String p(double p) {
        if (Double.isNaN(p)) return "n/a";
        return p < 0.001 ? String.format(Locale.ROOT, "%.1e", p) : String.format(Locale.ROOT, "%.3f", p);
    }

    static String ci(Comparison c) {
        if (c.n() == 0) return "n/a";
        if (Double.isNaN(c.ci().low())) return "n/a (one pair)";
        return "[" + signed(c.ci().low(), 3) + ", " + signed(c.ci().high(), 3) + "]";
    }
}
