package org.segloss.examples.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Files;
import org.segloss.examples.viz.OverlayMontage;
import org.segloss.examples.viz.StudyCharts;
import org.segloss.io.Nifti;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * The PNGs of a study, per data set (file names carry the data set's {@link RunKey#slug}):
 * <ul>
 * <li>{@code dice-per-class-<data>.png}: per class, one bar per loss, mean Dice over the seeds ± sd;</li>
 * <li>{@code smallest-vs-time-<data>.png}: the smallest class's Dice of every run against its wall time;</li>
 * <li>{@code learning-curves-<data>.png}: per loss, the validation Dice after each epoch (mean over
 *     seeds) — mean foreground Dice on the left, the smallest class's on the right;</li>
 * <li>{@code smallest-montage-<data>.png}: the smallest class on the axial slice where the first
 *     validation volume has most of it, as the reference and each loss's run of the first seed
 *     predict it ({@link OverlayMontage}; read from the run folders' NIfTI files, so only when they
 *     are there).</li>
 * </ul>
 * The training loss is not drawn across losses: the losses have different scales.
 */
public final class StudyPlots {
    private StudyPlots() {}

    /** {file name, description} of each picture of data set {@code data}. */
    public static List<String[]> files(String data) {
        String s = RunKey.slug(data);
        return List.of(new String[] {"dice-per-class-" + s + ".png", data + ": Dice per class and loss"},
                new String[] {"smallest-vs-time-" + s + ".png", data + ": smallest-class Dice against training time"},
                new String[] {"learning-curves-" + s + ".png", data + ": learning curves"},
                new String[] {"smallest-montage-" + s + ".png", data + ": the smallest class as each loss predicts it"});
    }

    /** Writes every picture of every data set with a finished run into {@code dir}; returns the files written. */
    public static List<Path> write(Path dir, StudyResults results) throws IOException {
        List<Path> out = new ArrayList<>();
        StudyPlan plan = results.plan();
        String[] losses = plan.losses().toArray(String[]::new);
        for (String data : plan.data()) {
            List<String> classes = StudyReport.classNames(results, data);
            if (classes.isEmpty()) continue;
            int smallest = StudyReport.smallestClass(results, data);
            List<String[]> f = files(data);
            int k = classes.size(), nl = losses.length;

            double[][] mean = new double[nl][k], sd = new double[nl][k];
            double[][] time = new double[nl][], small = new double[nl][];
            double[][][] curves = new double[2][nl][];
            for (int l = 0; l < nl; l++) {
                List<RunResult> runs = new ArrayList<>();
                for (long seed : plan.seeds()) {
                    RunResult r = results.finished().get(new RunKey(data, losses[l], seed));
                    if (r != null) runs.add(r);
                }
                for (int c = 0; c < k; c++) {
                    List<Double> v = new ArrayList<>();
                    for (RunResult r : runs) {
                        double d = StudyResults.row(r, c).dice();
                        if (!Double.isNaN(d)) v.add(d);
                    }
                    if (v.isEmpty()) {
                        mean[l][c] = Double.NaN;
                        sd[l][c] = Double.NaN;
                    } else {
                        PairedStatistics.Summary s = PairedStatistics.summary(v.stream().mapToDouble(Double::doubleValue).toArray());
                        mean[l][c] = s.mean();
                        sd[l][c] = s.sd();
                    }
                }
                time[l] = new double[runs.size()];
                small[l] = new double[runs.size()];
                for (int i = 0; i < runs.size(); i++) {
                    time[l][i] = runs.get(i).wallS();
                    small[l][i] = StudyResults.row(runs.get(i), smallest).dice();
                }
                curves[0][l] = meanCurve(runs, -1);
                curves[1][l] = meanCurve(runs, smallest);
            }
            String[] classArr = classes.toArray(String[]::new);
            Path bars = dir.resolve(f.get(0)[0]), scatter = dir.resolve(f.get(1)[0]), lines = dir.resolve(f.get(2)[0]);
            StudyCharts.groupedBars(bars, data + ": validation Dice per class (mean ± sd over seeds)", "Dice", classArr, losses, mean, sd);
            StudyCharts.scatter(scatter, data + ": " + classes.get(smallest) + " Dice against run wall time", "wall time of the run (s)",
                    classes.get(smallest) + " Dice", losses, time, small);
            StudyCharts.curves(lines, data + ": validation Dice per epoch (mean over seeds)",
                    new String[] {"mean foreground Dice", classes.get(smallest) + " Dice"}, losses, curves);
            out.add(bars);
            out.add(scatter);
            out.add(lines);
            Path montage = dir.resolve(f.get(3)[0]);
            if (montage(montage, results, data, smallest, classes.get(smallest))) out.add(montage);
        }
        return out;
    }

    /** The run folders' NIfTI files the montage reads. */
    static final String IMAGE = "validation-image.nii.gz", TRUTH = "validation-truth.nii.gz", PREDICTION = "validation-prediction.nii.gz";

    /**
     * The montage of the smallest class for the first seed with a finished run holding the NIfTI
     * files; false (nothing written) when no run folder has them.
     */
    static boolean montage(Path png, StudyResults results, String data, int smallest, String className) throws IOException {
        StudyPlan plan = results.plan();
        if (results.dir() == null) return false;
        RunStore store = new RunStore(results.dir());
        for (long seed : plan.seeds()) {
            Path first = null;
            for (String loss : plan.losses()) {
                RunResult r = results.finished().get(new RunKey(data, loss, seed));
                Path f = r == null ? null : store.folder(r.key());
                if (f != null && Files.exists(f.resolve(IMAGE)) && Files.exists(f.resolve(TRUTH))) {
                    first = f;
                    break;
                }
            }
            if (first == null) continue;
            Tensor image = Nifti.readTensor(first.resolve(IMAGE));
            LabelTensor truth = Nifti.readLabels(first.resolve(TRUTH));
            List<LabelTensor> predictions = new ArrayList<>();
            String[] captions = new String[plan.losses().size()];
            for (int l = 0; l < captions.length; l++) {
                String loss = plan.losses().get(l);
                RunResult r = results.finished().get(new RunKey(data, loss, seed));
                Path p = r == null ? null : store.folder(r.key()).resolve(PREDICTION);
                boolean ok = r != null && r.status() == RunResult.Status.FINISHED && Files.exists(p);
                predictions.add(ok ? Nifti.readLabels(p) : null);
                captions[l] = loss + (r == null ? " (not run)" : r.status() != RunResult.Status.FINISHED
                        ? " (" + r.status().name().toLowerCase(java.util.Locale.ROOT) + ")" : ok ? "" : " (no prediction file)");
            }
            OverlayMontage.write(png, data + ", seed " + seed + ", validation volume 1: " + className + " (white: reference outline)",
                    image, truth, smallest + 1, captions, predictions);
            return true;
        }
        return false;
    }

    /**
     * Per epoch, the mean over the runs of the validation Dice of class index {@code c} (or of the
     * mean over the foreground classes when c = −1); NaN where no run has a finite value.
     */
    static double[] meanCurve(List<RunResult> runs, int c) {
        int epochs = 0;
        for (RunResult r : runs) epochs = Math.max(epochs, r.curve().size());
        double[] out = new double[epochs];
        for (int e = 0; e < epochs; e++) {
            double s = 0;
            int n = 0;
            for (RunResult r : runs) {
                if (e >= r.curve().size()) continue;
                List<Double> dice = r.curve().get(e).dice();
                double v;
                if (c >= 0) {
                    v = dice.get(c);
                } else {
                    double t = 0;
                    int m = 0;
                    for (double d : dice) {
                        if (Double.isFinite(d)) {
                            t += d;
                            m++;
                        }
                    }
                    v = m == 0 ? Double.NaN : t / m;
                }
                if (Double.isFinite(v)) {
                    s += v;
                    n++;
                }
            }
            out[e] = n == 0 ? Double.NaN : s / n;
        }
        return out;
    }
}
