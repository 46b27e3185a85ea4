package org.segloss.examples.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Stroke;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The training curves of a run as one PNG of {@value #WIDTH} x {@value #HEIGHT} pixels: the
 * training loss per epoch on the left (and the validation loss, dashed, if given), the
 * validation Dice of each class per epoch on the right (y fixed to [0, 1]), a legend on the
 * right edge and a title on top. Written so that a run's progress can be seen at a glance
 * without a plotting library.
 *
 * <p>Series (all indexed by epoch, the same length as {@code epochs}):
 * <ul>
 * <li>{@code epochs}: strictly increasing epoch numbers, at least one;</li>
 * <li>{@code loss}: the training loss of each epoch;</li>
 * <li>{@code validationLoss}: optional (may be {@code null});</li>
 * <li>{@code dicePerClass[k][i]}: the Dice of class {@code classNames[k]} after epoch
 *     {@code epochs[i]}, in [0, 1]; one row per class, class-major (not epoch-major).</li>
 * </ul>
 * A NaN (or infinite) value is a gap: the line stops before it and resumes after it; a finite
 * point without finite neighbours (a single epoch, or between two gaps) is drawn as a square
 * marker, and with at most {@value #MARKER_LIMIT} epochs every point gets a marker. With one
 * epoch the x axis spans that epoch ± 1.
 *
 * <p>The loss axis is linear from min(0, smallest loss) to the largest finite loss, rounded out
 * to "nice" ticks (1, 2 or 5 times a power of ten). A loss that falls by orders of magnitude
 * (a cross-entropy from 2 to 0.01) therefore squeezes the late epochs near zero; that is
 * accepted here: the late Dice, on its fixed [0, 1] axis, is what shows the late progress.
 *
 * <p>Colours: the losses are black (training solid, validation dashed); Dice series {@code k} gets
 * Okabe–Ito colour {@code k} (orange, sky blue, bluish green, yellow, blue, vermillion,
 * reddish purple, then repeating) — the colour {@link SliceOverlay} gives class {@code k + 1}, so
 * with Dice for the foreground classes 1, 2, ... only, a class has one colour in both pictures.
 * The legend column has room for 14 classes; further ones are drawn but not listed (and colours
 * repeat after 7 anyway).
 */
public final class TrainingCurves {
    private TrainingCurves() {}

    static {
        Draw.headless();
    }

    /** Image size in pixels. */
    public static final int WIDTH = 1280, HEIGHT = 480;
    /** Up to this many epochs every point is marked; beyond, only isolated points. */
    public static final int MARKER_LIMIT = 40;

    // layout: two panels of PANEL_W, then the legend column
    static final int PANEL_W = 550, LEFT = 70, RIGHT = 20, TOP = 64, BOTTOM = 50;
    static final int PLOT_W = PANEL_W - LEFT - RIGHT, PLOT_H = HEIGHT - TOP - BOTTOM;
    static final int LEGEND_X = 2 * PANEL_W + 10;

    /** As {@link #write(Path, String, int[], double[], double[], String[], double[][])} without a validation loss. */
    public static void write(Path png, String title, int[] epochs, double[] loss, String[] classNames, double[][] dicePerClass)
            throws IOException {
        write(png, title, epochs, loss, null, classNames, dicePerClass);
    }

    /**
     * Draws the curves and writes them to {@code png} (parent directories are created).
     *
     * @param png            the output file
     * @param title          the title on top (e.g. the run's loss and seed)
     * @param epochs         epoch numbers, strictly increasing, length n &ge; 1
     * @param loss           training loss per epoch, length n (NaN = gap)
     * @param validationLoss validation loss per epoch, length n, or {@code null} for none
     * @param classNames     names of the Dice series, length K (K may be 0)
     * @param dicePerClass   [K][n]: Dice of class k after epoch i, in [0, 1] (NaN = gap)
     * @throws IllegalArgumentException on a null argument, an empty or not increasing
     *         {@code epochs}, a series of another length than {@code epochs}, a class count
     *         mismatch or a Dice outside [0, 1]
     */
    public static void write(Path png, String title, int[] epochs, double[] loss, double[] validationLoss, String[] classNames,
                             double[][] dicePerClass) throws IOException {
        Draw.nonNull("TrainingCurves.write", "png", png);
        Draw.writePng(render(title, epochs, loss, validationLoss, classNames, dicePerClass), png);
    }

    /** The picture {@link #write(Path, String, int[], double[], double[], String[], double[][]) write} saves. */
    public static BufferedImage render(String title, int[] epochs, double[] loss, double[] validationLoss, String[] classNames,
                                       double[][] dicePerClass) {
        check(title, epochs, loss, validationLoss, classNames, dicePerClass);
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Draw.canvas(img);
        try {
            g.setFont(Draw.TITLE_FONT);
            g.setColor(Draw.TEXT);
            Draw.text(g, Draw.fit(g, title, WIDTH - 20), WIDTH / 2, 24, 1);
            g.setFont(Draw.FONT);

            double[] xr = xRange(epochs);
            double[] lossRange = lossRange(loss, validationLoss);
            Axis lossAxis = new Axis(0, xr, lossRange, Draw.niceStep((lossRange[1] - lossRange[0]) / 5));
            lossAxis.frame(g, validationLoss == null ? "training loss" : "training and validation loss");
            lossAxis.series(g, epochs, loss, Draw.BLACK, false);
            if (validationLoss != null) lossAxis.series(g, epochs, validationLoss, Draw.BLACK, true);

            Axis diceAxis = new Axis(1, xr, new double[] {0, 1}, 0.2);
            diceAxis.frame(g, "validation Dice per class");
            for (int k = 0; k < classNames.length; k++) diceAxis.series(g, epochs, dicePerClass[k], Draw.colour(k), false);

            legend(g, validationLoss != null, classNames);
        } finally {
            g.dispose();
        }
        return img;
    }

    // ---- checks ---------------------------------------------------------------------------------

    static void check(String title, int[] epochs, double[] loss, double[] validationLoss, String[] classNames, double[][] dicePerClass) {
        String w = "TrainingCurves";
        Draw.nonNull(w, "title", title);
        Draw.nonNull(w, "epochs", epochs);
        Draw.nonNull(w, "loss", loss);
        Draw.nonNull(w, "classNames", classNames);
        Draw.nonNull(w, "dicePerClass", dicePerClass);
        int n = epochs.length;
        if (n == 0) throw new IllegalArgumentException(w + ": epochs must not be empty (expected at least 1 epoch, got 0)");
        for (int i = 1; i < n; i++) {
            if (epochs[i] <= epochs[i - 1]) {
                throw new IllegalArgumentException(w + ": epochs must be strictly increasing, got epochs[" + (i - 1) + "] = "
                        + epochs[i - 1] + ", epochs[" + i + "] = " + epochs[i]);
            }
        }
        if (loss.length != n) {
            throw new IllegalArgumentException(w + ": loss must have one value per epoch: expected length " + n + ", got " + loss.length);
        }
        if (validationLoss != null && validationLoss.length != n) {
            throw new IllegalArgumentException(w + ": validationLoss must have one value per epoch: expected length " + n
                    + ", got " + validationLoss.length);
        }
        if (dicePerClass.length != classNames.length) {
            throw new IllegalArgumentException(w + ": dicePerClass must have one row per class name ([classes][epochs]): expected "
                    + classNames.length + " rows, got " + dicePerClass.length);
        }
        for (int k = 0; k < classNames.length; k++) {
            if (classNames[k] == null) throw new IllegalArgumentException(w + ": classNames[" + k + "] must not be null");
            double[] d = dicePerClass[k];
            if (d == null) throw new IllegalArgumentException(w + ": dicePerClass[" + k + "] must not be null");
            if (d.length != n) {
                throw new IllegalArgumentException(w + ": dicePerClass[" + k + "] (" + classNames[k]
                        + ") must have one value per epoch: expected length " + n + ", got " + d.length);
            }
            for (int i = 0; i < n; i++) {
                if (Double.isFinite(d[i]) && (d[i] < 0 || d[i] > 1)) {
                    throw new IllegalArgumentException(w + ": dicePerClass[" + k + "][" + i + "] (" + classNames[k] + ", epoch "
                            + epochs[i] + ") must be in [0, 1] or NaN, got " + d[i]);
                }
            }
        }
    }

    // ---- ranges -----------------------------------------------------------------------------------

    static double[] xRange(int[] epochs) {
        int first = epochs[0], last = epochs[epochs.length - 1];
        return first == last ? new double[] {first - 1, last + 1} : new double[] {first, last};
    }

    /** [min(0, smallest), largest] over the finite losses; [0, 1] if there are none; widened to 1 if flat. */
    static double[] lossRange(double[] loss, double[] validationLoss) {
        double lo = 0, hi = Double.NEGATIVE_INFINITY;
        for (double[] s : new double[][] {loss, validationLoss}) {
            if (s == null) continue;
            for (double v : s) {
                if (!Double.isFinite(v)) continue;
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (hi == Double.NEGATIVE_INFINITY) return new double[] {0, 1};
        if (hi <= lo) hi = lo + 1;
        double step = Draw.niceStep((hi - lo) / 5);
        return new double[] {Math.floor(lo / step) * step, Math.ceil(hi / step) * step};
    }

    // ---- drawing ----------------------------------------------------------------------------------

    /** One panel's plot rectangle and its data-to-pixel mapping. */
    static final class Axis {
        final int x0, y0;                 // top-left of the plot rectangle
        final double xmin, xmax, ymin, ymax, ystep;

        Axis(int panel, double[] x, double[] y, double ystep) {
            this.x0 = panel * PANEL_W + LEFT;
            this.y0 = TOP;
            this.xmin = x[0];
            this.xmax = x[1];
            this.ymin = y[0];
            this.ymax = y[1];
            this.ystep = ystep;
        }

        double px(double x) { return x0 + (x - xmin) / (xmax - xmin) * PLOT_W; }

        double py(double y) { return y0 + PLOT_H - (y - ymin) / (ymax - ymin) * PLOT_H; }

        void frame(Graphics2D g, String heading) {
            g.setColor(Draw.TEXT);
            Draw.text(g, heading, x0 + PLOT_W / 2, y0 - 12, 1);
            // y grid, ticks and labels
            Draw.yGrid(g, x0, PLOT_W, ymin, ymax, ystep, v -> (int) Math.round(py(v)));
            // x: integer epochs, a nice step of at least 1
            double xstep = Math.max(1, Draw.niceStep((xmax - xmin) / 8));
            for (double v = Math.ceil(xmin / xstep) * xstep; v <= xmax + 1e-9; v += xstep) {
                int x = (int) Math.round(px(v));
                g.setColor(Draw.GRID);
                g.drawLine(x, y0, x, y0 + PLOT_H);
                g.setColor(Draw.BLACK);
                g.drawLine(x, y0 + PLOT_H, x, y0 + PLOT_H + 5);
                g.setColor(Draw.TEXT);
                Draw.text(g, Draw.tickLabel(v, 1), x, y0 + PLOT_H + 20, 1);
            }
            Draw.text(g, "epoch", x0 + PLOT_W / 2, y0 + PLOT_H + 40, 1);
            g.setColor(Draw.BLACK);
            g.drawRect(x0, y0, PLOT_W, PLOT_H);
        }

        /** Polylines through runs of finite points; markers on isolated points (or all, for few epochs). */
        void series(Graphics2D g, int[] epochs, double[] v, Color c, boolean dashed) {
            int n = epochs.length;
            g.setColor(c);
            Stroke old = g.getStroke();
            g.setStroke(dashed
                    ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {7f, 5f}, 0f)
                    : new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            g.setClip(x0, y0, PLOT_W + 1, PLOT_H + 1);
            int i = 0;
            while (i < n) {
                if (!Double.isFinite(v[i])) { i++; continue; }
                int j = i;
                while (j + 1 < n && Double.isFinite(v[j + 1])) j++;
                if (j > i) {
                    Path2D.Double p = new Path2D.Double();
                    p.moveTo(Math.round(px(epochs[i])), Math.round(py(v[i])));
                    for (int k = i + 1; k <= j; k++) p.lineTo(Math.round(px(epochs[k])), Math.round(py(v[k])));
                    g.draw(p);
                }
                for (int k = i; k <= j; k++) {
                    if (j == i || n <= MARKER_LIMIT) {
                        int x = (int) Math.round(px(epochs[k])), y = (int) Math.round(py(v[k]));
                        g.fillRect(x - 3, y - 3, 7, 7);
                    }
                }
                i = j + 1;
            }
            g.setClip(null);
            g.setStroke(old);
        }
    }

    static final int LEGEND_TOP = TOP + 10, LEGEND_ROW = 22;

    /** The legend column: losses first, then one row per class, each a line sample and the name. */
    static void legend(Graphics2D g, boolean validation, String[] classNames) {
        int x = LEGEND_X, y = LEGEND_TOP, textX = x + 34, maxText = WIDTH - textX - 6;
        g.setColor(Draw.TEXT);
        g.drawString("loss", x, y);
        y += LEGEND_ROW;
        legendRow(g, y, Draw.BLACK, false, Draw.fit(g, "training", maxText));
        y += LEGEND_ROW;
        if (validation) {
            legendRow(g, y, Draw.BLACK, true, Draw.fit(g, "validation", maxText));
            y += LEGEND_ROW;
        }
        y += LEGEND_ROW / 2;
        g.setColor(Draw.TEXT);
        g.drawString("Dice", x, y);
        y += LEGEND_ROW;
        for (int k = 0; k < classNames.length && y < HEIGHT - 8; k++, y += LEGEND_ROW) {
            legendRow(g, y, Draw.colour(k), false, Draw.fit(g, classNames[k], maxText));
        }
    }

    static void legendRow(Graphics2D g, int baseline, Color c, boolean dashed, String name) {
        int x = LEGEND_X, y = baseline - 5;
        g.setColor(c);
        if (dashed) {
            g.fillRect(x, y - 1, 8, 3);
            g.fillRect(x + 14, y - 1, 8, 3);
        } else {
            g.fillRect(x, y - 1, 26, 3);
            g.fillRect(x + 10, y - 3, 7, 7);
        }
        g.setColor(Draw.TEXT);
        g.drawString(name, x + 34, baseline);
    }
}
