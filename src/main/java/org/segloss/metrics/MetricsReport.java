package org.segloss.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.segloss.metrics.ClassMetrics.Emptiness;

/**
 * The per-class rows of {@link SegmentationMetrics#evaluate(org.segloss.tensor.LabelTensor,
 * org.segloss.tensor.LabelTensor, int, double[])}, in label order, with class means and a text
 * table for the command line.
 *
 * <p><b>Means</b> ({@link #mean(int, int)}) never mix the empty-case conventions into a number
 * silently: Dice and IoU are averaged over the rows where at least one mask is non-empty (a class
 * absent from both has no information; this is nnU-Net's NaN-skipping mean), the distances over
 * the rows where both masks are non-empty (finite by construction); the {@link Mean} record
 * carries how many rows went into each and how many rows had infinite distances, and the table
 * prints them.
 */
public final class MetricsReport {
    private final List<ClassMetrics> rows;
    private final int[] dims;
    private final double[] spacing;

    MetricsReport(List<ClassMetrics> rows, int[] dims, double[] spacing) {
        this.rows = List.copyOf(rows);
        this.dims = dims.clone();
        this.spacing = spacing.clone();
    }

    /** One row per class, row c for label c. */
    public List<ClassMetrics> rows() {
        return rows;
    }

    /** The row of label c. */
    public ClassMetrics row(int c) {
        if (c < 0 || c >= rows.size()) {
            throw new IllegalArgumentException("MetricsReport.row: c must be in [0, " + rows.size() + "), got " + c);
        }
        return rows.get(c);
    }

    /** Number of classes (rows). */
    public int classes() {
        return rows.size();
    }

    /** The image shape, {@code [H, W]} or {@code [D, H, W]}. */
    public int[] dims() {
        return dims.clone();
    }

    /** The voxel spacing used for the distances (all ones when none was given). */
    public double[] spacing() {
        return spacing.clone();
    }

    /**
     * Class means over labels {@code [from, to)}.
     *
     * @param dice mean Dice over {@code overlapClasses} rows (both-empty rows left out)
     * @param iou mean IoU over the same rows
     * @param hd mean HD over {@code distanceClasses} rows (rows with an empty mask left out)
     * @param hd95 mean HD95 over the same rows
     * @param assd mean ASSD over the same rows
     * @param overlapClasses rows in the Dice/IoU means; when 0 the means are NaN (there is nothing to average)
     * @param distanceClasses rows in the distance means; when 0 the means are NaN
     * @param infiniteClasses rows left out of the distance means because exactly one mask is empty
     *     (their distances are +Infinity)
     * @param bothEmptyClasses rows left out of every mean because both masks are empty
     */
    public record Mean(double dice, double iou, double hd, double hd95, double assd,
            int overlapClasses, int distanceClasses, int infiniteClasses, int bothEmptyClasses) {}

    /**
     * Means over labels {@code [from, to)}, with the rules of the class comment.
     *
     * @throws IllegalArgumentException unless {@code 0 <= from < to <= classes()}
     */
    public Mean mean(int from, int to) {
        if (from < 0 || to > rows.size() || from >= to) {
            throw new IllegalArgumentException("MetricsReport.mean: need 0 <= from < to <= " + rows.size()
                    + ", got from " + from + ", to " + to);
        }
        double dice = 0, iou = 0, hd = 0, hd95 = 0, assd = 0;
        int overlap = 0, dist = 0, inf = 0, both = 0;
        for (int c = from; c < to; c++) {
            ClassMetrics r = rows.get(c);
            if (r.emptiness() == Emptiness.BOTH_EMPTY) {
                both++;
                continue;
            }
            overlap++;
            dice += r.dice();
            iou += r.iou();
            if (r.emptiness() == Emptiness.NONE) {
                dist++;
                hd += r.hd();
                hd95 += r.hd95();
                assd += r.assd();
            } else {
                inf++;
            }
        }
        double no = Double.NaN;
        return new Mean(overlap == 0 ? no : dice / overlap, overlap == 0 ? no : iou / overlap,
                dist == 0 ? no : hd / dist, dist == 0 ? no : hd95 / dist, dist == 0 ? no : assd / dist,
                overlap, dist, inf, both);
    }

    /** {@link #toTable(String[])} with the labels as names. */
    public String toTable() {
        return toTable(null);
    }

    /**
     * A fixed-width table: one line per class (voxel counts, Dice, IoU, HD95, ASSD, HD, and a note
     * for an empty mask), then the mean over the foreground classes 1..C−1 (over class 0 alone
     * when C = 1) with the counts of {@link Mean}. Infinite distances print as {@code inf}, means
     * with nothing to average as {@code n/a}. Distances are in the units of the spacing.
     *
     * @param classNames one name per class, or {@code null} for none
     * @throws IllegalArgumentException if classNames has the wrong length
     */
    public String toTable(String[] classNames) {
        if (classNames != null && classNames.length != rows.size()) {
            throw new IllegalArgumentException("MetricsReport.toTable: classNames must have length " + rows.size()
                    + " (one per class), got " + classNames.length + " " + Arrays.toString(classNames));
        }
        String[] names = new String[rows.size()];
        int width = 5;
        for (int c = 0; c < names.length; c++) {
            names[c] = c + (classNames == null || classNames[c] == null ? "" : " " + classNames[c]);
            width = Math.max(width, names[c].length());
        }
        int from = rows.size() > 1 ? 1 : 0;
        String meanName = from == 1 ? "mean 1.." + (rows.size() - 1) : "mean 0";
        width = Math.max(width, meanName.length());
        StringBuilder sb = new StringBuilder();
        sb.append("shape ").append(Arrays.toString(dims)).append(", spacing ").append(Arrays.toString(spacing))
                .append(" (distances in the units of the spacing)\n");
        String fmt = "%-" + width + "s %11s %11s %7s %7s %9s %9s %9s  %s";
        line(sb, String.format(Locale.ROOT, fmt, "class", "pred vox", "truth vox", "Dice", "IoU", "HD95", "ASSD", "HD", "note"));
        for (int c = 0; c < rows.size(); c++) {
            ClassMetrics r = rows.get(c);
            String note = switch (r.emptiness()) {
                case NONE -> "";
                case BOTH_EMPTY -> "both empty (Dice 1, distances 0 by convention; not in the mean)";
                case PRED_EMPTY -> "prediction empty";
                case TRUTH_EMPTY -> "truth empty";
            };
            line(sb, String.format(Locale.ROOT, fmt, names[c], r.predVoxels(), r.truthVoxels(),
                    ratio(r.dice()), ratio(r.iou()), mm(r.hd95()), mm(r.assd()), mm(r.hd()), note));
        }
        Mean m = mean(from, rows.size());
        String note = "Dice/IoU over " + m.overlapClasses() + ", distances over " + m.distanceClasses()
                + (m.infiniteClasses() > 0 ? " (" + m.infiniteClasses() + " with inf left out)" : "")
                + (m.bothEmptyClasses() > 0 ? "; " + m.bothEmptyClasses() + " both empty left out" : "");
        line(sb, String.format(Locale.ROOT, fmt, meanName, "", "", ratio(m.dice()), ratio(m.iou()),
                mm(m.hd95()), mm(m.assd()), mm(m.hd()), note));
        return sb.toString();
    }

    private static void line(StringBuilder sb, String s) {
        sb.append(s.stripTrailing()).append('\n');
    }

    private static String ratio(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String mm(double v) {
        if (Double.isNaN(v)) return "n/a";
        if (v == Double.POSITIVE_INFINITY) return "inf";
        return String.format(Locale.ROOT, "%.3f", v);
    }

    @Override
    public String toString() {
        return toTable();
    }
}
