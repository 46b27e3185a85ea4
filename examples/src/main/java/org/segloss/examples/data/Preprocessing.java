package org.segloss.examples.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.segloss.examples.data.CaseLoader.LoadedCase;
import org.segloss.metrics.SurfaceDistances;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * nnU-Net's default preprocessing (Isensee et al., Nat. Methods 18:203, 2021, "fixed
 * parameters" and "rule-based parameters"), planned once from the training cases and then
 * repeated exactly for every image, in training and in prediction. It is a value: the target
 * spacing, one {@link ChannelNorm} per input channel and the class names, written into a
 * checkpoint's metadata by {@link #toMetadata()} and read back by {@link #fromMetadata(Map)}.
 *
 * <p>{@link #apply(LoadedCase)}, in nnU-Net's order:
 * <ol>
 *   <li><b>crop</b> to the bounding box of the voxels where any channel is non-zero (the whole
 *       volume if none is);</li>
 *   <li><b>normalise</b> each channel ({@link Scheme}): z-score with the case's own mean and sd
 *       over the cropped box (MRI and everything not CT); CT: clip to the 0.5 and 99.5
 *       percentiles of the training set's foreground voxels, then subtract their mean and divide
 *       by their sd; the divisor is {@code max(sd, 1e-8)} as in nnU-Net;</li>
 *   <li><b>resample</b> to the target spacing ({@link Resampling}: images trilinear, labels
 *       linear on one-hot then argmax), grid size {@code round(n · spacing / target)}.</li>
 * </ol>
 * The network then sees volumes smaller than a patch padded ({@link Padding}). The way back for a
 * prediction is {@link #toOriginalGrid(Tensor, Geometry)}: logits resampled to the crop, softmax,
 * placed in the original grid with background outside the crop.
 *
 * <p><b>Plan</b> ({@link #plan}): target spacing = the median of the training cases' spacings,
 * per axis (so 1 × 1 × 3 mm data stays anisotropic), or the one given; CT statistics from the
 * foreground (label &gt; 0) voxels of the training cases, at most {@link #CT_SAMPLES_TOTAL} in all,
 * taken evenly spaced from each case (nnU-Net draws them at random); percentiles as NumPy's
 * default (linear), sd with divisor n.
 */
public final class Preprocessing {
    /** Format version of the metadata keys. */
    public static final int FORMAT = 1;
    /** Prefix of every metadata key written here. */
    public static final String PREFIX = "preprocessing.";
    /** Upper bound on the foreground voxels the CT statistics are computed from (nnU-Net: 10^8). */
    public static final int CT_SAMPLES_TOTAL = 10_000_000;
    /** Lower bound of the z-score divisor (nnU-Net's). */
    public static final double MIN_SD = 1e-8;

    /** How a channel is normalised; chosen from its name in dataset.json by {@link #forChannelName}. */
    public enum Scheme {
        /** Per case: {@code (x − mean) / max(sd, 1e-8)} over the cropped volume. MRI and every other name. */
        ZSCORE,
        /** Clip to the training foreground's [0.5, 99.5] percentiles, then z-score with its mean and sd. Name "CT". */
        CT,
        /** Unchanged. nnU-Net's channel name "noNorm". */
        NONE;

        /** "CT" (any case) → CT, "noNorm" (any case) → NONE, anything else → ZSCORE (as nnU-Net). */
        public static Scheme forChannelName(String name) {
            if (name.trim().equalsIgnoreCase("CT")) return CT;
            if (name.trim().equalsIgnoreCase("noNorm")) return NONE;
            return ZSCORE;
        }

        String key() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * The normalisation of one channel. For {@link Scheme#CT} the clip bounds, mean and sd of the
     * training foreground; NaN for the other schemes (per-case statistics or none).
     */
    public record ChannelNorm(String name, Scheme scheme, double clipLow, double clipHigh, double mean, double sd) {
        public ChannelNorm {
            if (name == null || scheme == null) throw new IllegalArgumentException("ChannelNorm: name and scheme must not be null");
            if (scheme == Scheme.CT && !(Double.isFinite(clipLow) && Double.isFinite(clipHigh) && clipLow <= clipHigh
                    && Double.isFinite(mean) && Double.isFinite(sd) && sd >= 0)) {
                throw new IllegalArgumentException("ChannelNorm " + name + ": CT needs finite clip bounds low <= high, mean and"
                        + " sd >= 0, got clip [" + clipLow + ", " + clipHigh + "], mean " + mean + ", sd " + sd);
            }
        }

        /** A channel normalised with its own statistics (z-score) or not at all. */
        public static ChannelNorm perCase(String name, Scheme scheme) {
            if (scheme == Scheme.CT) throw new IllegalArgumentException("ChannelNorm.perCase: CT needs training statistics");
            return new ChannelNorm(name, scheme, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
    }

    /**
     * Where a preprocessed volume came from, for the way back.
     *
     * @param originalShape  {@code [D, H, W]} of the input file
     * @param cropStart      first voxel of the crop box
     * @param cropShape      size of the crop box
     * @param resampledShape size after resampling (what the network sees before padding)
     */
    public record Geometry(int[] originalShape, int[] cropStart, int[] cropShape, int[] resampledShape) {}

    /** A preprocessed case: image {@code [C, d, h, w]}, labels {@code [d, h, w]} or null, and its geometry. */
    public record Prepared(String id, Tensor image, LabelTensor labels, Geometry geometry) {}

    private final double[] targetSpacing;
    private final List<ChannelNorm> channels;
    private final List<String> classNames;

    /**
     * @param targetSpacing voxel size {@code [D, H, W]} in mm to resample to, each finite and &gt; 0
     * @param channels      one normalisation per input channel
     * @param classNames    the class names, index = label, background first (at least 2)
     */
    public Preprocessing(double[] targetSpacing, List<ChannelNorm> channels, List<String> classNames) {
        if (targetSpacing == null || targetSpacing.length != 3) {
            throw new IllegalArgumentException("Preprocessing: targetSpacing must be 3 values [D, H, W], got "
                    + (targetSpacing == null ? null : Arrays.toString(targetSpacing)));
        }
        for (double s : targetSpacing) {
            if (!(s > 0) || !Double.isFinite(s)) {
                throw new IllegalArgumentException("Preprocessing: targetSpacing must be finite and > 0, got " + Arrays.toString(targetSpacing));
            }
        }
        if (channels == null || channels.isEmpty()) throw new IllegalArgumentException("Preprocessing: need >= 1 channel");
        if (classNames == null || classNames.size() < 2) {
            throw new IllegalArgumentException("Preprocessing: need >= 2 class names (background first), got " + classNames);
        }
        this.targetSpacing = targetSpacing.clone();
        this.channels = List.copyOf(channels);
        this.classNames = List.copyOf(classNames);
    }

    /** Target voxel size {@code [D, H, W]} in mm. */
    public double[] targetSpacing() { return targetSpacing.clone(); }

    public List<ChannelNorm> channels() { return channels; }

    public List<String> classNames() { return classNames; }

    public int classes() { return classNames.size(); }

    // ---- planning -----------------------------------------------------------------------------

    /**
     * Plans from the training cases {@code cases} of {@code folder}, loading (and so checking)
     * each one in turn.
     *
     * @param spacing the target spacing {@code [D, H, W]}, or null for the median of the cases
     */
    public static Preprocessing plan(DatasetFolder folder, List<DatasetFolder.Case> cases, double[] spacing) throws IOException {
        if (cases.isEmpty()) throw new IllegalArgumentException(DatasetFolder.prefix(folder.root()) + "no training case to plan from");
        int nc = folder.channels();
        Scheme[] schemes = new Scheme[nc];
        boolean anyCt = false;
        for (int c = 0; c < nc; c++) {
            schemes[c] = Scheme.forChannelName(folder.channelNames().get(c));
            anyCt |= schemes[c] == Scheme.CT;
        }
        double[][] spacings = new double[cases.size()][];
        int perCase = Math.max(1, CT_SAMPLES_TOTAL / cases.size());
        List<List<float[]>> ctSamples = new ArrayList<>();
        for (int c = 0; c < nc; c++) ctSamples.add(new ArrayList<>());
        for (int i = 0; i < cases.size(); i++) {
            LoadedCase lc = CaseLoader.load(folder, cases.get(i));
            spacings[i] = lc.spacing();
            if (anyCt) {
                for (int c = 0; c < nc; c++) if (schemes[c] == Scheme.CT) ctSamples.get(c).add(foregroundSamples(lc, c, perCase));
            }
        }
        double[] target = spacing != null ? spacing.clone() : medianSpacing(spacings);
        List<ChannelNorm> norms = new ArrayList<>();
        for (int c = 0; c < nc; c++) {
            String name = folder.channelNames().get(c);
            if (schemes[c] != Scheme.CT) {
                norms.add(ChannelNorm.perCase(name, schemes[c]));
                continue;
            }
            int n = 0;
            for (float[] s : ctSamples.get(c)) n += s.length;
            if (n == 0) {
                throw new IllegalArgumentException(DatasetFolder.prefix(folder.root()) + "channel " + c + " (" + name + ") is CT, whose"
                        + " normalisation needs foreground (label > 0) voxels, but the training cases have none");
            }
            double[] all = new double[n];
            int k = 0;
            for (float[] s : ctSamples.get(c)) for (float v : s) all[k++] = v;
            norms.add(ctNorm(name, all));
        }
        return new Preprocessing(target, norms, folder.classNames());
    }

    /** The CT normalisation of foreground intensities {@code values} (sorted in place). */
    public static ChannelNorm ctNorm(String name, double[] values) {
        Arrays.sort(values);
        double sum = 0;
        for (double v : values) sum += v;
        double mean = sum / values.length, ss = 0;
        for (double v : values) ss += (v - mean) * (v - mean);
        double sd = Math.sqrt(ss / values.length);
        return new ChannelNorm(name, Scheme.CT, SurfaceDistances.percentile(values, 0.5), SurfaceDistances.percentile(values, 99.5),
                mean, sd);
    }

    /** Per axis, the median (mean of the two middle values for an even count) of the cases' spacings. */
    public static double[] medianSpacing(double[][] spacings) {
        double[] out = new double[3];
        for (int a = 0; a < 3; a++) {
            double[] v = new double[spacings.length];
            for (int i = 0; i < v.length; i++) v[i] = spacings[i][a];
            Arrays.sort(v);
            int m = v.length / 2;
            out[a] = v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
        }
        return out;
    }

    /** Up to {@code max} foreground voxels of channel {@code c}, evenly spaced in memory order. */
    static float[] foregroundSamples(LoadedCase lc, int c, int max) {
        LabelTensor lab = lc.labels();
        int n = lab.size(), fg = 0;
        for (int i = 0; i < n; i++) if (lab.at(i) > 0) fg++;
        int take = Math.min(fg, max);
        float[] out = new float[take];
        if (take == 0) return out;
        int base = c * n, seen = 0, k = 0;
        for (int i = 0; i < n && k < take; i++) {
            if (lab.at(i) <= 0) continue;
            // the seen-th foreground voxel is taken when it is the first at or past k · fg / take
            if ((long) seen * take >= (long) k * fg) out[k++] = lc.image().at(base + i);
            seen++;
        }
        return out;
    }

    // ---- applying -----------------------------------------------------------------------------

    /** Crop, normalise and resample one case (labels too, when it has them). */
    public Prepared apply(LoadedCase c) {
        if (c.channels() != channels.size()) {
            throw new IllegalArgumentException("case " + c.id() + ": the image has " + c.channels() + " channel(s), the preprocessing"
                    + " (and the model) " + channels.size() + " " + channelNames());
        }
        int[] shape = c.spatialShape();
        int[][] box = nonzeroBox(c.image());
        int[] start = box[0], size = box[1];
        int[] after = {shape[0] - start[0] - size[0], shape[1] - start[1] - size[1], shape[2] - start[2] - size[2]};
        Tensor cropped = c.image().crop(new int[] {0, start[0], start[1], start[2]}, new int[] {0, after[0], after[1], after[2]}).copy();
        Tensor normalised = normalise(cropped);
        int[] target = Resampling.shapeFor(size, c.spacing(), targetSpacing);
        Tensor image = Resampling.resizeImage(normalised, target);
        LabelTensor labels = null;
        if (c.labels() != null) {
            LabelTensor cl = cropLabels(c.labels(), start, size);
            labels = Resampling.resizeLabels(cl, classes(), target);
        }
        return new Prepared(c.id(), image, labels, new Geometry(shape, start, size, target));
    }

    /** The channel names, in order. */
    public List<String> channelNames() { return channels.stream().map(ChannelNorm::name).toList(); }

    /** Normalises {@code image} {@code [C, D, H, W]} channel by channel (a new tensor). */
    public Tensor normalise(Tensor image) {
        int nc = image.dim(0), n = image.size() / nc;
        float[] v = image.toArray();
        for (int c = 0; c < nc; c++) {
            ChannelNorm norm = channels.get(c);
            int base = c * n;
            switch (norm.scheme()) {
                case NONE -> { }
                case ZSCORE -> {
                    double sum = 0;
                    for (int i = 0; i < n; i++) sum += v[base + i];
                    double mean = sum / n, ss = 0;
                    for (int i = 0; i < n; i++) ss += (v[base + i] - mean) * (v[base + i] - mean);
                    double div = Math.max(Math.sqrt(ss / n), MIN_SD);
                    for (int i = 0; i < n; i++) v[base + i] = (float) ((v[base + i] - mean) / div);
                }
                case CT -> {
                    double div = Math.max(norm.sd(), MIN_SD);
                    for (int i = 0; i < n; i++) {
                        double x = Math.min(norm.clipHigh(), Math.max(norm.clipLow(), v[base + i]));
                        v[base + i] = (float) ((x - norm.mean()) / div);
                    }
                }
            }
        }
        return Tensor.wrap(v, image.shape().dims());
    }

    /** {start[3], size[3]} of the voxels where any channel of {@code image} {@code [C, D, H, W]} is non-zero; the whole volume if none. */
    public static int[][] nonzeroBox(Tensor image) {
        int nc = image.dim(0), d = image.dim(1), h = image.dim(2), w = image.dim(3), n = d * h * w;
        int[] lo = {d, h, w}, hi = {-1, -1, -1};
        for (int z = 0, i = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++, i++) {
                    boolean any = false;
                    for (int c = 0; c < nc && !any; c++) any = image.at(c * n + i) != 0;
                    if (!any) continue;
                    lo[0] = Math.min(lo[0], z);
                    lo[1] = Math.min(lo[1], y);
                    lo[2] = Math.min(lo[2], x);
                    hi[0] = Math.max(hi[0], z);
                    hi[1] = Math.max(hi[1], y);
                    hi[2] = Math.max(hi[2], x);
                }
            }
        }
        if (hi[0] < 0) return new int[][] {{0, 0, 0}, {d, h, w}};
        return new int[][] {lo, {hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1}};
    }

    static LabelTensor cropLabels(LabelTensor labels, int[] start, int[] size) {
        int[] dims = labels.shape().dims();
        int[] out = new int[size[0] * size[1] * size[2]];
        for (int z = 0, o = 0; z < size[0]; z++) {
            for (int y = 0; y < size[1]; y++) {
                int src = ((start[0] + z) * dims[1] + start[1] + y) * dims[2] + start[2];
                for (int x = 0; x < size[2]; x++) out[o++] = labels.at(src + x);
            }
        }
        return LabelTensor.of(out, size);
    }

    // ---- the way back -------------------------------------------------------------------------

    /**
     * Class probabilities on the original grid from the network's logits on the preprocessed grid
     * (padding already removed): logits {@code [K, d, h, w]} resampled (trilinear) to the crop box,
     * softmax over K, placed in the original {@code [K, D, H, W]}; outside the crop box the
     * background has probability 1 (nnU-Net's order: resample logits, then softmax).
     */
    public Tensor toOriginalGrid(Tensor logits, Geometry g) {
        int[] rs = g.resampledShape();
        if (logits.rank() != 4 || logits.dim(1) != rs[0] || logits.dim(2) != rs[1] || logits.dim(3) != rs[2]) {
            throw new IllegalArgumentException("Preprocessing.toOriginalGrid: logits must be [K, " + rs[0] + ", " + rs[1] + ", " + rs[2]
                    + "] (the resampled grid), got " + logits.shape());
        }
        int k = logits.dim(0);
        Tensor probs = Resampling.resizeImage(logits, g.cropShape()).softmax(0);
        int[] os = g.originalShape(), cs = g.cropShape(), st = g.cropStart();
        int n = os[0] * os[1] * os[2], cn = cs[0] * cs[1] * cs[2];
        float[] out = new float[k * n];
        Arrays.fill(out, 0, n, 1f);  // background outside the crop
        for (int c = 0; c < k; c++) {
            for (int z = 0; z < cs[0]; z++) {
                for (int y = 0; y < cs[1]; y++) {
                    int dst = c * n + ((st[0] + z) * os[1] + st[1] + y) * os[2] + st[2];
                    int src = c * cn + (z * cs[1] + y) * cs[2];
                    for (int x = 0; x < cs[2]; x++) out[dst + x] = probs.at(src + x);
                }
            }
        }
        return Tensor.wrap(out, k, os[0], os[1], os[2]);
    }

    /**
     * Labels on the preprocessed grid back on the original grid: resampled to the crop box (linear
     * on one-hot, as labels go in) and placed in it, background outside.
     */
    public LabelTensor labelsToOriginalGrid(LabelTensor labels, Geometry g) {
        LabelTensor inBox = Resampling.resizeLabels(labels, classes(), g.cropShape());
        int[] os = g.originalShape(), cs = g.cropShape(), st = g.cropStart();
        int[] out = new int[os[0] * os[1] * os[2]];
        for (int z = 0, src = 0; z < cs[0]; z++) {
            for (int y = 0; y < cs[1]; y++) {
                int dst = ((st[0] + z) * os[1] + st[1] + y) * os[2] + st[2];
                for (int x = 0; x < cs[2]; x++) out[dst + x] = inBox.at(src++);
            }
        }
        return LabelTensor.of(out, os);
    }

    // ---- checkpoint metadata ------------------------------------------------------------------

    /** The string map a checkpoint stores (every key starts with {@link #PREFIX}; doubles exact). */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PREFIX + "format", Integer.toString(FORMAT));
        m.put(PREFIX + "crop", "nonzero");
        m.put(PREFIX + "target_spacing_dhw", Double.toString(targetSpacing[0]) + "," + targetSpacing[1] + "," + targetSpacing[2]);
        m.put(PREFIX + "image_resampling", "linear");
        m.put(PREFIX + "label_resampling", "linear_one_hot_argmax");
        m.put(PREFIX + "channels", Integer.toString(channels.size()));
        for (int c = 0; c < channels.size(); c++) {
            ChannelNorm n = channels.get(c);
            String k = PREFIX + "channel." + c + ".";
            m.put(k + "name", n.name());
            m.put(k + "scheme", n.scheme().key());
            if (n.scheme() == Scheme.CT) {
                m.put(k + "clip_low", Double.toString(n.clipLow()));
                m.put(k + "clip_high", Double.toString(n.clipHigh()));
                m.put(k + "mean", Double.toString(n.mean()));
                m.put(k + "sd", Double.toString(n.sd()));
            }
        }
        m.put(PREFIX + "classes", Integer.toString(classNames.size()));
        for (int c = 0; c < classNames.size(); c++) m.put(PREFIX + "class." + c + ".name", classNames.get(c));
        return m;
    }

    /**
     * Reads what {@link #toMetadata()} wrote (other keys are ignored).
     *
     * @throws IllegalArgumentException naming the key that is missing or malformed
     */
    public static Preprocessing fromMetadata(Map<String, String> m) {
        String format = get(m, "format");
        if (!format.equals(Integer.toString(FORMAT))) {
            throw new IllegalArgumentException("preprocessing metadata: " + PREFIX + "format must be " + FORMAT + ", got " + format);
        }
        expect(m, "crop", "nonzero");
        expect(m, "image_resampling", "linear");
        expect(m, "label_resampling", "linear_one_hot_argmax");
        String[] sp = get(m, "target_spacing_dhw").split(",", -1);
        if (sp.length != 3) throw bad("target_spacing_dhw", String.join(",", sp), "3 numbers d,h,w");
        double[] spacing = new double[3];
        for (int a = 0; a < 3; a++) spacing[a] = number(m, "target_spacing_dhw", sp[a]);
        int nc = count(m, "channels");
        List<ChannelNorm> norms = new ArrayList<>();
        for (int c = 0; c < nc; c++) {
            String k = "channel." + c + ".";
            String name = get(m, k + "name");
            String s = get(m, k + "scheme");
            Scheme scheme = null;
            for (Scheme x : Scheme.values()) if (x.key().equals(s)) scheme = x;
            if (scheme == null) throw bad(k + "scheme", s, "one of zscore, ct, none");
            if (scheme == Scheme.CT) {
                norms.add(new ChannelNorm(name, scheme, number(m, k + "clip_low", get(m, k + "clip_low")),
                        number(m, k + "clip_high", get(m, k + "clip_high")), number(m, k + "mean", get(m, k + "mean")),
                        number(m, k + "sd", get(m, k + "sd"))));
            } else {
                norms.add(ChannelNorm.perCase(name, scheme));
            }
        }
        int k = count(m, "classes");
        List<String> classes = new ArrayList<>();
        for (int c = 0; c < k; c++) classes.add(get(m, "class." + c + ".name"));
        return new Preprocessing(spacing, norms, classes);
    }

    private static String get(Map<String, String> m, String key) {
        String v = m.get(PREFIX + key);
        if (v == null) {
            throw new IllegalArgumentException("preprocessing metadata: " + PREFIX + key + " is missing (a checkpoint of a run with"
                    + " --data DIR stores it; runs on the built-in data sets have none)");
        }
        return v;
    }

    private static void expect(Map<String, String> m, String key, String value) {
        String v = get(m, key);
        if (!v.equals(value)) throw bad(key, v, value + " (the only one this version implements)");
    }

    private static double number(Map<String, String> m, String key, String text) {
        try {
            double d = Double.parseDouble(text.trim());
            if (Double.isFinite(d)) return d;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(key, text, "a finite number");
    }

    private static int count(Map<String, String> m, String key) {
        String v = get(m, key);
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(key, v, "an integer >= 1");
    }

    private static IllegalArgumentException bad(String key, String got, String expected) {
        return new IllegalArgumentException("preprocessing metadata: " + PREFIX + key + " must be " + expected + ", got \"" + got + "\"");
    }

    /**
     * {@code --spacing X,Y,Z} (NIfTI's i, j, k order, mm) as {@code [D, H, W]} = {@code [Z, Y, X]}.
     *
     * @throws IllegalArgumentException unless three finite numbers &gt; 0
     */
    public static double[] parseSpacingXyz(String text) {
        String[] f = text.split(",", -1);
        if (f.length != 3) throw new IllegalArgumentException("--spacing " + text + ": must be three numbers X,Y,Z in mm, e.g. 1,1,3");
        double[] xyz = new double[3];
        for (int a = 0; a < 3; a++) {
            try {
                xyz[a] = Double.parseDouble(f[a].trim());
            } catch (NumberFormatException e) {
                xyz[a] = Double.NaN;
            }
            if (!(xyz[a] > 0) || !Double.isFinite(xyz[a])) {
                throw new IllegalArgumentException("--spacing " + text + ": must be three finite numbers > 0 (X,Y,Z in mm), got \""
                        + f[a] + "\" at position " + (a + 1));
            }
        }
        return new double[] {xyz[2], xyz[1], xyz[0]};
    }

    @Override
    public String toString() {
        return "Preprocessing[target spacing [D, H, W] " + Arrays.toString(targetSpacing) + " mm, channels " + channels + ", classes "
                + classNames + "]";
    }
}
