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
 * The charts of a loss study, as PNGs of {@value #WIDTH} x {@value #HEIGHT} pixels in the style of
 * {@link TrainingCurves} (no anti-aliasing, the Okabe–Ito palette, a legend column on the right):
 * <ul>
 * <li>{@link #groupedBars}: one group per class, one bar per loss (its mean over seeds) with an
 *     error bar of ± one sd; y fixed to [0, 1];</li>
 * <li>{@link #scatter}: one point per run (x, y), a colour per loss, and each loss's mean as a
 *     larger hollow square — e.g. the smallest class's Dice against training time;</li>
 * <li>{@link #curves}: one line per loss over the epochs, on one or two panels side by side
 *     (y fixed to [0, 1]).</li>
 * </ul>
 * Series {@code i} (a loss) gets Okabe–Ito colour {@code i mod 7}, drawn darker for
 * {@code 7 <= i < 14} and with a dashed line in {@link #curves}, so up to 14 losses stay apart.
 * NaN values are not drawn (a diverged run, a class absent everywhere); the legend says "no data"
 * next to a series without any finite value.
 */
public final class StudyCharts {
    private StudyCharts() {}

    static {
        Draw.headless();
    }

    /** Image size in pixels. */
    public static final int WIDTH = 1280, HEIGHT = 520;
    static final int LEFT = 70, RIGHT = 20, TOP = 64, BOTTOM = 60, LEGEND_W = 240;
    static final int PLOT_RIGHT = WIDTH - LEGEND_W, PLOT_H = HEIGHT - TOP - BOTTOM;

    static Color colour(int i) {
        Color c = Draw.colour(i);
        return (i / 7) % 2 == 1 ? c.darker() : c;
    }

    // ---- grouped bars ---------------------------------------------------------------------------

    /**
     * Grouped bars: {@code mean[s][g]} ± {@code sd[s][g]} of series s (a loss) in group g (a class),
     * y in [0, 1] (values are clipped to it).
     *
     * @throws IllegalArgumentException on null arguments or arrays not of [series][groups]
     */
    public static void groupedBars(Path png, String title, String yLabel, String[] groups, String[] series, double[][] mean, double[][] sd)
            throws IOException {
        Draw.nonNull("StudyCharts.groupedBars", "png", png);
        Draw.writePng(renderBars(title, yLabel, groups, series, mean, sd), png);
    }

    static BufferedImage renderBars(String title, String yLabel, String[] groups, String[] series, double[][] mean, double[][] sd) {
        String w = "StudyCharts.groupedBars";
        checkMatrix(w, "mean", mean, series, groups.length);
        checkMatrix(w, "sd", sd, series, groups.length);
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Draw.canvas(img);
        try {
            header(g, title);
            int x0 = LEFT, x1 = PLOT_RIGHT - RIGHT, plotW = x1 - x0;
            yAxis(g, x0, plotW, 0, 1, 0.2, yLabel);
            int groupW = plotW / Math.max(1, groups.length);
            int barW = Math.max(2, (groupW - 20) / Math.max(1, series.length));
            for (int gi = 0; gi < groups.length; gi++) {
                int gx = x0 + gi * groupW + (groupW - barW * series.length) / 2;
                g.setColor(Draw.TEXT);
                Draw.text(g, Draw.fit(g, groups[gi], groupW - 4), x0 + gi * groupW + groupW / 2, TOP + PLOT_H + 20, 1);
                for (int s = 0; s < series.length; s++) {
                    double m = mean[s][gi];
                    if (!Double.isFinite(m)) continue;
                    int bx = gx + s * barW, y = py(clip(m), 0, 1), base = py(0, 0, 1);
                    g.setColor(colour(s));
                    g.fillRect(bx, y, Math.max(1, barW - 2), base - y);
                    double e = sd[s][gi];
                    if (Double.isFinite(e) && e > 0) {
                        int cx = bx + (barW - 2) / 2, lo = py(clip(m - e), 0, 1), hi = py(clip(m + e), 0, 1);
                        g.setColor(Draw.BLACK);
                        g.drawLine(cx, lo, cx, hi);
                        g.drawLine(cx - 3, lo, cx + 3, lo);
                        g.drawLine(cx - 3, hi, cx + 3, hi);
                    }
                }
            }
            g.setColor(Draw.BLACK);
            g.drawRect(x0, TOP, plotW, PLOT_H);
            legend(g, "loss", series, hasData(mean), false);
        } finally {
            g.dispose();
        }
        return img;
    }

    // ---- scatter ----------------------------------------------------------------------------------

    /**
     * One point per run: {@code x[s][k]}, {@code y[s][k]} for run k of series s (rows may differ in
     * length, the same length in x and y); the x axis from 0 to the largest finite x, y in [0, 1].
     */
    public static void scatter(Path png, String title, String xLabel, String yLabel, String[] series, double[][] x, double[][] y)
            throws IOException {
        Draw.nonNull("StudyCharts.scatter", "png", png);
        Draw.writePng(renderScatter(title, xLabel, yLabel, series, x, y), png);
    }

    static BufferedImage renderScatter(String title, String xLabel, String yLabel, String[] series, double[][] x, double[][] y) {
        String w = "StudyCharts.scatter";
        Draw.nonNull(w, "x", x);
        Draw.nonNull(w, "y", y);
        Draw.nonNull(w, "series", series);
        if (x.length != series.length || y.length != series.length) {
            throw new IllegalArgumentException(w + ": x and y need one row per series (" + series.length + "), got " + x.length + " and "
                    + y.length);
        }
        double xmax = 0;
        for (int s = 0; s < series.length; s++) {
            if (x[s] == null || y[s] == null || x[s].length != y[s].length) {
                throw new IllegalArgumentException(w + ": x[" + s + "] and y[" + s + "] must have the same length");
            }
            for (double v : x[s]) if (Double.isFinite(v)) xmax = Math.max(xmax, v);
        }
        double step = Draw.niceStep(Math.max(xmax, 1e-9) / 6);
        double xhi = Math.max(step, Math.ceil(xmax / step) * step);
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Draw.canvas(img);
        try {
            header(g, title);
            int x0 = LEFT, x1 = PLOT_RIGHT - RIGHT, plotW = x1 - x0;
            yAxis(g, x0, plotW, 0, 1, 0.2, yLabel);
            for (double v = 0; v <= xhi + 1e-9 * xhi; v += step) {
                int px = x0 + (int) Math.round(v / xhi * plotW);
                g.setColor(Draw.GRID);
                g.drawLine(px, TOP, px, TOP + PLOT_H);
                g.setColor(Draw.TEXT);
                Draw.text(g, Draw.tickLabel(v, step), px, TOP + PLOT_H + 20, 1);
            }
            Draw.text(g, xLabel, x0 + plotW / 2, TOP + PLOT_H + 42, 1);
            boolean[] has = new boolean[series.length];
            for (int s = 0; s < series.length; s++) {
                double sx = 0, sy = 0;
                int n = 0;
                g.setColor(colour(s));
                for (int k = 0; k < x[s].length; k++) {
                    if (!Double.isFinite(x[s][k]) || !Double.isFinite(y[s][k])) continue;
                    int px = x0 + (int) Math.round(x[s][k] / xhi * plotW), yy = py(clip(y[s][k]), 0, 1);
                    g.fillOval(px - 4, yy - 4, 9, 9);
                    sx += x[s][k];
                    sy += y[s][k];
                    n++;
                }
                if (n > 0) {
                    has[s] = true;
                    int px = x0 + (int) Math.round(sx / n / xhi * plotW), yy = py(clip(sy / n), 0, 1);
                    Stroke old = g.getStroke();
                    g.setStroke(new BasicStroke(2f));
                    g.drawRect(px - 7, yy - 7, 14, 14);
                    g.setStroke(old);
                }
            }
            g.setColor(Draw.BLACK);
            g.drawRect(x0, TOP, plotW, PLOT_H);
            legend(g, "loss (square: mean)", series, has, false);
        } finally {
            g.dispose();
        }
        return img;
    }

    // ---- curves -----------------------------------------------------------------------------------

    /**
     * Learning curves: for each panel p, {@code values[p][s][e]} of series s after epoch
     * {@code e + 1}; rows may differ in length (a diverged run stops early). One or two panels.
     */
    public static void curves(Path png, String title, String[] panelTitles, String[] series, double[][][] values) throws IOException {
        Draw.nonNull("StudyCharts.curves", "png", png);
        Draw.writePng(renderCurves(title, panelTitles, series, values), png);
    }

    static BufferedImage renderCurves(String title, String[] panelTitles, String[] series, double[][][] values) {
        String w = "StudyCharts.curves";
        Draw.nonNull(w, "panelTitles", panelTitles);
        Draw.nonNull(w, "values", values);
        Draw.nonNull(w, "series", series);
        if (panelTitles.length < 1 || panelTitles.length > 2 || values.length != panelTitles.length) {
            throw new IllegalArgumentException(w + ": need 1 or 2 panels with one title each, got " + panelTitles.length + " titles and "
                    + values.length + " value sets");
        }
        int epochs = 1;
        boolean[] has = new boolean[series.length];
        for (double[][] panel : values) {
            if (panel == null || panel.length != series.length) {
                throw new IllegalArgumentException(w + ": every panel needs one row per series (" + series.length + ")");
            }
            for (int s = 0; s < series.length; s++) {
                if (panel[s] == null) throw new IllegalArgumentException(w + ": values row of series " + s + " must not be null");
                epochs = Math.max(epochs, panel[s].length);
                for (double v : panel[s]) has[s] |= Double.isFinite(v);
            }
        }
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Draw.canvas(img);
        try {
            header(g, title);
            int panels = panelTitles.length, panelW = (PLOT_RIGHT - LEFT) / panels;
            double xmin = epochs == 1 ? 0 : 1, xmax = epochs == 1 ? 2 : epochs;
            double xstep = Math.max(1, Draw.niceStep((xmax - xmin) / 8));
            for (int p = 0; p < panels; p++) {
                int x0 = LEFT + p * panelW, plotW = panelW - (p < panels - 1 ? LEFT : RIGHT);   // room for the next panel's tick labels
                yAxis(g, x0, plotW, 0, 1, 0.2, "");
                g.setColor(Draw.TEXT);
                Draw.text(g, panelTitles[p], x0 + plotW / 2, TOP - 12, 1);
                for (double v = Math.ceil(xmin / xstep) * xstep; v <= xmax + 1e-9; v += xstep) {
                    int px = x0 + (int) Math.round((v - xmin) / (xmax - xmin) * plotW);
                    g.setColor(Draw.GRID);
                    g.drawLine(px, TOP, px, TOP + PLOT_H);
                    g.setColor(Draw.TEXT);
                    Draw.text(g, Draw.tickLabel(v, 1), px, TOP + PLOT_H + 20, 1);
                }
                Draw.text(g, "epoch", x0 + plotW / 2, TOP + PLOT_H + 42, 1);
                g.setClip(x0, TOP, plotW + 1, PLOT_H + 1);
                for (int s = 0; s < series.length; s++) {
                    double[] v = values[p][s];
                    g.setColor(colour(s));
                    Stroke old = g.getStroke();
                    g.setStroke((s / 7) % 2 == 1
                            ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {7f, 5f}, 0f)
                            : new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                    Path2D.Double path = null;
                    for (int e = 0; e < v.length; e++) {
                        if (!Double.isFinite(v[e])) {
                            path = flush(g, path);
                            continue;
                        }
                        double px = x0 + (e + 1 - xmin) / (xmax - xmin) * plotW, yy = py(clip(v[e]), 0, 1);
                        if (path == null) {
                            path = new Path2D.Double();
                            path.moveTo(Math.round(px), yy);
                        } else {
                            path.lineTo(Math.round(px), yy);
                        }
                        if (v.length <= TrainingCurves.MARKER_LIMIT) g.fillRect((int) Math.round(px) - 3, (int) yy - 3, 7, 7);
                    }
                    flush(g, path);
                    g.setStroke(old);
                }
                g.setClip(null);
                g.setColor(Draw.BLACK);
                g.drawRect(x0, TOP, plotW, PLOT_H);
            }
            legend(g, "loss", series, has, true);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static Path2D.Double flush(Graphics2D g, Path2D.Double path) {
        if (path != null) g.draw(path);
        return null;
    }

    // ---- shared -----------------------------------------------------------------------------------

    static void header(Graphics2D g, String title) {
        g.setFont(Draw.TITLE_FONT);
        g.setColor(Draw.TEXT);
        Draw.text(g, Draw.fit(g, title == null ? "" : title, WIDTH - 20), WIDTH / 2, 24, 1);
        g.setFont(Draw.FONT);
    }

    static int py(double v, double lo, double hi) {
        return (int) Math.round(TOP + PLOT_H - (v - lo) / (hi - lo) * PLOT_H);
    }

    static double clip(double v) {
        return Math.max(0, Math.min(1, v));
    }

    static void yAxis(Graphics2D g, int x0, int plotW, double lo, double hi, double step, String label) {
        Draw.yGrid(g, x0, plotW, lo, hi, step, v -> py(v, lo, hi));
        if (!label.isEmpty()) Draw.text(g, label, x0 + plotW / 2, TOP - 12, 1);
    }

    static void legend(Graphics2D g, String heading, String[] series, boolean[] has, boolean dashedSecondRound) {
        int x = PLOT_RIGHT + 10, y = TOP + 10, maxText = WIDTH - x - 40;
        g.setColor(Draw.TEXT);
        g.drawString(heading, x, y);
        y += 22;
        for (int s = 0; s < series.length && y < HEIGHT - 8; s++, y += 22) {
            g.setColor(colour(s));
            if (dashedSecondRound && (s / 7) % 2 == 1) {
                g.fillRect(x, y - 6, 8, 3);
                g.fillRect(x + 14, y - 6, 8, 3);
            } else {
                g.fillRect(x, y - 12, 22, 12);
            }
            g.setColor(Draw.TEXT);
            g.drawString(Draw.fit(g, series[s] + (has[s] ? "" : " (no data)"), maxText), x + 30, y);
        }
    }

    static boolean[] hasData(double[][] m) {
        boolean[] has = new boolean[m.length];
        for (int s = 0; s < m.length; s++) for (double v : m[s]) has[s] |= Double.isFinite(v);
        return has;
    }

    static void checkMatrix(String w, String name, double[][] m, String[] series, int groups) {
        Draw.nonNull(w, name, m);
        Draw.nonNull(w, "series", series);
        if (m.length != series.length) {
            throw new IllegalArgumentException(w + ": " + name + " needs one row per series [series][groups] = [" + series.length + "]["
                    + groups + "], got " + m.length + " rows");
        }
        for (int s = 0; s < m.length; s++) {
            if (m[s] == null || m[s].length != groups) {
                throw new IllegalArgumentException(w + ": " + name + "[" + s + "] needs " + groups + " values (one per group), got "
                        + (m[s] == null ? null : m[s].length));
            }
        }
    }
}
