package org.segloss.examples.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.segloss.io.NiftiImage;
import org.segloss.metrics.ClassMetrics;
import org.segloss.metrics.ClassMetrics.Emptiness;
import org.segloss.metrics.MetricsReport;
import org.segloss.metrics.SegmentationMetrics;
import org.segloss.tensor.LabelTensor;
import org.segloss.util.AtomicFiles;

/**
 * Scores a folder of predicted label maps against a folder of reference label maps, as
 * {@code segloss evaluate} does (nnU-Net's {@code nnUNetv2_evaluate_folder}): one row per case
 * and foreground class (Dice, IoU, HD95, ASSD, HD and the voxel counts, from
 * {@link SegmentationMetrics}), written as {@code evaluation.csv}, and the mean ± sd per class
 * in {@code summary.md}.
 *
 * <p><b>Pairing.</b> Every {@code .nii.gz} / {@code .nii} file of the prediction folder is a case
 * (its name without the extension); its truth is the file of the same case in the truth folder
 * ({@code .nii.gz} first, then {@code .nii}). A prediction without a truth file is an error; a
 * truth file without a prediction is left out (and counted in the summary), and so are the
 * {@code CASE_probabilities} files of {@code segloss predict --probabilities} that have no truth. Both must lie on one
 * grid (shape and affine, {@link CaseLoader#sameAffine}) and hold integer labels.
 *
 * <p><b>Distances in mm.</b> The voxel size comes from each truth file's {@code pixdim}, converted
 * to mm from its {@code xyzt_units} (metre × 1000, micron ÷ 1000; mm or unknown as they are).
 *
 * <p><b>Classes.</b> With {@code dataset.json} (either layout) the classes and their names are its
 * labels, and a label value outside them is an error; without it the classes are 1 … the largest
 * label found, named by their value. Background (0) gets no row (its scores mostly measure the
 * size of the field of view).
 *
 * <p><b>Means</b> (summary): Dice and IoU over the cases where the class is present in the
 * prediction or the truth (a case with neither has Dice 1 by {@link ClassMetrics}' rule and is
 * left out, as nnU-Net leaves its NaN out); HD95, ASSD and HD over the cases where both masks are
 * non-empty (the others are infinite). sd is the population standard deviation (divisor n,
 * NumPy's default). Nothing is written unless every case could be scored.
 */
public final class Evaluation {
    /** The CSV file name. */
    public static final String CSV = "evaluation.csv";
    /** The summary file name. */
    public static final String SUMMARY = "summary.md";
    /** The ending of the probability files of {@code segloss predict --probabilities}, which are not scored. */
    public static final String PROBABILITIES_SUFFIX = "_probabilities";

    private Evaluation() {}

    /** One case and class. */
    public record Row(String caseId, int label, String className, ClassMetrics metrics) {}

    /**
     * All rows, in case then label order.
     *
     * @param classNames   names of classes 0 … C−1
     * @param unmatchedTruth truth cases that had no prediction
     * @param probabilityFilesSkipped {@code CASE_probabilities} files of {@code segloss predict} left out
     */
    public record Result(List<Row> rows, List<String> classNames, List<String> cases, List<String> unmatchedTruth,
            int probabilityFilesSkipped) {}

    /**
     * Scores every prediction in {@code predDir} against {@code truthDir}.
     *
     * @param classNames class names from a dataset.json (index = label), or null to take the classes
     *     from the files
     * @throws IllegalArgumentException naming the case and the file for a missing truth, another
     *     grid, non-integer labels or a label outside the classes
     */
    public static Result evaluate(Path predDir, Path truthDir, List<String> classNames) throws IOException {
        checkDir("--pred", predDir);
        checkDir("--truth", truthDir);
        List<Path> preds = new ArrayList<>(), probabilityFiles = new ArrayList<>();
        for (Path f : niftiFiles(predDir)) {
            String id = DatasetFolder.idOf(f);
            // segloss predict --probabilities writes CASE_probabilities next to CASE: not a label map
            boolean probabilities = id.endsWith(PROBABILITIES_SUFFIX) && !Files.isRegularFile(truthDir.resolve(id + ".nii.gz"))
                    && !Files.isRegularFile(truthDir.resolve(id + ".nii"));
            (probabilities ? probabilityFiles : preds).add(f);
        }
        if (preds.isEmpty()) throw new IllegalArgumentException("--pred " + predDir + ": holds no .nii.gz or .nii label map");
        List<String> ids = new ArrayList<>();
        List<Path> truths = new ArrayList<>();
        for (Path pred : preds) {
            String id = DatasetFolder.idOf(pred);
            if (ids.contains(id)) {
                throw new IllegalArgumentException("case " + id + ": --pred " + predDir + " holds both " + id + ".nii.gz and " + id + ".nii");
            }
            Path truth = truthDir.resolve(id + ".nii.gz");
            if (!Files.isRegularFile(truth)) truth = truthDir.resolve(id + ".nii");
            if (!Files.isRegularFile(truth)) {
                throw new IllegalArgumentException("case " + id + ": prediction " + pred + " has no truth file " + truthDir.resolve(id
                        + ".nii.gz") + " (or .nii)");
            }
            ids.add(id);
            truths.add(truth);
        }
        List<String> unmatched = new ArrayList<>();
        for (Path t : niftiFiles(truthDir)) if (!ids.contains(DatasetFolder.idOf(t))) unmatched.add(DatasetFolder.idOf(t));

        int fixedClasses = classNames == null ? -1 : classNames.size();
        List<MetricsReport> reports = new ArrayList<>();
        int classes = 2;
        for (int i = 0; i < preds.size(); i++) {
            String p = "case " + ids.get(i) + ": ";
            NiftiImage predImg = CaseLoader.read(p, preds.get(i)), truthImg = CaseLoader.read(p, truths.get(i));
            int[] ps = CaseLoader.checkVolume(p, predImg), ts = CaseLoader.checkVolume(p, truthImg);
            for (NiftiImage img : List.of(predImg, truthImg)) {
                if (img.volumes() != 1) {
                    throw new IllegalArgumentException(p + "file " + img.source() + ": a label map must be one volume, got "
                            + img.volumes() + " (dim[4])");
                }
            }
            CaseLoader.sameGrid(p, truths.get(i), truthImg, ts, preds.get(i), predImg, ps);
            LabelTensor pred = labels(p, predImg), truth = labels(p, truthImg);
            int caseClasses;
            if (fixedClasses > 0) {
                CaseLoader.checkLabelValues(p + "file " + preds.get(i) + ": ", pred, fixedClasses);
                CaseLoader.checkLabelValues(p + "file " + truths.get(i) + ": ", truth, fixedClasses);
                caseClasses = fixedClasses;
            } else {
                int max = Math.max(maxLabel(p, preds.get(i), pred), maxLabel(p, truths.get(i), truth));
                caseClasses = Math.max(2, max + 1);
            }
            classes = Math.max(classes, caseClasses);
            reports.add(SegmentationMetrics.evaluate(pred, truth, caseClasses, spacingMm(truthImg)));
        }
        List<String> names = new ArrayList<>();
        for (int c = 0; c < classes; c++) names.add(classNames != null ? classNames.get(c) : Integer.toString(c));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < reports.size(); i++) {
            MetricsReport r = reports.get(i);
            for (int c = 1; c < classes; c++) {
                // a class no file of this case reaches is empty in both
                ClassMetrics m = c < r.classes() ? r.row(c)
                        : new ClassMetrics(c, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, Emptiness.BOTH_EMPTY);
                rows.add(new Row(ids.get(i), c, names.get(c), m));
            }
        }
        return new Result(rows, names, ids, unmatched, probabilityFiles.size());
    }

    /** Writes {@link #CSV} and {@link #SUMMARY} into {@code outDir} (created), each atomically. */
    public static void write(Result result, Path outDir) throws IOException {
        String csv = csv(result), md = summary(result);
        Files.createDirectories(outDir);
        AtomicFiles.write(outDir.resolve(CSV), csv.getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(outDir.resolve(SUMMARY), md.getBytes(StandardCharsets.UTF_8));
    }

    /** The CSV text: {@code case,class,label,dice,iou,hd95_mm,assd_mm,hd_mm,pred_voxels,truth_voxels,empty}. */
    public static String csv(Result r) {
        StringBuilder s = new StringBuilder("case,class,label,dice,iou,hd95_mm,assd_mm,hd_mm,pred_voxels,truth_voxels,empty\n");
        for (Row row : r.rows()) {
            ClassMetrics m = row.metrics();
            s.append(csvField(row.caseId())).append(',').append(csvField(row.className())).append(',').append(row.label()).append(',')
                    .append(num(m.dice())).append(',').append(num(m.iou())).append(',').append(num(m.hd95())).append(',')
                    .append(num(m.assd())).append(',').append(num(m.hd())).append(',').append(m.predVoxels()).append(',')
                    .append(m.truthVoxels()).append(',').append(emptyName(m.emptiness())).append('\n');
        }
        return s.toString();
    }

    /** Mean and population sd of one metric over the rows it applies to. */
    public record Stat(double mean, double sd, int n) {
        static Stat of(List<Double> v) {
            if (v.isEmpty()) return new Stat(Double.NaN, Double.NaN, 0);
            double s = 0;
            for (double x : v) s += x;
            double mean = s / v.size(), ss = 0;
            for (double x : v) ss += (x - mean) * (x - mean);
            return new Stat(mean, Math.sqrt(ss / v.size()), v.size());
        }

        String text(int digits) {
            if (n == 0) return "n/a";
            String f = "%." + digits + "f";
            return String.format(Locale.ROOT, f + " ± " + f, mean, sd);
        }
    }

    /** Dice, IoU, HD95, ASSD statistics of class {@code label} (see the class comment for which rows count). */
    public static Stat[] classStats(Result r, int label) {
        List<Double> dice = new ArrayList<>(), iou = new ArrayList<>(), hd95 = new ArrayList<>(), assd = new ArrayList<>();
        for (Row row : r.rows()) {
            if (row.label() != label) continue;
            ClassMetrics m = row.metrics();
            if (m.emptiness() == Emptiness.BOTH_EMPTY) continue;
            dice.add(m.dice());
            iou.add(m.iou());
            if (m.emptiness() == Emptiness.NONE) {
                hd95.add(m.hd95());
                assd.add(m.assd());
            }
        }
        return new Stat[] {Stat.of(dice), Stat.of(iou), Stat.of(hd95), Stat.of(assd)};
    }

    /** The Markdown summary: a table of mean ± sd per class, and what was left out. */
    public static String summary(Result r) {
        StringBuilder s = new StringBuilder("# Evaluation\n\n");
        s.append(r.cases().size()).append(" case(s): ").append(String.join(", ", r.cases())).append('\n');
        if (r.probabilityFilesSkipped() > 0) {
            s.append(r.probabilityFilesSkipped()).append(" probability file(s) of segloss predict (CASE").append(PROBABILITIES_SUFFIX)
                    .append(") left out\n");
        }
        if (!r.unmatchedTruth().isEmpty()) {
            s.append("Truth files without a prediction (not scored): ").append(String.join(", ", r.unmatchedTruth())).append('\n');
        }
        s.append("\n| class | Dice | IoU | HD95 (mm) | ASSD (mm) | cases (Dice / distances) |\n|---|--:|--:|--:|--:|--:|\n");
        for (int c = 1; c < r.classNames().size(); c++) {
            Stat[] st = classStats(r, c);
            s.append("| ").append(r.classNames().get(c)).append(" | ").append(st[0].text(3)).append(" | ").append(st[1].text(3))
                    .append(" | ").append(st[2].text(2)).append(" | ").append(st[3].text(2)).append(" | ").append(st[0].n()).append(" / ")
                    .append(st[2].n()).append(" |\n");
        }
        s.append("\nmean ± sd over cases (sd with divisor n). Dice and IoU leave out cases where the class is absent from both"
                + " prediction and truth; HD95 and ASSD also those where one of them is empty (the distance is infinite there;"
                + " evaluation.csv lists it as inf). Distances in mm from each truth file's header.\n");
        return s.toString();
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static LabelTensor labels(String p, NiftiImage img) {
        try {
            return img.toLabels();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(p + "file " + img.source() + ": labels must be integers: " + e.getMessage(), e);
        }
    }

    private static int maxLabel(String p, Path file, LabelTensor labels) {
        int max = 0;
        for (int i = 0, n = labels.size(); i < n; i++) {
            int v = labels.at(i);
            if (v < 0) throw new IllegalArgumentException(p + "file " + file + ": labels must be >= 0, got " + v);
            max = Math.max(max, v);
        }
        if (max > 1000) {
            throw new IllegalArgumentException(p + "file " + file + ": label " + max + " is more than 1000 classes; pass --labels"
                    + " dataset.json if that is right");
        }
        return max;
    }

    /** pixdim in mm, tensor order [D, H, W]. */
    static double[] spacingMm(NiftiImage img) {
        double[] s = img.spacing();
        double f = switch (img.xyztUnits() & 0x07) {
            case 1 -> 1000;     // NIFTI_UNITS_METER
            case 3 -> 0.001;    // NIFTI_UNITS_MICRON
            default -> 1;       // mm, or unknown (taken as mm, as nnU-Net and ITK do)
        };
        for (int a = 0; a < 3; a++) s[a] *= f;
        return s;
    }

    private static List<Path> niftiFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> Files.isRegularFile(f) && DatasetFolder.idOf(f) != null && !f.getFileName().toString().startsWith("."))
                    .sorted().toList();
        }
    }

    private static void checkDir(String option, Path dir) {
        if (dir == null || !Files.isDirectory(dir)) throw new IllegalArgumentException(option + " " + dir + ": not a directory");
    }

    static String num(double v) {
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        return String.format(Locale.ROOT, "%.6f", v);
    }

    static String emptyName(Emptiness e) {
        return switch (e) {
            case NONE -> "";
            case BOTH_EMPTY -> "both";
            case PRED_EMPTY -> "prediction";
            case TRUTH_EMPTY -> "truth";
        };
    }

    static String csvField(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) return "\"" + s.replace("\"", "\"\"") + "\"";
        return s;
    }

    /** Arrays.toString, for messages. */
    static String str(int[] a) { return Arrays.toString(a); }
}
