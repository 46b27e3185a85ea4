package org.segloss.examples.train;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.segloss.util.AtomicFiles;

/**
 * The per-epoch record of a training run, as {@code metrics.csv} holds it: one row per finished
 * epoch with the mean training loss, the learning rate, the validation metrics per foreground
 * class and their mean, and the epoch's wall time. A resumed run reads the rows of the epochs the
 * checkpoint covers back from the file (later rows, written after the checkpoint, are dropped),
 * so the curves and the CSV continue where the checkpoint stopped.
 */
public final class TrainingHistory {
    /** Per-class metric columns, in CSV order; each gives one column per foreground class. */
    public static final String[] METRICS = {"dice", "iou", "hd95", "assd"};

    private final String[] foreground;
    private final List<double[]> rows = new ArrayList<>();

    /** @param classNames all class names, background first (the background gets no columns) */
    public TrainingHistory(String[] classNames) {
        this.foreground = Arrays.copyOfRange(classNames, 1, classNames.length);
    }

    /** The CSV header: epoch, loss, lr, then metric_class for every metric and foreground class, dice_mean, seconds. */
    public String header() {
        StringBuilder b = new StringBuilder("epoch,loss,lr");
        for (String m : METRICS) for (String c : foreground) b.append(',').append(m).append('_').append(column(c));
        return b.append(",dice_mean,seconds").toString();
    }

    /** A class name as a CSV column suffix: lower case, runs of other characters as one '_'. */
    public static String column(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
    }

    int columns() { return 3 + METRICS.length * foreground.length + 2; }

    /**
     * Appends an epoch. {@code perClass[m][c]}: metric m of {@link #METRICS} for class c (index 0
     * = background, not stored).
     */
    public void add(int epoch, double loss, double lr, double[][] perClass, double seconds) {
        if (perClass.length != METRICS.length) {
            throw new IllegalArgumentException("TrainingHistory.add: need " + METRICS.length + " metrics, got " + perClass.length);
        }
        double[] row = new double[columns()];
        row[0] = epoch;
        row[1] = loss;
        row[2] = lr;
        int k = 3;
        for (double[] m : perClass) {
            if (m.length != foreground.length + 1) {
                throw new IllegalArgumentException("TrainingHistory.add: need " + (foreground.length + 1) + " classes, got " + m.length);
            }
            for (int c = 1; c < m.length; c++) row[k++] = m[c];
        }
        row[k++] = foregroundMean(perClass[0]);
        row[k] = seconds;
        rows.add(row);
    }

    /** Mean over the foreground classes (index 1..) of a per-class array, NaN entries (class absent everywhere) left out. */
    public static double foregroundMean(double[] perClass) {
        double s = 0;
        int n = 0;
        for (int c = 1; c < perClass.length; c++) {
            if (Double.isNaN(perClass[c])) continue;
            s += perClass[c];
            n++;
        }
        return n == 0 ? Double.NaN : s / n;
    }

    public int size() { return rows.size(); }

    public int[] epochs() { return rows.stream().mapToInt(r -> (int) r[0]).toArray(); }

    public double[] loss() { return rows.stream().mapToDouble(r -> r[1]).toArray(); }

    /** Metric m of {@link #METRICS} as [foreground class][epoch]. */
    public double[][] metric(String m) {
        int index = Arrays.asList(METRICS).indexOf(m);
        if (index < 0) throw new IllegalArgumentException("TrainingHistory.metric: unknown metric '" + m + "', valid: " + Arrays.toString(METRICS));
        double[][] out = new double[foreground.length][rows.size()];
        for (int e = 0; e < rows.size(); e++) {
            for (int c = 0; c < foreground.length; c++) out[c][e] = rows.get(e)[3 + index * foreground.length + c];
        }
        return out;
    }

    /** Writes the whole history to {@code csv} atomically ({@link AtomicFiles}). */
    public void write(Path csv) throws IOException {
        java.io.StringWriter text = new java.io.StringWriter();
        try (PrintWriter w = new PrintWriter(text)) {
            w.println(header());
            for (double[] r : rows) {
                StringBuilder b = new StringBuilder();
                b.append((int) r[0]).append(',').append(String.format(Locale.ROOT, "%.6f,%.6e", r[1], r[2]));
                for (int k = 3; k < r.length - 1; k++) b.append(',').append(format(r[k]));
                b.append(String.format(Locale.ROOT, ",%.2f", r[r.length - 1]));
                w.println(b);
            }
        }
        AtomicFiles.write(csv, text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Four decimals; "inf" for an infinite distance (a class missing from prediction or truth), "nan" for NaN. */
    private static String format(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static double parse(String s) {
        return switch (s) {
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            case "nan" -> Double.NaN;
            default -> Double.parseDouble(s);
        };
    }

    /**
     * The rows of epochs 1..{@code epochs} from an existing CSV of the same classes.
     *
     * @throws IOException if the file is missing, has another header, or lacks one of those epochs
     */
    public static TrainingHistory read(Path csv, String[] classNames, int epochs) throws IOException {
        TrainingHistory h = new TrainingHistory(classNames);
        if (epochs == 0) return h;
        if (!Files.exists(csv)) throw new IOException(csv + ": missing; the checkpoint covers " + epochs + " epochs");
        List<String> lines = Files.readAllLines(csv);
        if (lines.isEmpty() || !lines.get(0).equals(h.header())) {
            throw new IOException(csv + ": header must be '" + h.header() + "', got '" + (lines.isEmpty() ? "" : lines.get(0)) + "'");
        }
        for (int i = 1; i < lines.size() && h.size() < epochs; i++) {
            String[] f = lines.get(i).split(",");
            if (f.length != h.columns()) throw new IOException(csv + ": line " + (i + 1) + " has " + f.length + " fields, expected " + h.columns());
            double[] r = new double[f.length];
            for (int k = 0; k < f.length; k++) r[k] = parse(f[k]);
            if ((int) r[0] != h.size() + 1) throw new IOException(csv + ": line " + (i + 1) + " is epoch " + f[0] + ", expected " + (h.size() + 1));
            h.rows.add(r);
        }
        if (h.size() < epochs) throw new IOException(csv + ": has " + h.size() + " epochs, the checkpoint covers " + epochs);
        return h;
    }
}
