package org.segloss.examples.unet;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * A real 3-D segmentation task from two files Debian ships ({@code apt-get install mricron-data}):
 * deep grey matter of the Colin27 brain. The image is {@code ch2.nii.gz} (Colin Holmes' averaged
 * T1, MNI space, 181 x 217 x 181 at 1 mm); the labels are {@code aal.nii.gz}, the AAL atlas
 * (Tzourio-Mazoyer et al., NeuroImage 15:273, 2002), drawn on that same brain and grid, with
 * names in {@code aal.nii.txt}.
 *
 * <h2>Classes</h2>
 * 7 classes, left and right merged: 0 background (everything else), 1 caudate (AAL 71/72), 2
 * putamen (73/74), 3 pallidum (75/76), 4 thalamus (77/78), 5 hippocampus (37/38), 6 amygdala
 * (41/42). {@code aal.nii.txt} must name these labels {@code Caudate_L}, {@code Caudate_R}, ...
 * or loading fails.
 *
 * <h2>Split</h2>
 * One brain, two hemispheres: train on the left (world x &lt; 0), validate on the right (x &gt; 0)
 * mirrored so that it looks like a left hemisphere. The midline is world x = 0 found through the
 * affine ({@code i = -A[0][3] / A[0][0]}; i = 90 for ch2) and must fall on a voxel centre or
 * boundary; a midline slice (ch2: i = 90) belongs to neither half. The right half is flipped with
 * {@code i -> 2 i_mid - i}. Both crops share one box: the bounding box of all six structures in
 * both (mirrored) halves, plus {@link #MARGIN} voxels, grown to a multiple of {@code 8 x
 * downsample} voxels per axis (so a depth-3 U-Net runs whole windows after downsampling) and kept
 * inside the half where possible; voxels outside the half or the volume are padded (image: the
 * normalised value of intensity 0; labels: background).
 *
 * <h2>Intensity</h2>
 * z-score with the mean and standard deviation of the T1's nonzero voxels over the whole volume
 * (the head; ch2: 4,151,607 voxels), computed once so that both crops share it; no clipping.
 *
 * <h2>Layout and affines</h2>
 * Tensors follow {@link NiftiImage}: image {@code [1, D, H, W]} and labels {@code [D, H, W]} with
 * D = z (k), H = y (j), W = x (i); spacing in that order. Each crop's affine maps its own
 * {@code (i, j, k, 1)} (W, H, D index) to world mm, so a prediction written with it lands on the
 * original voxels: for the train crop at box origin {@code (i0, j0, k0)} it is {@code A · T(i0, j0,
 * k0)}; for the mirrored validation crop, whose voxel {@code i} came from original {@code 2 i_mid
 * - i0 - i}, it is {@code A · [[-1, 0, 0, 2 i_mid - i0], [0, 1, 0, j0], [0, 0, 1, k0], [0, 0, 0,
 * 1]]}: the x column negated (determinant &lt; 0) and the origin at the far side of the box. With
 * {@code downsample = 2} both are further multiplied by {@code [[2, 0, 0, 0.5], [0, 2, 0, 0.5],
 * [0, 0, 2, 0.5], [0, 0, 0, 1]]}: a coarse voxel is the centre of its 2 x 2 x 2 block. See
 * {@link Split#toNifti(LabelTensor, boolean)}.
 *
 * <h2>Downsampling</h2>
 * {@code downsample = 2}: image by the mean of each 2 x 2 x 2 block, labels by its mode (ties go
 * to the lowest class index, i.e. background wins a 4:4 tie).
 *
 * <h2>Numbers for the mricron-data files</h2>
 * (checked by {@code MniAtlasTest.realFiles}; structure counts cross-checked with nibabel 5.0.0 and
 * numpy.) T1 normalisation: mean 76.392, sd 36.302 over 4,151,607 nonzero voxels.
 * <ul>
 *   <li>{@code downsample = 1}: crop {@code [D, H, W] = [72, 88, 56]} (354,816 voxels), box origin
 *       {@code (i, j, k) = (34, 75, 34)}, train affine origin (-56, -50, -37) mm. Voxels per class,
 *       train (left) / validation (right): background 319,032 / 318,221, caudate 7,682 / 7,941,
 *       putamen 7,942 / 8,510, pallidum 2,285 / 2,188, thalamus 8,673 / 8,385, hippocampus 7,469 /
 *       7,606, amygdala 1,733 / 1,965. These are AAL's own per-label counts except the thalamus,
 *       which loses its 41 voxels on the midline slice (27 left, 14 right).
 *   <li>{@code downsample = 2}: crop {@code [40, 48, 32]} (61,440 voxels; box 80 x 96 x 64 at 1 mm,
 *       origin (26, 71, 30)). Train / validation: background 57,358 / 57,007, caudate 846 / 959,
 *       putamen 930 / 1,045, pallidum 256 / 272, thalamus 1,006 / 1,024, hippocampus 862 / 906,
 *       amygdala 182 / 227.
 * </ul>
 */
public final class MniAtlas {
    /** Where Debian's mricron-data installs the templates. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/mricron/templates");
    /** Voxels (at full resolution) added around the structures' bounding box on every side. */
    public static final int MARGIN = 8;
    /** The class names, index = class. */
    public static final List<String> CLASS_NAMES =
            List.of("background", "caudate", "putamen", "pallidum", "thalamus", "hippocampus", "amygdala");
    /** Number of classes including background. */
    public static final int CLASSES = 7;
    /** AAL label values of the left and right structure of each class 1..6. */
    static final int[][] AAL_LABELS = {{}, {71, 72}, {73, 74}, {75, 76}, {77, 78}, {37, 38}, {41, 42}};
    /** The names {@code aal.nii.txt} must give those labels. */
    static final String[] AAL_NAMES = {"", "Caudate", "Putamen", "Pallidum", "Thalamus", "Hippocampus", "Amygdala"};
    static final String IMAGE = "ch2.nii.gz", LABELS = "aal.nii.gz", NAMES = "aal.nii.txt";

    private MniAtlas() {}

    /**
     * The two crops and what is needed to write predictions back as NIfTI.
     *
     * @param train            left hemisphere: image {@code [1, D, H, W]}, labels {@code [D, H, W]}
     * @param validation       right hemisphere, mirrored along W, same size
     * @param spacing          voxel size in mm, {@code [D, H, W]} (1 or 2 mm for the templates)
     * @param trainAffine      4 x 4, crop voxel {@code (i, j, k, 1)} = (W, H, D index) to MNI mm
     * @param validationAffine the same for the mirrored crop (x column negated)
     * @param classNames       {@link #CLASS_NAMES}
     */
    public record Split(LabeledVolume train, LabeledVolume validation, double[] spacing, double[][] trainAffine,
            double[][] validationAffine, List<String> classNames) {

        /** Crop size {@code [D, H, W]}. */
        public int[] cropShape() { return train.labels().shape().dims(); }

        /**
         * {@code labels} (a prediction on the train or validation crop, {@code [D, H, W]}) as a
         * uint8 NIfTI image in MNI space (sform and qform code 4) that overlays {@code ch2.nii.gz};
         * write it with {@link Nifti#write}.
         */
        public NiftiImage toNifti(LabelTensor labels, boolean validation) {
            if (!Arrays.equals(labels.shape().dims(), cropShape())) {
                throw new IllegalArgumentException("MniAtlas.Split.toNifti: labels must have the crop shape "
                        + Arrays.toString(cropShape()) + ", got " + labels.shape());
            }
            return NiftiImage.of(labels, NiftiImage.Datatype.UINT8, spacing, validation ? validationAffine : trainAffine)
                    .withXformCode(NiftiImage.XFORM_MNI_152).withDescription("segloss MniAtlas " + (validation ? "validation" : "train") + " crop");
        }
    }

    /** {@link #load(Path, int)} from {@link #DEFAULT_DIR} at full resolution. */
    public static Split load() throws IOException { return load(DEFAULT_DIR, 1); }

    /**
     * Reads {@code ch2.nii.gz}, {@code aal.nii.gz} and {@code aal.nii.txt} from {@code dir} and
     * builds the split described in the class comment.
     *
     * @param downsample 1 (1 mm) or 2 (2 mm: 8 times fewer voxels)
     * @throws FileNotFoundException naming the missing files, the directory and the install
     *     command when a file is absent
     * @throws IllegalArgumentException when the files disagree with each other or with AAL
     */
    public static Split load(Path dir, int downsample) throws IOException {
        if (downsample != 1 && downsample != 2) {
            throw new IllegalArgumentException("MniAtlas.load: downsample must be 1 or 2, got " + downsample);
        }
        List<String> missing = new ArrayList<>();
        for (String f : List.of(IMAGE, LABELS, NAMES)) if (!Files.isRegularFile(dir.resolve(f))) missing.add(f);
        if (!missing.isEmpty()) {
            throw new FileNotFoundException("MniAtlas: " + String.join(", ", missing) + " not found in " + dir.toAbsolutePath()
                    + "; install the MNI templates with `apt-get install mricron-data` (Debian/Ubuntu), or pass the directory"
                    + " that holds ch2.nii.gz, aal.nii.gz and aal.nii.txt");
        }
        checkNames(dir.resolve(NAMES));
        NiftiImage t1 = Nifti.read(dir.resolve(IMAGE));
        NiftiImage aal = Nifti.read(dir.resolve(LABELS));
        if (!Arrays.equals(t1.shape(), aal.shape()) || t1.shape().length != 3) {
            throw new IllegalArgumentException("MniAtlas: " + IMAGE + " and " + LABELS + " must be single volumes on one grid, got"
                    + " shapes " + Arrays.toString(t1.shape()) + " and " + Arrays.toString(aal.shape()));
        }
        double[][] a = t1.affine(), b = aal.affine();
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                if (Math.abs(a[r][c] - b[r][c]) > 1e-4) {
                    throw new IllegalArgumentException("MniAtlas: " + IMAGE + " and " + LABELS + " must have the same affine, got "
                            + Arrays.deepToString(a) + " and " + Arrays.deepToString(b));
                }
            }
        }
        return build(t1.toTensor(), aal.toLabels(), a, t1.spacing(), downsample);
    }

    /** Fails unless {@code aal.nii.txt} ("index name code" per line) names every label we use as expected. */
    static void checkNames(Path file) throws IOException {
        Map<Integer, String> names = new HashMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
            lineNo++;
            String[] f = line.trim().split("\\s+");
            if (f.length < 2 || f[0].isEmpty()) continue;
            try {
                names.put(Integer.parseInt(f[0]), f[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("MniAtlas: " + file + " line " + lineNo + ": must start with a label number, got \""
                        + line + "\"");
            }
        }
        for (int c = 1; c < CLASSES; c++) {
            for (int side = 0; side < 2; side++) {
                int label = AAL_LABELS[c][side];
                String expected = AAL_NAMES[c] + (side == 0 ? "_L" : "_R");
                String got = names.get(label);
                if (!expected.equals(got)) {
                    throw new IllegalArgumentException("MniAtlas: " + file + ": AAL label " + label + " must be " + expected + " (class "
                            + CLASS_NAMES.get(c) + "), got " + (got == null ? "no line for it" : got)
                            + "; this is not the AAL atlas segloss expects");
                }
            }
        }
    }

    /** AAL value to class (0 for every label we do not use). */
    static int[] classOfAal() {
        int[] map = new int[65536];
        for (int c = 1; c < CLASSES; c++) for (int v : AAL_LABELS[c]) map[v] = c;
        return map;
    }

    /**
     * The split of a T1 {@code t1} and AAL labels {@code aal} ({@code [D, H, W]}, one grid with
     * voxel-to-world {@code affine}, voxel size {@code spacing} in tensor order).
     */
    static Split build(Tensor t1, LabelTensor aal, double[][] affine, double[] spacing, int downsample) {
        int[] shape = t1.shape().dims();
        int nz = shape[0], ny = shape[1], nx = shape[2];
        if (affine[0][1] != 0 || affine[0][2] != 0 || affine[0][0] == 0) {
            throw new IllegalArgumentException("MniAtlas: the affine's world x must depend on the i (W) axis only, so that the"
                    + " midline x = 0 is a plane of voxels, got first row " + Arrays.toString(affine[0]));
        }
        double mid = -affine[0][3] / affine[0][0];
        double twice = Math.rint(2 * mid);
        if (Math.abs(2 * mid - twice) > 1e-3 || mid <= 0 || mid >= nx - 1) {
            throw new IllegalArgumentException("MniAtlas: the midline x = 0 must fall inside the volume on a voxel centre or"
                    + " boundary (i a multiple of 0.5 in (0, " + (nx - 1) + ")), got i = " + mid);
        }
        int m2 = (int) twice;                         // 2 * i_mid; mirror: i -> m2 - i
        boolean leftIsLow = affine[0][0] > 0;         // world x < 0 at small i

        // Intensity: z-score over the nonzero voxels of the whole T1.
        double sum = 0, sumSq = 0;
        long n = 0;
        for (int i = 0, size = t1.size(); i < size; i++) {
            float v = t1.at(i);
            if (v != 0) {
                sum += v;
                sumSq += (double) v * v;
                n++;
            }
        }
        if (n < 2) throw new IllegalArgumentException("MniAtlas: the T1 must have at least 2 nonzero voxels, got " + n);
        double mean = sum / n, std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
        if (!(std > 0)) throw new IllegalArgumentException("MniAtlas: the T1's nonzero voxels must not all be equal (" + mean + ")");

        // Structure bounding box in the train frame f (train voxel f = i; validation voxel f = m2 - i).
        int[] cls = classOfAal();
        int[] lo = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, hi = {-1, -1, -1};
        for (int k = 0; k < nz; k++) {
            for (int j = 0; j < ny; j++) {
                for (int i = 0; i < nx; i++) {
                    int v = aal.at((k * ny + j) * nx + i);
                    if (v < 0 || v >= cls.length || cls[v] == 0 || 2 * i == m2) continue;
                    int f = isLeft(i, m2, leftIsLow) ? i : m2 - i;
                    int[] p = {k, j, f};
                    for (int a = 0; a < 3; a++) {
                        lo[a] = Math.min(lo[a], p[a]);
                        hi[a] = Math.max(hi[a], p[a]);
                    }
                }
            }
        }
        if (hi[0] < 0) throw new IllegalArgumentException("MniAtlas: the labels contain none of the AAL structures " + CLASS_NAMES);
        // Valid train-frame range per axis: inside the volume and on the left of the midline, for both halves.
        int[] validLo = {0, 0, 0}, validHi = {nz - 1, ny - 1, nx - 1};
        if (leftIsLow) {
            validLo[2] = Math.max(0, m2 - (nx - 1));
            validHi[2] = (m2 - 1) / 2;                // largest i with 2i < m2
        } else {
            validLo[2] = m2 / 2 + 1;                  // smallest i with 2i > m2
            validHi[2] = Math.min(nx - 1, m2);
        }
        int multiple = 8 * downsample;
        int[] origin = new int[3], size = new int[3];
        for (int a = 0; a < 3; a++) {
            int l = Math.max(validLo[a], lo[a] - MARGIN), h = Math.min(validHi[a], hi[a] + MARGIN);
            int s = ((h - l + 1 + multiple - 1) / multiple) * multiple;
            int start = l - (s - (h - l + 1)) / 2;    // grow both sides equally ...
            int room = validHi[a] - validLo[a] + 1;
            if (s <= room) start = Math.max(validLo[a], Math.min(start, validHi[a] - s + 1));   // ... but stay inside the half
            else start = validLo[a] - (s - room) / 2; // the half is too small: centre, pad both sides
            origin[a] = start;
            size[a] = s;
        }

        float pad = (float) (-mean / std);
        LabeledVolume train = crop(t1, aal, cls, shape, origin, size, false, m2, leftIsLow, mean, std, pad);
        LabeledVolume val = crop(t1, aal, cls, shape, origin, size, true, m2, leftIsLow, mean, std, pad);
        // crop voxel (i, j, k) -> original (origin_i + i, ...) for train, (m2 - origin_i - i, ...) for validation
        double[][] tTrain = {{1, 0, 0, origin[2]}, {0, 1, 0, origin[1]}, {0, 0, 1, origin[0]}, {0, 0, 0, 1}};
        double[][] tVal = {{-1, 0, 0, m2 - origin[2]}, {0, 1, 0, origin[1]}, {0, 0, 1, origin[0]}, {0, 0, 0, 1}};
        double[][] trainAffine = mul(affine, tTrain), valAffine = mul(affine, tVal);
        double[] sp = spacing.clone();
        if (downsample == 2) {
            train = downsample2(train);
            val = downsample2(val);
            double[][] s2 = {{2, 0, 0, 0.5}, {0, 2, 0, 0.5}, {0, 0, 2, 0.5}, {0, 0, 0, 1}};
            trainAffine = mul(trainAffine, s2);
            valAffine = mul(valAffine, s2);
            for (int a = 0; a < 3; a++) sp[a] *= 2;
        }
        return new Split(train, val, sp, trainAffine, valAffine, CLASS_NAMES);
    }

    private static boolean isLeft(int i, int m2, boolean leftIsLow) { return leftIsLow ? 2 * i < m2 : 2 * i > m2; }

    private static LabeledVolume crop(Tensor t1, LabelTensor aal, int[] cls, int[] shape, int[] origin, int[] size, boolean mirror,
            int m2, boolean leftIsLow, double mean, double std, float pad) {
        int nz = shape[0], ny = shape[1], nx = shape[2];
        int d = size[0], h = size[1], w = size[2];
        float[] img = new float[d * h * w];
        int[] lab = new int[d * h * w];
        for (int z = 0; z < d; z++) {
            int k = origin[0] + z;
            for (int y = 0; y < h; y++) {
                int j = origin[1] + y;
                for (int x = 0; x < w; x++) {
                    int f = origin[2] + x;
                    int i = mirror ? m2 - f : f;
                    int o = (z * h + y) * w + x;
                    boolean inside = k >= 0 && k < nz && j >= 0 && j < ny && i >= 0 && i < nx
                            && (mirror ? !isLeft(i, m2, leftIsLow) && 2 * i != m2 : isLeft(i, m2, leftIsLow));
                    if (!inside) {
                        img[o] = pad;
                        continue;
                    }
                    int src = (k * ny + j) * nx + i;
                    img[o] = (float) ((t1.at(src) - mean) / std);
                    int v = aal.at(src);
                    lab[o] = v >= 0 && v < cls.length ? cls[v] : 0;
                }
            }
        }
        return new LabeledVolume(Tensor.wrap(img, 1, d, h, w), LabelTensor.of(lab, d, h, w));
    }

    /** Mean of each 2 x 2 x 2 block for the image, mode (ties: lowest class) for the labels. */
    static LabeledVolume downsample2(LabeledVolume v) {
        int d = v.dim(0), h = v.dim(1), w = v.dim(2);
        if (d % 2 != 0 || h % 2 != 0 || w % 2 != 0) {
            throw new IllegalArgumentException("MniAtlas.downsample2: sizes must be even, got [" + d + ", " + h + ", " + w + "]");
        }
        int d2 = d / 2, h2 = h / 2, w2 = w / 2;
        float[] img = new float[d2 * h2 * w2];
        int[] lab = new int[d2 * h2 * w2];
        int[] votes = new int[CLASSES];
        for (int z = 0; z < d2; z++) {
            for (int y = 0; y < h2; y++) {
                for (int x = 0; x < w2; x++) {
                    double s = 0;
                    Arrays.fill(votes, 0);
                    for (int dz = 0; dz < 2; dz++) {
                        for (int dy = 0; dy < 2; dy++) {
                            for (int dx = 0; dx < 2; dx++) {
                                int src = ((2 * z + dz) * h + 2 * y + dy) * w + 2 * x + dx;
                                s += v.image().at(src);
                                votes[v.labels().at(src)]++;
                            }
                        }
                    }
                    int best = 0;
                    for (int c = 1; c < CLASSES; c++) if (votes[c] > votes[best]) best = c;
                    int o = (z * h2 + y) * w2 + x;
                    img[o] = (float) (s / 8);
                    lab[o] = best;
                }
            }
        }
        return new LabeledVolume(Tensor.wrap(img, 1, d2, h2, w2), LabelTensor.of(lab, d2, h2, w2));
    }

    static double[][] mul(double[][] a, double[][] b) {
        double[][] c = new double[4][4];
        for (int r = 0; r < 4; r++) for (int k = 0; k < 4; k++) for (int s = 0; s < 4; s++) c[r][k] += a[r][s] * b[s][k];
        return c;
    }
}
