package org.segloss.examples.unet;

import java.util.SplittableRandom;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Built-in synthetic 3-D phantoms, the embedded default data set (no download): seeded volumes
 * with a large organ, a medium structure inside it and tiny bright lesions, so that the class
 * imbalance, not the contrast, is the difficulty.
 *
 * <p>Geometry (in voxels, for a cube of side N):
 * <ul>
 * <li><b>organ</b> (label 1): an ellipsoid of about 28 % of the volume (geometric-mean semi-axis 0.415 N,
 *     axis ratios in [0.9, 1.1]) near the centre, its surface deformed by ±8 % with smooth
 *     random sinusoids (it may touch the borders and is then cut, as organs in a crop are);</li>
 * <li><b>structure</b> (label 2): an ellipsoid of 1/11 of the organ's voxels (so structure : rest
 *     of the organ ≈ 100 : 1000), placed inside the organ off its centre;</li>
 * <li><b>lesions</b> (label 3): k = clamp(round(T / 50), 2, 8) balls inside the organ and outside
 *     the structure, of equal radius r = (3T / 4πk)^(1/3), where T = organ voxels / 1000 (at
 *     N = 64: two balls of radius about 2.1 voxels).</li>
 * </ul>
 * Labels are painted in this order, later ones over earlier ones.
 *
 * <p>Intensity: class means background 0.2, organ 0.6, structure 0.8, lesion 1.1; times a smooth
 * multiplicative bias field 1 + 0.15 b (b in [-1, 1], the mean of three sinusoids along the axes
 * with random frequency 1-2 periods per volume and phase); plus Gaussian noise σ = 0.12
 * (additive, per voxel); then normalised to mean 0 and standard deviation 1 over the volume.
 * Neighbouring classes overlap (0.2 apart at σ 0.12 and a bias up to ±0.09 on the organ), but
 * differ in mean: after normalisation (seed 3, N = 64) the class means are -0.56, 1.19, 2.04,
 * 3.25 with standard deviations 0.52-0.54, so organ and structure are 1.6 sd apart.
 *
 * <p>Measured class ratios (voxel counts; {@code PhantomsTest.classRatios} checks the bands
 * 0.09-0.11, 0.0006-0.0016 and 0.25-0.31 at N = 64, 48, 32): at N = 64, seeds 0-19, structure /
 * organ 0.0999-0.1006 and lesions / organ 0.00095-0.00118 (two lesions of 69-83 voxels in all),
 * i.e. organ : structure : lesions = 1000 : 100 : 0.95-1.2; the organ takes 27-28 % of the
 * volume (e.g. seed 0: background 182740, organ 72096, structure 7228, lesions 80). At N = 32 the
 * lesion ratio spreads more (0.00087-0.00148: balls of radius about 1 voxel). Generating a 64^3
 * volume takes about 7 ms once the JIT has warmed up (about 20 ms cold).
 *
 * <p>{@link Preset#HARD} ({@code --data phantom-hard}) keeps the organ, the structure and the bias
 * field, lowers the noise to σ = 0.05 and replaces the lesions by a cluster of smaller ones of
 * varied size and lower contrast (see there), so that the default training budget no longer
 * saturates the lesion Dice (Dice + CE: 0.598 instead of 0.945). {@link #generate(long, int)} is the default
 * preset, bit for bit as before the presets existed ({@code PhantomsTest.defaultPresetUnchanged}).
 */
public final class Phantoms {
    private Phantoms() {}

    public static final int BACKGROUND = 0, ORGAN = 1, STRUCTURE = 2, LESION = 3;
    /** Number of classes including the background. */
    public static final int CLASSES = 4;
    /** Class names by label. */
    static final String[] CLASS_NAMES = {"background", "organ", "structure", "lesion"};
    /** Smallest and largest supported side. */
    public static final int MIN_SIZE = 16, MAX_SIZE = 512;

    static final float[] MEAN = {0.2f, 0.6f, 0.8f, 1.1f};
    static final float NOISE_SIGMA = 0.12f, BIAS_AMPLITUDE = 0.15f;
    /** phantom-hard: whole-volume voxels per lesion voxel (N³ / 8,000 lesion voxels), size ratio up to 8, cluster reach 0.1 N. */
    static final double HARD_VOLUME_PER_LESION_VOXEL = 8_000, HARD_SIZE_SPREAD = 8, HARD_CLUSTER_REACH = 0.1;

    /** A phantom of side {@code size}: image [1, size, size, size], labels [size, size, size]. */
    public static LabeledVolume generate(long seed, int size) {
        return generate(seed, size, Preset.DEFAULT);
    }

    /**
     * The two phantom presets. Both share the organ, the structure, the bias field and the noise;
     * they differ in the lesions.
     */
    public enum Preset {
        /** The lesions of the class comment: organ : lesions ≈ 1000 : 1, contrast 0.5 above the organ. */
        DEFAULT("phantom", MEAN, NOISE_SIGMA),
        /**
         * {@code phantom-hard}, where losses can be told apart: lesions of about 1 : 8,000 of the
         * whole volume (T = N³ / 8,000 voxels in all, 33 at N = 64; voxelised 1 : 7,100 to
         * 1 : 8,800 at N = 64, seeds 0-7), k = clamp(round(T / 11), 3, 10) balls (3 at N = 64, 10 at
         * N = 96) of varied size (volumes T w_i / Σw, w_i = 8^u, u uniform in [0, 1]: up to 8 times
         * apart; at N = 64, seeds 0-7, 2-8 voxels for the smallest, 13-21 for the largest), each at
         * least one voxel, placed as a cluster (centres within ±0.1 N of a common point of the organ,
         * anywhere in the organ if the cluster is full), outside the structure. Lower contrast: lesion
         * mean 1.0, 0.4 above the organ instead of 0.5; but less noise, σ = 0.05 instead of 0.12
         * (for every class), so the lesion contrast-to-noise ratio is 8 instead of 4.2: what makes
         * these lesions hard is their size and rarity, not their faintness.
         *
         * <p>Why so: with σ = 0.12 the default budget did not learn the lesions at all (lesion Dice
         * 0.000 with 26 lesion voxels, mean 0.85, 4 lesions; 0.000 with mean 1.05 or 1.1, 3 lesions
         * up to 8 times apart, N³ / 8,500 and N³ / 8,000; 0.061 with the cluster and σ = 0.08). The
         * cluster puts all lesions of a volume into the patches centred on one of them, so that
         * the lesion class gets enough cross-entropy gradient in 1,000 steps.
         *
         * <p>Measured (2026-12-06, on a 2-core machine shared with other jobs; deterministic, only
         * the time depends on the load: 114 s and 258 s in two runs), {@code segloss train --data phantom-hard
         * --no-progress} at the default budget (64³, 4 + 2 volumes, 10 epochs × 100 steps, Dice + CE,
         * seed 2026): Dice organ 0.898, structure 0.963, lesion <b>0.598</b> (IoU 0.505, HD95
         * 2.89 mm); the lesion Dice is 0.000 up to epoch 6, then 0.215, 0.540, 0.636, 0.598. The
         * onset is sensitive to the lesion share: N³ / 9,000 gave 0.152 and N³ / 10,000 gave 0.297
         * at epoch 10 (learning started at epoch 9 and 8).
         */
        HARD("phantom-hard", new float[] {0.2f, 0.6f, 0.8f, 1.0f}, 0.05f);

        private final String dataName;
        private final float[] means;
        private final float noiseSigma;

        Preset(String dataName, float[] means, float noiseSigma) {
            this.dataName = dataName;
            this.means = means;
            this.noiseSigma = noiseSigma;
        }

        /** The {@code --data} name of the preset. */
        public String dataName() { return dataName; }

        /** The class mean intensities before bias, noise and normalisation, background first. */
        public float[] means() { return means.clone(); }

        /** The standard deviation of the additive Gaussian noise, before normalisation. */
        public float noiseSigma() { return noiseSigma; }
    }

    /** A phantom of side {@code size} with the lesions of {@code preset}. */
    public static LabeledVolume generate(long seed, int size, Preset preset) {
        if (preset == null) throw new IllegalArgumentException("Phantoms.generate: preset must not be null");
        if (size < MIN_SIZE || size > MAX_SIZE) {
            throw new IllegalArgumentException("Phantoms.generate: size must be in [" + MIN_SIZE + ", " + MAX_SIZE + "], got " + size);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = size, v = n * n * n;
        int[] lab = new int[v];

        // organ: deformed ellipsoid
        double base = 0.415 * n;
        double[] c = new double[3], a = new double[3];
        for (int k = 0; k < 3; k++) {
            c[k] = n / 2.0 + (rnd.nextDouble() - 0.5) * 0.06 * n;
            a[k] = base * (0.9 + 0.2 * rnd.nextDouble());
        }
        double norm = Math.cbrt(base * base * base / (a[0] * a[1] * a[2]));   // keep the volume at base^3
        for (int k = 0; k < 3; k++) a[k] *= norm;
        double[][] wave = new double[3][];
        for (int k = 0; k < 3; k++) wave[k] = sinusoid(rnd, n, 1.0, 2.5);
        long organ = 0;
        for (int z = 0; z < n; z++) {
            double dz = (z + 0.5 - c[0]) / a[0];
            for (int y = 0; y < n; y++) {
                double dy = (y + 0.5 - c[1]) / a[1];
                for (int x = 0; x < n; x++) {
                    double dx = (x + 0.5 - c[2]) / a[2];
                    double r = 1 + 0.08 * (wave[0][z] * wave[1][y] + wave[2][x]) / 2;
                    if (dz * dz + dy * dy + dx * dx < r * r) {
                        lab[(z * n + y) * n + x] = ORGAN;
                        organ++;
                    }
                }
            }
        }

        // structure: an ellipsoid of organ/11 voxels inside the organ, off centre
        double sv = organ / 11.0, sr = Math.cbrt(3 * sv / (4 * Math.PI));
        double[] sa = new double[3], sc = new double[3];
        for (int k = 0; k < 3; k++) sa[k] = sr * (0.8 + 0.4 * rnd.nextDouble());
        double sn = Math.cbrt(sr * sr * sr / (sa[0] * sa[1] * sa[2]));
        for (int k = 0; k < 3; k++) sa[k] *= sn;
        for (int tries = 0; ; tries++) {
            for (int k = 0; k < 3; k++) sc[k] = c[k] + (rnd.nextDouble() - 0.5) * a[k];   // within half a semi-axis
            if (insideOrgan(lab, n, sc, sa) || tries > 50) break;
        }
        paintEllipsoid(lab, n, sc, sa, STRUCTURE, -1);

        if (preset == Preset.HARD) {
            hardLesions(rnd, lab, n, c, a);
        } else {
            defaultLesions(rnd, lab, n, c, a, organ);
        }

        // intensities
        return intensities(rnd, lab, n, preset.means, preset.noiseSigma);
    }

    /** The default lesions: k equal balls in the organ, outside the structure (class comment). */
    private static void defaultLesions(SplittableRandom rnd, int[] lab, int n, double[] c, double[] a, long organ) {
        double target = organ / 1000.0;
        int k = (int) Math.max(2, Math.min(8, Math.round(target / 50)));
        double lr = Math.cbrt(3 * target / (4 * Math.PI * k));
        double[] lc = new double[3], la = {lr, lr, lr};
        for (int i = 0; i < k; i++) {
            for (int tries = 0; tries < 200; tries++) {
                for (int q = 0; q < 3; q++) lc[q] = c[q] + (rnd.nextDouble() - 0.5) * 1.4 * a[q];
                if (ballInOrganOnly(lab, n, lc, lr + 1)) {
                    paintEllipsoid(lab, n, lc, la, LESION, ORGAN);
                    break;
                }
            }
        }
    }

    /** The lesions of {@link Preset#HARD}: about N³ / 8,000 voxels in a cluster of k balls of varied size, in the organ, outside the structure. */
    private static void hardLesions(SplittableRandom rnd, int[] lab, int n, double[] c, double[] a) {
        double target = (double) n * n * n / HARD_VOLUME_PER_LESION_VOXEL;
        int k = (int) Math.max(3, Math.min(10, Math.round(target / 11)));
        double[] w = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) sum += w[i] = Math.pow(HARD_SIZE_SPREAD, rnd.nextDouble());
        double[] lc = new double[3];
        // the cluster's centre: a point of the organ with a ball of half the cluster's reach around it in the organ
        double cluster = HARD_CLUSTER_REACH * n;
        double[] cc = c.clone(), probe = {cluster * 0.5, cluster * 0.5, cluster * 0.5};
        for (int tries = 0; tries < 200; tries++) {
            for (int q = 0; q < 3; q++) cc[q] = c[q] + (rnd.nextDouble() - 0.5) * a[q];
            if (insideOrgan(lab, n, cc, probe)) break;
        }
        for (int i = 0; i < k; i++) {
            double r = Math.cbrt(3 * target * w[i] / sum / (4 * Math.PI));
            double[] la = {r, r, r};
            for (int tries = 0; tries < 200; tries++) {
                // within the cluster's reach (a cube of side 2 reach around its centre); if it is full, anywhere in the organ
                if (tries < 150) for (int q = 0; q < 3; q++) lc[q] = cc[q] + (rnd.nextDouble() - 0.5) * 2 * cluster;
                else for (int q = 0; q < 3; q++) lc[q] = c[q] + (rnd.nextDouble() - 0.5) * 1.4 * a[q];
                // a margin of 2 keeps lesions apart even 26-connected (voxel centres > 2 apart); one voxel at least:
                // a ball of radius about 1 may miss every voxel centre
                if (ballInOrganOnly(lab, n, lc, r + 2) && !forEachInEllipsoid(n, lc, la, q -> false)) {
                    paintEllipsoid(lab, n, lc, la, LESION, ORGAN);
                    break;
                }
            }
        }
    }

    /** Class means × bias field + noise, normalised to mean 0 and sd 1: image [1, n, n, n]. */
    private static LabeledVolume intensities(SplittableRandom rnd, int[] lab, int n, float[] means, float noiseSigma) {
        int v = n * n * n;
        double[][] bias = new double[3][];
        for (int q = 0; q < 3; q++) bias[q] = sinusoid(rnd, n, 1.0, 2.0);
        float[] img = new float[v];
        double sum = 0, sum2 = 0;
        for (int z = 0; z < n; z++) {
            for (int y = 0; y < n; y++) {
                double byz = bias[0][z] + bias[1][y];
                for (int x = 0; x < n; x++) {
                    int i = (z * n + y) * n + x;
                    double b = 1 + BIAS_AMPLITUDE * (byz + bias[2][x]) / 3;
                    double val = means[lab[i]] * b + noiseSigma * rnd.nextGaussian();
                    img[i] = (float) val;
                    sum += val;
                    sum2 += val * val;
                }
            }
        }
        double mean = sum / v, sd = Math.sqrt(Math.max(1e-12, sum2 / v - mean * mean));
        for (int i = 0; i < v; i++) img[i] = (float) ((img[i] - mean) / sd);
        return new LabeledVolume(Tensor.wrap(img, 1, n, n, n), LabelTensor.of(lab, n, n, n));
    }

    /** sin(2π f t / n + φ) at t + 0.5 for t in [0, n), f uniform in [fLo, fHi] periods per volume. */
    private static double[] sinusoid(SplittableRandom rnd, int n, double fLo, double fHi) {
        double f = fLo + (fHi - fLo) * rnd.nextDouble(), phi = 2 * Math.PI * rnd.nextDouble();
        double[] s = new double[n];
        for (int t = 0; t < n; t++) s[t] = Math.sin(2 * Math.PI * f * (t + 0.5) / n + phi);
        return s;
    }

    private static int lo(double c, double r) { return (int) Math.max(0, Math.floor(c - r)); }

    private static int hi(double c, double r, int n) { return (int) Math.min(n - 1, Math.ceil(c + r)); }

    /**
     * Visits the flat index of every voxel (of the cube of side n) whose centre lies inside the
     * ellipsoid (centre c, semi-axes a), in memory order; stops early when the visitor returns false.
     *
     * @return false if the visitor stopped the walk
     */
    private static boolean forEachInEllipsoid(int n, double[] c, double[] a, java.util.function.IntPredicate visit) {
        for (int z = lo(c[0], a[0]); z <= hi(c[0], a[0], n); z++) {
            double dz = (z + 0.5 - c[0]) / a[0];
            for (int y = lo(c[1], a[1]); y <= hi(c[1], a[1], n); y++) {
                double dy = (y + 0.5 - c[1]) / a[1];
                for (int x = lo(c[2], a[2]); x <= hi(c[2], a[2], n); x++) {
                    double dx = (x + 0.5 - c[2]) / a[2];
                    if (dz * dz + dy * dy + dx * dx <= 1 && !visit.test((z * n + y) * n + x)) return false;
                }
            }
        }
        return true;
    }

    /** Paints label over the voxels inside the ellipsoid (centre c, semi-axes a) whose label is {@code only} (or any if -1). */
    private static void paintEllipsoid(int[] lab, int n, double[] c, double[] a, int label, int only) {
        forEachInEllipsoid(n, c, a, i -> {
            if (only < 0 || lab[i] == only) lab[i] = label;
            return true;
        });
    }

    /** Whether every voxel of the ellipsoid lies in the volume and is labelled organ. */
    private static boolean insideOrgan(int[] lab, int n, double[] c, double[] a) {
        for (int q = 0; q < 3; q++) if (c[q] - a[q] < 0 || c[q] + a[q] > n) return false;
        return forEachInEllipsoid(n, c, a, i -> lab[i] == ORGAN);
    }

    private static boolean ballInOrganOnly(int[] lab, int n, double[] c, double r) {
        return insideOrgan(lab, n, c, new double[] {r, r, r});
    }
}
