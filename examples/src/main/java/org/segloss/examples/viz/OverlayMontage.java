package org.segloss.examples.viz;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * One small structure as several predictions see it, side by side: the axial slice (fixed z)
 * where the reference has the most voxels of class {@code cls}
 * ({@link SliceOverlay#busiestSlice(LabelTensor, int, int)}), cropped around that class, one panel
 * for the reference and one per prediction (e.g. per loss of a study).
 *
 * <p>Crop: the bounding box of the class on that slice widened by {@value #PAD} voxels on each
 * side, at least {@value #MIN_CROP} voxels a side (clipped to the slice), drawn at the integer
 * scale that makes its longer side at most {@value #PANEL} pixels (nearest neighbour; pixels square
 * in voxels, not millimetres). Grey: {@link SliceOverlay}'s 1st–99th percentile window of the crop.
 * The class is filled 40 % in its {@link SliceOverlay#classColour} colour; in the prediction panels
 * the reference's outline is drawn in white over it, so misses (white ring, no fill) and false
 * positives (fill outside any ring) show at a glance. A prediction given as {@code null} (a run
 * without one) is a panel without fill; its caption should say why.
 */
public final class OverlayMontage {
    private OverlayMontage() {}

    static {
        Draw.headless();
    }

    static final int PAD = 6, MIN_CROP = 16, PANEL = 192, PER_ROW = 5, MARGIN = 10, TITLE_H = 34, CAPTION_H = 22;

    /** Draws the montage and writes it to {@code png} (see the class comment). */
    public static void write(Path png, String title, Tensor image, LabelTensor truth, int cls, String[] captions, List<LabelTensor> predictions)
            throws IOException {
        Draw.nonNull("OverlayMontage.write", "png", png);
        Draw.writePng(render(title, image, truth, cls, captions, predictions), png);
    }

    /**
     * @param image      {@code [C, D, H, W]} (channel 0 is drawn) or {@code [D, H, W]}
     * @param truth      {@code [D, H, W]}
     * @param cls        the class to show, &ge; 1
     * @param captions   one per prediction
     * @param predictions {@code [D, H, W]} each (or null)
     */
    public static BufferedImage render(String title, Tensor image, LabelTensor truth, int cls, String[] captions, List<LabelTensor> predictions) {
        String w = "OverlayMontage";
        Draw.nonNull(w, "image", image);
        Draw.nonNull(w, "truth", truth);
        Draw.nonNull(w, "captions", captions);
        Draw.nonNull(w, "predictions", predictions);
        if (truth.shape().rank() != 3) throw new IllegalArgumentException(w + ": truth must be [D, H, W], got " + truth.shape());
        int d = truth.shape().dim(0), h = truth.shape().dim(1), wd = truth.shape().dim(2);
        int voxels = d * h * wd;
        if (image.size() % voxels != 0 || image.size() == 0) {
            throw new IllegalArgumentException(w + ": image " + image.shape() + " must be [C, " + d + ", " + h + ", " + wd + "] or [" + d + ", "
                    + h + ", " + wd + "]");
        }
        if (captions.length != predictions.size()) {
            throw new IllegalArgumentException(w + ": need one caption per prediction, got " + captions.length + " captions and "
                    + predictions.size() + " predictions");
        }
        for (LabelTensor p : predictions) {
            if (p != null && !p.shape().equals(truth.shape())) {
                throw new IllegalArgumentException(w + ": predictions must have the truth's shape " + truth.shape() + ", got " + p.shape());
            }
        }
        int z = SliceOverlay.busiestSlice(truth, 0, cls);
        // crop box on the slice
        int y0 = h, y1 = -1, x0 = wd, x1 = -1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < wd; x++) {
                if (truth.at((z * h + y) * wd + x) == cls) {
                    y0 = Math.min(y0, y);
                    y1 = Math.max(y1, y);
                    x0 = Math.min(x0, x);
                    x1 = Math.max(x1, x);
                }
            }
        }
        boolean absent = y1 < 0;
        if (absent) {
            y0 = h / 2;
            y1 = h / 2;
            x0 = wd / 2;
            x1 = wd / 2;
        }
        int[] ys = span(y0 - PAD, y1 + PAD, h), xs = span(x0 - PAD, x1 + PAD, wd);
        int ch = ys[1] - ys[0] + 1, cw = xs[1] - xs[0] + 1;
        int scale = Math.max(1, PANEL / Math.max(ch, cw));
        int pw = cw * scale, ph = ch * scale;
        float[] all = image.toArray();
        float[] grey = new float[ch * cw];
        int[] ref = new int[ch * cw];
        for (int y = 0; y < ch; y++) {
            for (int x = 0; x < cw; x++) {
                int i = (z * h + ys[0] + y) * wd + xs[0] + x;
                grey[y * cw + x] = all[i];
                ref[y * cw + x] = truth.at(i) == cls ? 1 : 0;
            }
        }
        double[] window = SliceOverlay.window(grey);
        int panels = 1 + predictions.size(), cols = Math.min(PER_ROW, panels), rows = (panels + PER_ROW - 1) / PER_ROW;
        int width = Math.max(480, MARGIN + cols * (pw + MARGIN)), height = TITLE_H + rows * (ph + CAPTION_H + MARGIN) + MARGIN;
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Draw.canvas(out);
        Color colour = SliceOverlay.classColour(cls);
        try {
            g.setFont(Draw.TITLE_FONT);
            g.setColor(Draw.TEXT);
            Draw.text(g, Draw.fit(g, title == null ? "" : title, width - 20), width / 2, 24, 1);
            g.setFont(Draw.FONT);
            for (int k = 0; k < panels; k++) {
                int px = MARGIN + (k % PER_ROW) * (pw + MARGIN), py = TITLE_H + (k / PER_ROW) * (ph + CAPTION_H + MARGIN) + CAPTION_H;
                LabelTensor p = k == 0 ? truth : predictions.get(k - 1);
                String caption = k == 0 ? (absent ? "reference: class absent" : "reference (z = " + z + ")") : captions[k - 1];
                g.setColor(Draw.TEXT);
                Draw.text(g, Draw.fit(g, caption, pw), px + pw / 2, py - 6, 1);
                for (int y = 0; y < ph; y++) {
                    for (int x = 0; x < pw; x++) {
                        int vy = y / scale, vx = x / scale, vi = vy * cw + vx;
                        int gv = SliceOverlay.grey(grey[vi], window);
                        int rgb = (gv << 16) | (gv << 8) | gv;
                        boolean in = p != null && p.at((z * h + ys[0] + vy) * wd + xs[0] + vx) == cls;
                        if (in) rgb = SliceOverlay.blend(gv, colour);
                        if (k > 0 && ref[vi] == 1 && edge(ref, cw, ch, x, y, scale)) rgb = 0xFFFFFF;
                        if (k == 0 && ref[vi] == 1 && edge(ref, cw, ch, x, y, scale)) rgb = colour.getRGB() & 0xFFFFFF;
                        out.setRGB(px + x, py + (ph - 1 - y), rgb);       // y upwards, as SliceOverlay's axial slice
                    }
                }
                g.setColor(Draw.BLACK);
                g.drawRect(px - 1, py - 1, pw + 1, ph + 1);
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    /** [lo, hi] widened to at least MIN_CROP voxels and clipped to [0, n). */
    static int[] span(int lo, int hi, int n) {
        lo = Math.max(0, lo);
        hi = Math.min(n - 1, hi);
        while (hi - lo + 1 < MIN_CROP && (lo > 0 || hi < n - 1)) {
            if (lo > 0) lo--;
            if (hi - lo + 1 < MIN_CROP && hi < n - 1) hi++;
        }
        return new int[] {Math.max(0, lo), Math.min(n - 1, hi)};
    }

    /** Whether pixel (x, y) lies on the outline (1 pixel wide) of the reference region. */
    static boolean edge(int[] ref, int cw, int ch, int x, int y, int scale) {
        int pw = cw * scale, ph = ch * scale;
        int[][] nb = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
        for (int[] q : nb) {
            if (q[0] < 0 || q[0] >= pw || q[1] < 0 || q[1] >= ph) return true;
            if (ref[(q[1] / scale) * cw + q[0] / scale] == 0) return true;
        }
        return false;
    }
}
