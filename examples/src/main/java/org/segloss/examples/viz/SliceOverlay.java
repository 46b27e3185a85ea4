package org.segloss.examples.viz;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.segloss.examples.unet.LabeledVolume;
import org.segloss.metrics.SurfaceDistances;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Two slices of a volume with its ground truth and a prediction drawn over the image, as one PNG:
 * to see what a segmentation gets right and wrong where a Dice number only says how much.
 *
 * <p>Grid: the rows are an <b>axial</b> slice (fixed z; the y x x plane, y upwards) and a
 * <b>coronal</b> slice (fixed y; the z x x plane, z upwards); index 0 is at the bottom left, as
 * matplotlib's {@code origin="lower"} shows a slice. Volumes read from NIfTI keep the file's
 * index order, which for RAS-oriented images (MNI templates) puts anterior (axial) and superior
 * (coronal) at the top, the usual way to look at a brain. The columns are the image (channel 0, grey), the ground truth
 * over the image and the prediction over the image. A legend of the classes 1 .. K-1 is at the
 * bottom; class 0 is the background and is not drawn.
 *
 * <p>Overlay: every pixel of class c &ge; 1 is a 40 % blend of the class colour over the grey
 * ({@code round(0.6 grey + 0.4 colour)} per channel), and the 1-pixel outline of each class
 * region (a pixel whose left, right, upper or lower neighbour in the panel has another label) is
 * the full class colour, so that a lesion of one voxel is still a visible ring. Class c gets
 * Okabe–Ito colour c - 1 (orange, sky blue, bluish green, yellow, blue, vermillion, reddish
 * purple, then repeating), as the Dice series c - 1 in {@link TrainingCurves}.
 *
 * <p>Slices: given by the caller, or {@link #busiestSlice(LabelTensor, int)}: the slice with the
 * most foreground (label &ne; 0) voxels in the ground truth, the lowest index on a tie and the
 * middle slice if the truth has no foreground. That slice shows the large classes; to show a
 * small one (lesions), pass the slices of {@link #busiestSlice(LabelTensor, int, int)} for it.
 *
 * <p>Scale: pixels are square in millimetres. With spacing {@code [sz, sy, sx]} (mm) and
 * {@code s = min(sz, sy, sx)}, a voxel spans {@code f * s_a / s} pixels along axis a, where the
 * integer {@code f >= 1} is the smallest that makes the longest panel side at least
 * {@value #MIN_SIDE} pixels (a 32^3 volume at 1 mm is drawn 8 pixels per voxel, 256 x 256 per
 * panel). If that longest side would exceed {@value #MAX_SIDE} pixels, the panels are shrunk to
 * {@value #MAX_SIDE} instead. Resampling is nearest neighbour (pixel centre to voxel).
 *
 * <p>Intensity: one window for all six panels, from the 1st to the 99th percentile of the
 * channel-0 values of the two shown slices (linear interpolation between ranks), mapped to grey
 * 0 .. 255 and clipped outside; a flat window shows its values as grey 128. Percentiles, not
 * min/max, so that a few extreme voxels do not wash the picture out.
 *
 * <p>Shapes: image [C, D, H, W] (finite), truth and prediction [D, H, W] with labels in
 * [0, K) for K = {@code classNames.length}, spacing of length 3, all positive and finite.
 */
public final class SliceOverlay {
    private SliceOverlay() {}

    static {
        Draw.headless();
    }

    /** The longest panel side is scaled up to at least this many pixels. */
    public static final int MIN_SIDE = 256;
    /** ... and down to at most this many. */
    public static final int MAX_SIDE = 1024;
    /** Overlay fill opacity. */
    public static final double FILL_ALPHA = 0.4;

    static final int MARGIN = 10, TITLE_H = 30, HEADER_H = 22, CAPTION_H = 20, GAP = 8, MIN_WIDTH = 480;
    static final int LEGEND_SLOT = 160, LEGEND_ROW = 22;
    static final String[] COLUMNS = {"image", "ground truth", "prediction"};

    /** As {@link #write(Path, String, Tensor, LabelTensor, LabelTensor, String[], double[], int, int)} for a {@link LabeledVolume}, with slices chosen by {@link #busiestSlice}. */
    public static void write(Path png, String title, LabeledVolume truth, LabelTensor prediction, String[] classNames, double[] spacing)
            throws IOException {
        Draw.nonNull("SliceOverlay.write", "truth", truth);
        write(png, title, truth.image(), truth.labels(), prediction, classNames, spacing);
    }

    /** As {@link #write(Path, String, Tensor, LabelTensor, LabelTensor, String[], double[], int, int)} with slices chosen by {@link #busiestSlice}. */
    public static void write(Path png, String title, Tensor image, LabelTensor truth, LabelTensor prediction, String[] classNames,
                             double[] spacing) throws IOException {
        Draw.nonNull("SliceOverlay.write", "truth", truth);
        write(png, title, image, truth, prediction, classNames, spacing, busiestSlice(truth, 0), busiestSlice(truth, 1));
    }

    /**
     * Draws the overlay grid and writes it to {@code png} (parent directories are created).
     *
     * @param png        the output file
     * @param title      the title on top
     * @param image      [C, D, H, W], finite; channel 0 is shown
     * @param truth      [D, H, W], labels in [0, K)
     * @param prediction [D, H, W], labels in [0, K)
     * @param classNames K names, class 0 (background) first
     * @param spacing    voxel size [sz, sy, sx] in mm, positive
     * @param axialZ     the z of the axial slice, in [0, D)
     * @param coronalY   the y of the coronal slice, in [0, H)
     * @throws IllegalArgumentException on a null argument, a wrong rank, mismatched shapes, a label
     *         outside [0, K), a non-finite image value, a bad spacing or a slice out of range
     */
    public static void write(Path png, String title, Tensor image, LabelTensor truth, LabelTensor prediction, String[] classNames,
                             double[] spacing, int axialZ, int coronalY) throws IOException {
        Draw.nonNull("SliceOverlay.write", "png", png);
        Draw.writePng(render(title, image, truth, prediction, classNames, spacing, axialZ, coronalY), png);
    }

    /** The picture {@link #write(Path, String, Tensor, LabelTensor, LabelTensor, String[], double[], int, int) write} saves. */
    public static BufferedImage render(String title, Tensor image, LabelTensor truth, LabelTensor prediction, String[] classNames,
                                       double[] spacing, int axialZ, int coronalY) {
        check(title, image, truth, prediction, classNames, spacing, axialZ, coronalY);
        int d = truth.shape().dim(0), h = truth.shape().dim(1), w = truth.shape().dim(2);
        Layout L = Layout.of(d, h, w, spacing, classNames.length);

        // the two planes: [rows][cols] of channel-0 values and labels
        float[][] img = {plane(image, 0, axialZ, d, h, w), plane(image, 1, coronalY, d, h, w)};
        int[][][] lab = {
            {planeLabels(truth, 0, axialZ, d, h, w), planeLabels(truth, 1, coronalY, d, h, w)},
            {planeLabels(prediction, 0, axialZ, d, h, w), planeLabels(prediction, 1, coronalY, d, h, w)},
        };
        double[] window = window(img[0], img[1]);

        BufferedImage out = new BufferedImage(L.width, L.height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Draw.canvas(out);
        try {
            g.setFont(Draw.TITLE_FONT);
            g.setColor(Draw.TEXT);
            Draw.text(g, Draw.fit(g, title, L.width - 2 * MARGIN), L.width / 2, MARGIN + 18, 1);
            g.setFont(Draw.FONT);
            for (int c = 0; c < 3; c++) Draw.text(g, COLUMNS[c], L.panelX(c) + L.panelW / 2, MARGIN + TITLE_H + 15, 1);
            String[] captions = {
                String.format(Locale.ROOT, "axial z = %d / %d (y up, x right)", axialZ, d),
                String.format(Locale.ROOT, "coronal y = %d / %d (z up, x right)", coronalY, h),
            };
            for (int r = 0; r < 2; r++) {
                g.setColor(Draw.TEXT);
                Draw.text(g, Draw.fit(g, captions[r], L.width - 2 * MARGIN), MARGIN, L.rowY(r) - 6, 0);
                int rows = r == 0 ? h : d;
                int[] grey = greyPanel(img[r], rows, w, L, r, window);
                paint(out, L.panelX(0), L.rowY(r), L.panelW, L.panelH[r], grey, null);
                for (int c = 1; c < 3; c++) {
                    int[] labels = resample(lab[c - 1][r], rows, w, L, r);
                    paint(out, L.panelX(c), L.rowY(r), L.panelW, L.panelH[r], grey, labels);
                }
            }
            // legend: classes 1 .. K-1 in fixed slots
            for (int k = 1; k < classNames.length; k++) {
                int slot = k - 1, x = MARGIN + (slot % L.legendPerRow) * LEGEND_SLOT;
                int y = L.legendY + (slot / L.legendPerRow) * LEGEND_ROW;
                g.setColor(classColour(k));
                g.fillRect(x, y + 3, 14, 14);
                g.setColor(Draw.BLACK);
                g.drawRect(x, y + 3, 14, 14);
                g.setColor(Draw.TEXT);
                g.drawString(Draw.fit(g, classNames[k], LEGEND_SLOT - 28), x + 20, y + 15);
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    /** Class c's colour (c &ge; 1): Okabe–Ito colour c - 1. */
    public static Color classColour(int c) {
        if (c < 1) throw new IllegalArgumentException("SliceOverlay.classColour: class must be >= 1 (0 is the undrawn background), got " + c);
        return Draw.colour(c - 1);
    }

    /**
     * The slice along {@code axis} (0 = z, the axial slice; 1 = y, the coronal slice; 2 = x) with
     * the most voxels of label &ne; 0 in {@code labels} [D, H, W]; the lowest such index on a tie;
     * the middle slice ({@code dim / 2}) if there is no foreground at all.
     */
    public static int busiestSlice(LabelTensor labels, int axis) { return busiest(labels, axis, -1); }

    /**
     * As {@link #busiestSlice(LabelTensor, int)}, counting only the voxels of class {@code cls}
     * (to show a small class, e.g. the lesions, which the busiest foreground slice may miss).
     */
    public static int busiestSlice(LabelTensor labels, int axis, int cls) {
        if (cls < 1) throw new IllegalArgumentException("SliceOverlay.busiestSlice: cls must be a foreground class (>= 1), got " + cls);
        return busiest(labels, axis, cls);
    }

    /** cls = -1: any label != 0. */
    private static int busiest(LabelTensor labels, int axis, int cls) {
        Draw.nonNull("SliceOverlay.busiestSlice", "labels", labels);
        if (labels.shape().rank() != 3) {
            throw new IllegalArgumentException("SliceOverlay.busiestSlice: labels must have rank 3 [D, H, W], got " + labels.shape());
        }
        if (axis < 0 || axis > 2) throw new IllegalArgumentException("SliceOverlay.busiestSlice: axis must be 0, 1 or 2, got " + axis);
        int d = labels.shape().dim(0), h = labels.shape().dim(1), w = labels.shape().dim(2);
        long[] count = new long[labels.shape().dim(axis)];
        for (int z = 0, i = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++, i++) {
                    int c = labels.at(i);
                    if (cls < 0 ? c != 0 : c == cls) count[axis == 0 ? z : axis == 1 ? y : x]++;
                }
            }
        }
        int best = -1;
        for (int s = 0; s < count.length; s++) if (count[s] > 0 && (best < 0 || count[s] > count[best])) best = s;
        return best < 0 ? count.length / 2 : best;
    }

    // ---- checks -----------------------------------------------------------------------------------

    static void check(String title, Tensor image, LabelTensor truth, LabelTensor prediction, String[] classNames, double[] spacing,
                      int axialZ, int coronalY) {
        String w = "SliceOverlay";
        Draw.nonNull(w, "title", title);
        Draw.nonNull(w, "image", image);
        Draw.nonNull(w, "truth", truth);
        Draw.nonNull(w, "prediction", prediction);
        Draw.nonNull(w, "classNames", classNames);
        Draw.nonNull(w, "spacing", spacing);
        if (image.rank() != 4) throw new IllegalArgumentException(w + ": image must have rank 4 [C, D, H, W], got " + image.shape());
        if (truth.shape().rank() != 3) throw new IllegalArgumentException(w + ": truth must have rank 3 [D, H, W], got " + truth.shape());
        for (int a = 0; a < 3; a++) {
            if (image.dim(a + 1) != truth.shape().dim(a)) {
                throw new IllegalArgumentException(w + ": image [C, D, H, W] and truth [D, H, W] must have the same spatial sizes, got image "
                        + image.shape() + " and truth " + truth.shape());
            }
        }
        if (!prediction.shape().equals(truth.shape())) {
            throw new IllegalArgumentException(w + ": prediction must have the shape of truth " + truth.shape() + ", got " + prediction.shape());
        }
        if (classNames.length < 1) throw new IllegalArgumentException(w + ": classNames must name at least the background, got 0 names");
        for (int k = 0; k < classNames.length; k++) {
            if (classNames[k] == null) throw new IllegalArgumentException(w + ": classNames[" + k + "] must not be null");
        }
        checkLabels(w, "truth", truth, classNames.length);
        checkLabels(w, "prediction", prediction, classNames.length);
        if (spacing.length != 3) throw new IllegalArgumentException(w + ": spacing must be [sz, sy, sx] (3 values), got " + spacing.length + " values");
        for (int a = 0; a < 3; a++) {
            if (!(spacing[a] > 0) || !Double.isFinite(spacing[a])) {
                throw new IllegalArgumentException(w + ": spacing must be positive and finite, got " + Arrays.toString(spacing));
            }
        }
        int d = truth.shape().dim(0), h = truth.shape().dim(1);
        if (axialZ < 0 || axialZ >= d) throw new IllegalArgumentException(w + ": axialZ must be in [0, " + d + "), got " + axialZ);
        if (coronalY < 0 || coronalY >= h) throw new IllegalArgumentException(w + ": coronalY must be in [0, " + h + "), got " + coronalY);
        int hw = h * truth.shape().dim(2), n = d * hw;
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(image.at(i))) {
                throw new IllegalArgumentException(w + ": image channel 0 must be finite, got " + image.at(i) + " at [0, " + (i / hw) + ", "
                        + (i % hw) / truth.shape().dim(2) + ", " + (i % truth.shape().dim(2)) + "]");
            }
        }
    }

    static void checkLabels(String w, String name, LabelTensor t, int classes) {
        for (int i = 0, n = t.size(); i < n; i++) {
            int c = t.at(i);
            if (c < 0 || c >= classes) {
                throw new IllegalArgumentException(w + ": " + name + " labels must be in [0, " + classes + ") (one per class name), got "
                        + c + " at flat index " + i);
            }
        }
    }

    // ---- geometry -----------------------------------------------------------------------------------

    /**
     * Where everything goes: {@code ppv[a]} pixels per voxel along axis a (0 = z, 1 = y, 2 = x),
     * panel sizes, row and column origins, the legend's place, and the image size.
     */
    record Layout(double[] ppv, int panelW, int[] panelH, int width, int height, int[] rowY, int legendY, int legendPerRow, int[] planeRows) {
        static Layout of(int d, int h, int w, double[] spacing, int classes) {
            double s = Math.min(spacing[0], Math.min(spacing[1], spacing[2]));
            double longestMm = Math.max(d * spacing[0], Math.max(h * spacing[1], w * spacing[2]));
            double longestVox = longestMm / s;                       // longest side at 1 pixel per s mm
            int f = Math.max(1, (int) Math.ceil(MIN_SIDE / longestVox - 1e-9));
            double pixelsPerMm = longestVox * f > MAX_SIDE ? MAX_SIDE / longestMm : f / s;
            double[] ppv = new double[3];
            for (int a = 0; a < 3; a++) ppv[a] = longestVox * f > MAX_SIDE ? spacing[a] * pixelsPerMm : f * (spacing[a] / s);
            int panelW = Math.max(1, (int) Math.round(w * ppv[2]));
            int[] panelH = {Math.max(1, (int) Math.round(h * ppv[1])), Math.max(1, (int) Math.round(d * ppv[0]))};
            int width = Math.max(MIN_WIDTH, 2 * MARGIN + 3 * panelW + 2 * GAP);
            int y = MARGIN + TITLE_H + HEADER_H;
            int[] rowY = new int[2];
            for (int r = 0; r < 2; r++) {
                rowY[r] = y + CAPTION_H;
                y = rowY[r] + panelH[r] + GAP;
            }
            int perRow = Math.max(1, (width - 2 * MARGIN) / LEGEND_SLOT);
            int legendRows = (Math.max(0, classes - 1) + perRow - 1) / perRow;
            int legendY = y;
            int height = legendY + legendRows * LEGEND_ROW + MARGIN;
            return new Layout(ppv, panelW, panelH, width, height, rowY, legendY, perRow, new int[] {h, d});
        }

        int panelX(int column) { return MARGIN + column * (panelW + GAP); }

        int rowY(int row) { return rowY[row]; }

        /** The pixel (x, y) in the image of the centre of in-plane voxel (i = row index, j = column index) in panel (row, column). */
        int[] pixelOf(int row, int column, int i, int j) {
            double pr = ppv[row == 0 ? 1 : 0];
            int shown = planeRows[row] - 1 - i;   // index 0 at the bottom
            return new int[] {panelX(column) + (int) Math.floor((j + 0.5) * ppv[2]), rowY(row) + (int) Math.floor((shown + 0.5) * pr)};
        }
    }

    // ---- pixels ---------------------------------------------------------------------------------------

    /**
     * Channel-0 values of the axial (orientation 0: [H][W] at z = index) or coronal (1: [D][W] at
     * y = index) plane, row-major in display order: display row 0 (the top) is the highest index.
     */
    static float[] plane(Tensor image, int orientation, int index, int d, int h, int w) {
        int rows = orientation == 0 ? h : d;
        float[] p = new float[rows * w];
        for (int r = 0; r < rows; r++) {
            int src = rows - 1 - r;
            int base = orientation == 0 ? (index * h + src) * w : (src * h + index) * w;
            for (int x = 0; x < w; x++) p[r * w + x] = image.at(base + x);
        }
        return p;
    }

    /** The labels of the plane, in the display order of {@link #plane}. */
    static int[] planeLabels(LabelTensor labels, int orientation, int index, int d, int h, int w) {
        int rows = orientation == 0 ? h : d;
        int[] p = new int[rows * w];
        for (int r = 0; r < rows; r++) {
            int src = rows - 1 - r;
            int base = orientation == 0 ? (index * h + src) * w : (src * h + index) * w;
            for (int x = 0; x < w; x++) p[r * w + x] = labels.at(base + x);
        }
        return p;
    }

    /** [lo, hi]: the 1st and 99th percentiles of the pooled values (NumPy's linear rule, {@link SurfaceDistances#percentile}). */
    static double[] window(float[]... planes) {
        int n = 0;
        for (float[] p : planes) n += p.length;
        double[] all = new double[n];
        int k = 0;
        for (float[] p : planes) for (float v : p) all[k++] = v;
        Arrays.sort(all);
        return new double[] {SurfaceDistances.percentile(all, 1), SurfaceDistances.percentile(all, 99)};
    }

    static int grey(double v, double[] window) {
        double lo = window[0], hi = window[1];
        if (!(hi > lo)) return v < lo ? 0 : v > hi ? 255 : 128;
        return (int) Math.max(0, Math.min(255, Math.round(255 * (v - lo) / (hi - lo))));
    }

    /** Nearest-neighbour index of the voxel under pixel p when a voxel spans {@code ppv} pixels. */
    static int voxel(int p, double ppv, int n) { return Math.min(n - 1, (int) Math.floor((p + 0.5) / ppv)); }

    /** The grey panel (row-major, panelW x panelH[row]). */
    static int[] greyPanel(float[] plane, int rows, int w, Layout L, int row, double[] window) {
        int ph = L.panelH[row], pw = L.panelW;
        double pr = L.ppv[row == 0 ? 1 : 0];
        int[] out = new int[ph * pw];
        for (int y = 0; y < ph; y++) {
            int i = voxel(y, pr, rows);
            for (int x = 0; x < pw; x++) out[y * pw + x] = grey(plane[i * w + voxel(x, L.ppv[2], w)], window);
        }
        return out;
    }

    /** The labels resampled to the panel (row-major, panelW x panelH[row]). */
    static int[] resample(int[] plane, int rows, int w, Layout L, int row) {
        int ph = L.panelH[row], pw = L.panelW;
        double pr = L.ppv[row == 0 ? 1 : 0];
        int[] out = new int[ph * pw];
        for (int y = 0; y < ph; y++) {
            int i = voxel(y, pr, rows);
            for (int x = 0; x < pw; x++) out[y * pw + x] = plane[i * w + voxel(x, L.ppv[2], w)];
        }
        return out;
    }

    /** 40 % fill over the grey and a full-colour 1-pixel outline for labels != 0; plain grey without labels. */
    static void paint(BufferedImage out, int x0, int y0, int pw, int ph, int[] grey, int[] labels) {
        for (int y = 0; y < ph; y++) {
            for (int x = 0; x < pw; x++) {
                int gv = grey[y * pw + x];
                int rgb = (gv << 16) | (gv << 8) | gv;
                int c = labels == null ? 0 : labels[y * pw + x];
                if (c != 0) {
                    Color col = classColour(c);
                    boolean edge = (x > 0 && labels[y * pw + x - 1] != c) || (x + 1 < pw && labels[y * pw + x + 1] != c)
                            || (y > 0 && labels[(y - 1) * pw + x] != c) || (y + 1 < ph && labels[(y + 1) * pw + x] != c);
                    rgb = edge ? col.getRGB() & 0xFFFFFF : blend(gv, col);
                }
                out.setRGB(x0 + x, y0 + y, rgb);
            }
        }
    }

    /** round(0.6 grey + 0.4 colour) per channel, as 0xRRGGBB. */
    static int blend(int grey, Color c) {
        int r = (int) Math.round((1 - FILL_ALPHA) * grey + FILL_ALPHA * c.getRed());
        int g = (int) Math.round((1 - FILL_ALPHA) * grey + FILL_ALPHA * c.getGreen());
        int b = (int) Math.round((1 - FILL_ALPHA) * grey + FILL_ALPHA * c.getBlue());
        return (r << 16) | (g << 8) | b;
    }
}
