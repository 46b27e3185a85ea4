package org.segloss.examples.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.io.NiftiImage.Datatype;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * {@link MniAtlas}: class mapping, hemisphere split, mirror, crop, padding, affines and
 * downsampling on a tiny synthetic atlas written with {@link Nifti}; the messages for missing or
 * foreign files; and the real mricron-data templates when installed.
 */
class MniAtlasTest {

    @TempDir
    Path dir;

    // Synthetic grid: nx = 20, ny = 12, nz = 10 (tensor [10, 12, 20]), 1 mm, world x = i - 10 so the
    // midline is the slice i = 10; left half i = 0..9, right half i = 11..19.
    static final int NX = 20, NY = 12, NZ = 10;
    static final double[][] AFFINE = {{1, 0, 0, -10}, {0, 1, 0, -3}, {0, 0, 1, 4}, {0, 0, 0, 1}};

    static final String NAMES_TXT = """
            5 Frontal_Sup_Orb_L 2111
            37 Hippocampus_L 4101
            38 Hippocampus_R 4102
            41 Amygdala_L 4201
            42 Amygdala_R 4202
            71 Caudate_L 7001
            72 Caudate_R 7002
            73 Putamen_L 7011
            74 Putamen_R 7012
            75 Pallidum_L 7021
            76 Pallidum_R 7022
            77 Thalamus_L 7101
            78 Thalamus_R 7102
            """;

    int[] aal = new int[NX * NY * NZ];
    float[] t1 = new float[NX * NY * NZ];

    static int at(int i, int j, int k) { return (k * NY + j) * NX + i; }

    void box(int v, int i0, int i1, int j0, int j1, int k0, int k1) {
        for (int k = k0; k <= k1; k++) for (int j = j0; j <= j1; j++) for (int i = i0; i <= i1; i++) aal[at(i, j, k)] = v;
    }

    /** Writes the synthetic atlas; returns the directory. */
    Path writeAtlas(String names) throws IOException {
        for (int k = 0; k < NZ; k++) {
            for (int j = 0; j < NY; j++) {
                for (int i = 0; i < NX; i++) t1[at(i, j, k)] = (i + 2 * j + 3 * k) % 7 == 0 ? 0 : 10 + i + 2 * j + 3 * k;
            }
        }
        box(71, 6, 8, 4, 5, 3, 4);    // caudate left: 12 voxels, f = 6..8
        box(72, 12, 13, 4, 5, 3, 4);  // caudate right: 8 voxels, mirrored f = 8, 7
        box(41, 2, 2, 1, 1, 1, 1);    // amygdala left, f = 2
        box(42, 15, 15, 6, 6, 5, 5);  // amygdala right, mirrored f = 5
        box(77, 10, 10, 2, 3, 2, 2);  // thalamus on the midline: in neither half
        box(5, 1, 1, 9, 9, 8, 8);     // another AAL region: background
        double[] spacing = {1, 1, 1};
        Nifti.write(dir.resolve("ch2.nii.gz"), NiftiImage.of(Tensor.of(t1, NZ, NY, NX), Datatype.UINT8, spacing, AFFINE).withXformCode(4));
        Nifti.write(dir.resolve("aal.nii.gz"), NiftiImage.of(LabelTensor.of(aal, NZ, NY, NX), Datatype.UINT8, spacing, AFFINE)
                .withXformCode(4));
        Files.writeString(dir.resolve("aal.nii.txt"), names);
        return dir;
    }

    static double[] world(double[][] a, double i, double j, double k) {
        double[] w = new double[3];
        for (int r = 0; r < 3; r++) w[r] = a[r][0] * i + a[r][1] * j + a[r][2] * k + a[r][3];
        return w;
    }

    @Test
    void syntheticAtlasSplitsMirrorsCropsAndPads() throws IOException {
        MniAtlas.Split s = MniAtlas.load(writeAtlas(NAMES_TXT), 1);
        assertEquals(MniAtlas.CLASS_NAMES, s.classNames());
        assertEquals(7, s.classNames().size());
        // Structures in the train frame: k 1..5, j 1..6, f 2..8; plus 8 voxels, clipped to the valid
        // range (k 0..9, j 0..11, f 1..9: validation needs i = 20 - f <= 19), then 16 per axis, which
        // is more than the range holds, so centred and padded: origin (k, j, f) = (-3, -2, -2).
        assertArrayEquals(new int[] {16, 16, 16}, s.cropShape());
        assertArrayEquals(new int[] {1, 16, 16, 16}, s.train().image().shape().dims());
        assertArrayEquals(new double[] {1, 1, 1}, s.spacing());
        int k0 = -3, j0 = -2, f0 = -2;

        assertArrayEquals(new long[] {16 * 16 * 16 - 13, 12, 0, 0, 0, 0, 1}, s.train().classCounts(7));
        assertArrayEquals(new long[] {16 * 16 * 16 - 9, 8, 0, 0, 0, 0, 1}, s.validation().classCounts(7));
        assertEquals(6, s.train().labels().get(1 - k0, 1 - j0, 2 - f0));           // amygdala left (class 6)
        assertEquals(1, s.train().labels().get(3 - k0, 4 - j0, 6 - f0));           // caudate left
        assertEquals(0, s.train().labels().get(2 - k0, 2 - j0, 10 - f0));          // thalamus on the midline: dropped
        assertEquals(6, s.validation().labels().get(5 - k0, 6 - j0, (20 - 15) - f0));   // amygdala right, mirrored
        assertEquals(1, s.validation().labels().get(3 - k0, 4 - j0, (20 - 12) - f0));   // caudate right i = 12 -> f = 8
        assertEquals(0, s.validation().labels().get(3 - k0, 4 - j0, (20 - 14) - f0));   // i = 14 is not caudate

        // intensity: z-score over the nonzero voxels of the whole T1, computed here independently
        double sum = 0, sq = 0;
        int n = 0;
        for (float v : t1) {
            if (v != 0) {
                sum += v;
                sq += (double) v * v;
                n++;
            }
        }
        double mean = sum / n, std = Math.sqrt(sq / n - mean * mean);
        Tensor tr = s.train().image(), va = s.validation().image();
        for (int k = 0; k < NZ; k++) {
            for (int j = 0; j < NY; j++) {
                for (int i = 0; i < NX; i++) {
                    float expected = (float) ((t1[at(i, j, k)] - mean) / std);
                    if (i < 10) assertEquals(expected, tr.get(0, k - k0, j - j0, i - f0), 1e-6, "train " + i + "," + j + "," + k);
                    if (i > 10 && 20 - i - f0 < 16) {
                        assertEquals(expected, va.get(0, k - k0, j - j0, 20 - i - f0), 1e-6, "val " + i + "," + j + "," + k);
                    }
                }
            }
        }
        float pad = (float) (-mean / std);
        assertEquals(pad, tr.get(0, 0, 0, 0));                 // k = -3: outside the volume
        assertEquals(pad, tr.get(0, 5, 5, 10 - f0));           // f = 10: the midline, in neither half
        assertEquals(pad, tr.get(0, 5, 5, 15));                // f = 13: right of the midline
        assertEquals(pad, va.get(0, 5, 5, 0 - f0));            // f = 0 -> i = 20: outside the volume

        // affines: a crop voxel lands where its source voxel is in the world
        for (int[] ijk : new int[][] {{2, 1, 1}, {7, 5, 4}, {0, 0, 0}, {9, 11, 9}}) {
            assertArrayEquals(world(AFFINE, ijk[0], ijk[1], ijk[2]),
                    world(s.trainAffine(), ijk[0] - f0, ijk[1] - j0, ijk[2] - k0), 1e-12);
        }
        for (int[] ijk : new int[][] {{15, 6, 5}, {12, 4, 3}, {19, 0, 0}, {11, 11, 9}}) {
            assertArrayEquals(world(AFFINE, ijk[0], ijk[1], ijk[2]),
                    world(s.validationAffine(), 20 - ijk[0] - f0, ijk[1] - j0, ijk[2] - k0), 1e-12);
        }
        assertEquals(-1, s.validationAffine()[0][0]);
        assertTrue(world(s.validationAffine(), 0 - f0, 0, 0)[0] > 0, "validation voxels are in the right hemisphere");

        // a prediction written with Split.toNifti overlays the original grid
        Path out = dir.resolve("pred.nii.gz");
        Nifti.write(out, s.toNifti(s.validation().labels(), true));
        NiftiImage back = Nifti.read(out);
        assertEquals(4, back.sformCode());
        assertEquals(4, back.qformCode());
        for (int r = 0; r < 4; r++) assertArrayEquals(s.validationAffine()[r], back.affine()[r], 1e-6);
        for (int r = 0; r < 4; r++) assertArrayEquals(s.validationAffine()[r], back.qformAffine()[r], 1e-5);
        assertArrayEquals(s.validation().labels().toArray(), back.toLabels().toArray());
    }

    @Test
    void anXFlippedGridPutsTheLeftHemisphereAtHighI() throws IOException {
        writeAtlas(NAMES_TXT);
        double[][] las = {{-1, 0, 0, 10}, {0, 1, 0, -3}, {0, 0, 1, 4}, {0, 0, 0, 1}};   // world x = 10 - i
        double[] spacing = {1, 1, 1};
        Nifti.write(dir.resolve("ch2.nii.gz"), NiftiImage.of(Tensor.of(t1, NZ, NY, NX), Datatype.UINT8, spacing, las).withXformCode(4));
        Nifti.write(dir.resolve("aal.nii.gz"), NiftiImage.of(LabelTensor.of(aal, NZ, NY, NX), Datatype.UINT8, spacing, las)
                .withXformCode(4));
        MniAtlas.Split s = MniAtlas.load(dir, 1);
        // now i > 10 is left (train): the 8 caudate voxels at i = 12..13 and the amygdala voxel at i = 15
        assertArrayEquals(new long[] {16 * 16 * 16 - 9, 8, 0, 0, 0, 0, 1}, s.train().classCounts(7));
        assertArrayEquals(new long[] {16 * 16 * 16 - 13, 12, 0, 0, 0, 0, 1}, s.validation().classCounts(7));
        // train frame f = i for i > 10, valid f in 11..19 (validation i = 20 - f >= 1 is fine, f <= 20):
        // structures f 11..18 in k 1..5, j 1..6 -> f box [11, 19] -> 16 wide, centred: origin f = 11 - 3 = 8
        int k0 = -3, j0 = -2, f0 = 8;
        assertEquals(6, s.train().labels().get(5 - k0, 6 - j0, 15 - f0));
        assertEquals(6, s.validation().labels().get(1 - k0, 1 - j0, (20 - 2) - f0));
        for (int[] ijk : new int[][] {{15, 6, 5}, {12, 4, 3}, {19, 0, 0}}) {
            assertArrayEquals(world(las, ijk[0], ijk[1], ijk[2]), world(s.trainAffine(), ijk[0] - f0, ijk[1] - j0, ijk[2] - k0), 1e-12);
        }
        for (int[] ijk : new int[][] {{2, 1, 1}, {7, 5, 4}, {0, 0, 0}}) {
            assertArrayEquals(world(las, ijk[0], ijk[1], ijk[2]),
                    world(s.validationAffine(), 20 - ijk[0] - f0, ijk[1] - j0, ijk[2] - k0), 1e-12);
        }
        assertTrue(world(s.trainAffine(), 15, 8, 8)[0] < 0 && world(s.validationAffine(), 15, 8, 8)[0] > 0);
    }

    @Test
    void downsampledSplitAveragesTakesTheModeAndMovesTheAffine() throws IOException {
        writeAtlas(NAMES_TXT);
        MniAtlas.Split full = MniAtlas.load(dir, 1), half = MniAtlas.load(dir, 2);
        // 16 per axis at 1 mm is already a multiple of 8 * 2, so the box is the same
        assertArrayEquals(new int[] {8, 8, 8}, half.cropShape());
        assertArrayEquals(new double[] {2, 2, 2}, half.spacing());
        Tensor f = full.train().image(), h = half.train().image();
        for (int z = 0; z < 8; z++) {
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    double s = 0;
                    int[] votes = new int[7];
                    for (int d = 0; d < 8; d++) {
                        s += f.get(0, 2 * z + (d >> 2), 2 * y + (d >> 1 & 1), 2 * x + (d & 1));
                        votes[full.train().labels().get(2 * z + (d >> 2), 2 * y + (d >> 1 & 1), 2 * x + (d & 1))]++;
                    }
                    assertEquals(s / 8, h.get(0, z, y, x), 1e-5);
                    int best = 0;
                    for (int c = 1; c < 7; c++) if (votes[c] > votes[best]) best = c;
                    assertEquals(best, half.train().labels().get(z, y, x));
                    // the coarse voxel's centre is the mean of its 8 fine voxels' centres
                    for (boolean val : new boolean[] {false, true}) {
                        double[][] af = val ? full.validationAffine() : full.trainAffine(), ah = val ? half.validationAffine()
                                : half.trainAffine();
                        assertArrayEquals(world(af, 2 * x + 0.5, 2 * y + 0.5, 2 * z + 0.5), world(ah, x, y, z), 1e-12);
                    }
                }
            }
        }
        // caudate right: i 12..13, j 4..5, k 3..4 is f 8..7 -> crop x 9..10, y 6..7, z 6..7: split over two coarse
        // blocks, each 4 caudate : 4 background, and ties go to background; caudate left (x 8..10) fills block x 8..9
        assertEquals(0, half.validation().classCounts(7)[1]);
        assertEquals(1, half.train().classCounts(7)[1]);
        assertEquals(1, half.train().labels().get(3, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> MniAtlas.load(dir, 3));
    }

    @Test
    void missingFilesSayHowToInstallThem() {
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> MniAtlas.load(dir, 1));
        String m = e.getMessage();
        assertTrue(m.contains("apt-get install mricron-data") && m.contains(dir.toAbsolutePath().toString())
                && m.contains("ch2.nii.gz") && m.contains("aal.nii.gz") && m.contains("aal.nii.txt"), m);
    }

    @Test
    void aForeignLabelTableIsRejected() throws IOException {
        writeAtlas(NAMES_TXT.replace("73 Putamen_L", "73 Insula_L"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MniAtlas.load(dir, 1));
        assertTrue(e.getMessage().contains("73") && e.getMessage().contains("Putamen_L") && e.getMessage().contains("Insula_L"),
                e.getMessage());
        Files.writeString(dir.resolve("aal.nii.txt"), NAMES_TXT.replace("42 Amygdala_R 4202\n", ""));
        e = assertThrows(IllegalArgumentException.class, () -> MniAtlas.load(dir, 1));
        assertTrue(e.getMessage().contains("42") && e.getMessage().contains("no line"), e.getMessage());
    }

    // ---- the real files ----------------------------------------------------------------------------

    /**
     * Reference counts from nibabel 5.0.0 on aal.nii.gz: per AAL label in the left half
     * ({@code data[:90]}, i &lt; 90, world x &lt; 0) and the right half ({@code data[91:]}), left and
     * right labels merged; the midline slice {@code data[90]} holds 41 thalamus voxels (27 of label
     * 77, 14 of 78) and nothing else of the six structures. The T1's nonzero voxels: 4,151,607,
     * mean 76.392397, sd 36.301543 ({@code t[t != 0].mean(), .std()}).
     */
    @Test
    void realFiles() throws IOException {
        assumeTrue(Files.exists(MniAtlas.DEFAULT_DIR.resolve("ch2.nii.gz")) && Files.exists(MniAtlas.DEFAULT_DIR.resolve("aal.nii.gz")),
                "mricron-data not installed");
        MniAtlas.Split s = MniAtlas.load();
        long[] left = {7682, 7942, 2285, 8673, 7469, 1733}, right = {7941, 8510, 2188, 8385, 7606, 1965};
        long[] tc = s.train().classCounts(7), vc = s.validation().classCounts(7);
        assertEquals(354816 - Arrays.stream(left).sum(), tc[0]);
        assertEquals(354816 - Arrays.stream(right).sum(), vc[0]);
        // box origin (i, j, k) = (34, 75, 34): world (-56, -50, -37); validation origin i = 180 - 34 = 146: x = +56
        assertArrayEquals(new double[] {1, 0, 0, -56}, s.trainAffine()[0]);
        assertArrayEquals(new double[] {-1, 0, 0, 56}, s.validationAffine()[0]);
        assertArrayEquals(new double[] {0, 1, 0, -50}, s.validationAffine()[1]);
        assertArrayEquals(new double[] {0, 0, 1, -37}, s.validationAffine()[2]);
        assertArrayEquals(left, Arrays.copyOfRange(tc, 1, 7));
        assertArrayEquals(right, Arrays.copyOfRange(vc, 1, 7));
        assertArrayEquals(new int[] {72, 88, 56}, s.cropShape());
        // world x of the crops: train entirely left (x < 0), validation entirely right (x > 0)
        assertTrue(world(s.trainAffine(), s.cropShape()[2] - 1, 0, 0)[0] < 0);
        assertTrue(world(s.validationAffine(), s.cropShape()[2] - 1, 0, 0)[0] > 0);

        MniAtlas.Split h = MniAtlas.load(MniAtlas.DEFAULT_DIR, 2);
        assertArrayEquals(new int[] {40, 48, 32}, h.cropShape());
        assertArrayEquals(new double[] {2, 2, 2}, h.spacing());
        // structure counts: numpy mode over 2 x 2 x 2 blocks (ties to the lower class) of the same crops built
        // from nibabel's arrays; background is the rest of the 61,440 voxels
        assertArrayEquals(new long[] {57358, 846, 930, 256, 1006, 862, 182}, h.train().classCounts(7));
        assertArrayEquals(new long[] {57007, 959, 1045, 272, 1024, 906, 227}, h.validation().classCounts(7));
    }
}
