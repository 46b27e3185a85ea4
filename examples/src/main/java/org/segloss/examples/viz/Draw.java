package org.segloss.examples.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.DoubleToIntFunction;
import javax.imageio.ImageIO;
import org.segloss.util.AtomicFiles;

/**
 * What {@link TrainingCurves} and {@link SliceOverlay} share: the palette, a canvas with fixed
 * (non-anti-aliased) rendering hints, text helpers, "nice" axis ticks and the PNG writer.
 */
final class Draw {
    private Draw() {}

    static {
        headless();
    }

    /**
     * Sets {@code java.awt.headless=true} unless the property is set already: the pictures are
     * drawn off screen, and a training run has no display. Must run before the first use of AWT
     * (the static initialisers of the public classes call it).
     */
    static void headless() {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /**
     * The Okabe–Ito colour-blind-safe palette without its black: orange, sky blue, bluish green,
     * yellow, blue, vermillion, reddish purple (Okabe and Ito 2008, "Color Universal Design").
     */
    static final Color[] OKABE_ITO = {
        new Color(0xE69F00), new Color(0x56B4E9), new Color(0x009E73), new Color(0xF0E442),
        new Color(0x0072B2), new Color(0xD55E00), new Color(0xCC79A7),
    };

    static final Color BLACK = Color.BLACK, WHITE = Color.WHITE, GRID = new Color(0xDDDDDD), TEXT = new Color(0x222222);

    /** Series or foreground class {@code i} (0-based) gets Okabe–Ito colour {@code i mod 7}. */
    static Color colour(int i) { return OKABE_ITO[i % OKABE_ITO.length]; }

    static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 16);

    /** A white RGB canvas and its graphics, with anti-aliasing off for lines and text. */
    static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_OFF);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_OFF);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.setColor(WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(FONT);
        return g;
    }

    /** Draws {@code s} with its baseline at y, its left edge at x (align 0), centre (1) or right edge (2). */
    static void text(Graphics2D g, String s, int x, int y, int align) {
        int w = g.getFontMetrics().stringWidth(s);
        g.drawString(s, align == 0 ? x : align == 1 ? x - w / 2 : x - w, y);
    }

    /** {@code s}, shortened with "..." so that it is at most {@code maxWidth} pixels wide in the current font. */
    static String fit(Graphics2D g, String s, int maxWidth) {
        FontMetrics fm = g.getFontMetrics();
        if (fm.stringWidth(s) <= maxWidth) return s;
        for (int n = s.length() - 1; n > 0; n--) {
            String t = s.substring(0, n) + "...";
            if (fm.stringWidth(t) <= maxWidth) return t;
        }
        return "";
    }

    /** A step of 1, 2 or 5 times a power of ten, at least {@code raw} (raw > 0). */
    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / p;
        double eps = 1e-9;                                   // 0.2 / 0.1 may be 2.0000000000000004
        double step = m <= 1 + eps ? 1 : m <= 2 + eps ? 2 : m <= 5 + eps ? 5 : 10;
        return step * p;
    }

    /** A tick label for value v on an axis with tick spacing {@code step}: as many decimals as the step needs. */
    /**
     * Horizontal grid lines, ticks and labels of a y axis from lo to hi every step, across the plot
     * from x0 over width pixels; {@code y} maps a value to its pixel row.
     */
    static void yGrid(Graphics2D g, int x0, int width, double lo, double hi, double step, DoubleToIntFunction y) {
        int n = (int) Math.round((hi - lo) / step);
        for (int t = 0; t <= n; t++) {
            double v = lo + t * step;
            int row = y.applyAsInt(v);
            g.setColor(GRID);
            g.drawLine(x0, row, x0 + width, row);
            g.setColor(BLACK);
            g.drawLine(x0 - 5, row, x0, row);
            g.setColor(TEXT);
            text(g, tickLabel(v, step), x0 - 8, row + 5, 2);
        }
    }

    static String tickLabel(double v, double step) {
        double a = Math.max(Math.abs(v), step);
        if (a >= 1e6 || step < 1e-4) return String.format(Locale.ROOT, "%.2e", v);
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
        String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
        return s.matches("-0(\\.0*)?") ? s.substring(1) : s;     // no "-0.0"
    }

    /** Checks a non-null argument. */
    static <T> T nonNull(String where, String name, T v) {
        if (v == null) throw new IllegalArgumentException(where + ": " + name + " must not be null");
        return v;
    }

    /**
     * Writes {@code img} as PNG to {@code png}, creating missing parent directories. The file is
     * replaced atomically ({@link AtomicFiles}): a run killed while drawing, or two study shards
     * redrawing the same chart, never leave a half-written PNG.
     */
    static void writePng(BufferedImage img, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", bytes)) throw new IOException("no PNG writer in javax.imageio");
        AtomicFiles.write(png, bytes.toByteArray());
    }
}
