package org.segloss.examples.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.segloss.util.AtomicFiles;

/**
 * The finished runs of a study, read from its folder in the plan's order, and {@code results.csv}
 * merged from them.
 *
 * <p><b>Deterministic merge.</b> The rows follow the plan's run order ({@link StudyPlan#runs()}),
 * then the class label, whichever process (shard) wrote which run folder and in whatever order the
 * runs finished; numbers are written in Java's shortest round-trip form ({@link Double#toString}),
 * {@code nan} and {@code inf} for the non-finite ones. So the shards of a study merge to the bytes
 * of the unsharded study, except for the timing columns {@code step_ms} and {@code wall_s}, which
 * measure the machine, not the run.
 */
public final class StudyResults {
    /** The merged table's file name. */
    public static final String CSV = "results.csv";

    /** The columns of {@code results.csv}, in order. */
    public static final List<String> COLUMNS = List.of("data", "loss", "seed", "class", "dice", "iou", "hd95_mm", "assd_mm", "detected",
            "false_positive_components", "step_ms", "wall_s", "recall", "precision", "truth_components", "volumes", "epochs", "status");

    private final StudyPlan plan;
    private final Map<RunKey, RunResult> finished;
    private final List<RunKey> missing;
    private final Path dir;

    /** The results of {@code plan} given in memory (no folder: the pictures that read run files are skipped). */
    public StudyResults(StudyPlan plan, Map<RunKey, RunResult> finished) {
        this(plan, finished, null);
    }

    /** The results of the study in {@code dir} (may be null). */
    public StudyResults(StudyPlan plan, Map<RunKey, RunResult> finished, Path dir) {
        this.plan = plan;
        this.dir = dir;
        Map<RunKey, RunResult> ordered = new LinkedHashMap<>();
        List<RunKey> miss = new ArrayList<>();
        for (RunKey k : plan.runs()) {
            RunResult r = finished.get(k);
            if (r == null) miss.add(k);
            else ordered.put(k, r);
        }
        this.finished = Collections.unmodifiableMap(ordered);
        this.missing = List.copyOf(miss);
    }

    /** Reads the plan and every finished run of the study in {@code dir}. */
    public static StudyResults read(Path dir) throws IOException {
        StudyPlan plan = StudyPlan.read(dir);
        RunStore store = new RunStore(dir);
        Map<RunKey, RunResult> done = new LinkedHashMap<>();
        for (RunKey k : plan.runs()) {
            RunResult r = store.read(k);
            if (r != null) done.put(k, r);
        }
        return new StudyResults(plan, done, dir);
    }

    public StudyPlan plan() { return plan; }

    /** The study's folder, or null for results given in memory. */
    public Path dir() { return dir; }

    /** The finished runs, in plan order. */
    public Map<RunKey, RunResult> finished() { return finished; }

    /** The runs of the plan without a result, in plan order. */
    public List<RunKey> missing() { return missing; }

    /**
     * One row of {@code results.csv}: a run's scores of one foreground class, averaged over the
     * validation volumes.
     *
     * @param dice mean over the volumes where the class is in the truth or the prediction (a volume
     *     where it is in neither is left out); the same volumes for {@code iou}
     * @param hd95Mm mean over the same volumes; +Infinity when the class is missing from exactly one of
     *     prediction and truth on some volume (a finite mean would hide a missed structure)
     * @param detected lesion-wise sensitivity pooled over the volumes: Σ detected / Σ truth components
     *     (NaN when the truth has no component of the class)
     * @param falsePositiveComponents predicted components touching no truth voxel, mean per volume
     * @param recall voxel-wise sensitivity, mean over the volumes whose truth has the class
     * @param precision voxel-wise precision, mean over the volumes whose prediction has the class
     * @param truthComponents Σ truth components over the volumes
     * @param volumes validation volumes scored (0 for a diverged run, whose scores are all NaN)
     */
    public record Row(RunKey key, String className, int label, double dice, double iou, double hd95Mm, double assdMm, double detected,
            double falsePositiveComponents, double stepMs, double wallS, double recall, double precision, long truthComponents,
            int volumes, int epochs, RunResult.Status status) {}

    /** The rows of every finished run, in plan order, then class label. */
    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (RunResult r : finished.values()) {
            for (int c = 0; c < r.classNames().size(); c++) rows.add(row(r, c));
        }
        return rows;
    }

    /** The row of foreground class index {@code c} (label c + 1) of one run. */
    public static Row row(RunResult r, int c) {
        double nan = Double.NaN;
        if (r.status() != RunResult.Status.FINISHED || r.volumes().isEmpty()) {
            return new Row(r.key(), r.classNames().get(c), c + 1, nan, nan, nan, nan, nan, nan, r.stepMs(), r.wallS(), nan, nan, 0, 0,
                    r.epochs(), r.status());
        }
        double dice = 0, iou = 0, hd95 = 0, assd = 0, recall = 0, precision = 0, fp = 0;
        int counted = 0, withTruth = 0, withPred = 0;
        long truthComponents = 0, detected = 0;
        for (RunResult.Volume v : r.volumes()) {
            ClassResult x = v.classes().get(c);
            truthComponents += x.truthComponents();
            detected += x.detectedComponents();
            fp += x.falsePositiveComponents();
            if (x.truthVoxels() > 0) {
                withTruth++;
                recall += x.recall();
            }
            if (x.predVoxels() > 0) {
                withPred++;
                precision += x.precision();
            }
            if (x.bothEmpty()) continue;
            counted++;
            dice += x.dice();
            iou += x.iou();
            hd95 += x.hd95Mm();
            assd += x.assdMm();
        }
        int n = r.volumes().size();
        return new Row(r.key(), r.classNames().get(c), c + 1, counted == 0 ? nan : dice / counted, counted == 0 ? nan : iou / counted,
                counted == 0 ? nan : hd95 / counted, counted == 0 ? nan : assd / counted,
                truthComponents == 0 ? nan : (double) detected / truthComponents, fp / n, r.stepMs(), r.wallS(),
                withTruth == 0 ? nan : recall / withTruth, withPred == 0 ? nan : precision / withPred, truthComponents, n, r.epochs(),
                r.status());
    }

    /** {@code results.csv} as text: the header {@link #COLUMNS}, then {@link #rows()}. */
    public String csv() {
        StringBuilder b = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (Row w : rows()) {
            b.append(field(w.key().data())).append(',').append(field(w.key().loss())).append(',').append(w.key().seed()).append(',')
                    .append(field(w.className())).append(',').append(num(w.dice())).append(',').append(num(w.iou())).append(',')
                    .append(num(w.hd95Mm())).append(',').append(num(w.assdMm())).append(',').append(num(w.detected())).append(',')
                    .append(num(w.falsePositiveComponents())).append(',').append(num(w.stepMs())).append(',').append(num(w.wallS()))
                    .append(',').append(num(w.recall())).append(',').append(num(w.precision())).append(',').append(w.truthComponents())
                    .append(',').append(w.volumes()).append(',').append(w.epochs()).append(',')
                    .append(w.status().name().toLowerCase(Locale.ROOT)).append('\n');
        }
        return b.toString();
    }

    /** Writes {@code results.csv} into {@code dir} atomically. */
    public Path writeCsv(Path dir) throws IOException {
        Path f = dir.resolve(CSV);
        AtomicFiles.write(f, csv().getBytes(StandardCharsets.UTF_8));
        return f;
    }

    /** A CSV number: shortest round-trip decimal; nan, inf, -inf for the others. */
    static String num(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        return Double.toString(v);
    }

    /** A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
    static String field(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
