package org.segloss.examples.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.examples.unet.LabeledVolume;
import org.segloss.examples.unet.Phantoms;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

class SliceOverlayTest {
    static final String[] NAMES = {"background", "organ", "structure"};
    static final double[] ISO = {1, 1, 1};
    static final int N = 32, Z = 12, Y = 5, X = 7;          // the class-2 voxel

    /**
     * A 32^3 volume: class 1 fills a box over z 10-14 (widest at z = 12), one voxel of class 2
     * at (Z, Y, X) = (12, 5, 7); the prediction is the truth without the class-2 voxel (it is
     * predicted as class 1).
     */
    static int[] truthLabels() {
        int[] lab = new int[N * N * N];
        for (int z = 10; z <= 14; z++) {
            int half = z == 12 ? 10 : 6;
            for (int y = 16 - half; y < 16 + half; y++) for (int x = 16 - half; x < 16 + half; x++) lab[(z * N + y) * N + x] = 1;
        }
        lab[(Z * N + Y) * N + X] = 2;
        return lab;
    }

    static Tensor image() { return Tensor.randn(7, 1, N, N, N); }

    static LabelTensor truth() { return LabelTensor.of(truthLabels(), N, N, N); }

    static LabelTensor prediction() {
        int[] lab = truthLabels();
        lab[(Z * N + Y) * N + X] = 1;
        return LabelTensor.of(lab, N, N, N);
    }

    static int rgb(BufferedImage img, int[] xy) { return img.getRGB(xy[0], xy[1]) & 0xFFFFFF; }

    static int rgb(java.awt.Color c) { return c.getRGB() & 0xFFFFFF; }

    @Test
    void busiestSliceFollowsTheDocumentedRule() {
        LabelTensor t = truth();
        assertEquals(12, SliceOverlay.busiestSlice(t, 0), "z with the widest box");
        // along y: rows 6..25 are in the z = 12 box; rows 10..21 in four more slices; row 5 has the class-2 voxel only
        assertEquals(10, SliceOverlay.busiestSlice(t, 1), "tie between y = 10 .. 21: the lowest");
        assertEquals(N / 2, SliceOverlay.busiestSlice(LabelTensor.zeros(N, N, N), 0), "no foreground: the middle");
        int[] one = new int[4 * 5 * 6];
        one[(3 * 5 + 2) * 6 + 1] = 2;
        LabelTensor single = LabelTensor.of(one, 4, 5, 6);
        assertArrayEquals(new int[] {3, 2, 1},
                new int[] {SliceOverlay.busiestSlice(single, 0), SliceOverlay.busiestSlice(single, 1), SliceOverlay.busiestSlice(single, 2)});
        assertEquals(Y, SliceOverlay.busiestSlice(truth(), 1, 2), "the only class-2 voxel's y");
        assertEquals(X, SliceOverlay.busiestSlice(truth(), 2, 2));
        assertEquals(N / 2, SliceOverlay.busiestSlice(truth(), 0, 3), "an absent class: the middle");
        var e = assertThrows(IllegalArgumentException.class, () -> SliceOverlay.busiestSlice(single, 3));
        assertTrue(e.getMessage().contains("axis must be 0, 1 or 2, got 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SliceOverlay.busiestSlice(single, 0, 0));
        assertTrue(e.getMessage().contains("cls must be a foreground class (>= 1), got 0"), e.getMessage());
    }

    @Test
    void writesReadablePngOfDocumentedSize(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("overlay.png");
        SliceOverlay.write(png, "phantom", image(), truth(), prediction(), NAMES, ISO);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        // 32^3 at 1 mm: 8 pixels per voxel, panels of 256 x 256
        SliceOverlay.Layout L = SliceOverlay.Layout.of(N, N, N, ISO, NAMES.length);
        assertEquals(256, L.panelW());
        assertArrayEquals(new int[] {256, 256}, L.panelH());
        assertEquals(2 * 10 + 3 * 256 + 2 * 8, img.getWidth());                       // 804
        assertEquals(10 + 30 + 22 + 2 * (20 + 256 + 8) + 22 + 10, img.getHeight());   // 662
        assertEquals(L.width(), img.getWidth());
        assertEquals(L.height(), img.getHeight());
    }

    @Test
    void anisotropicSpacingGivesSquareMillimetres() {
        // 16 slices of 2 mm, 32 x 32 rows and columns of 1 mm: 32 mm on every side
        SliceOverlay.Layout L = SliceOverlay.Layout.of(16, 32, 32, new double[] {2, 1, 1}, 3);
        assertArrayEquals(new double[] {16, 8, 8}, L.ppv(), 0);
        assertEquals(256, L.panelW());
        assertArrayEquals(new int[] {256, 256}, L.panelH(), "the coronal panel is as tall as wide: 16 x 2 mm = 32 x 1 mm");
        // a large volume is not upscaled; a very long one is shrunk to MAX_SIDE
        SliceOverlay.Layout big = SliceOverlay.Layout.of(300, 300, 300, ISO, 3);
        assertEquals(300, big.panelW());
        SliceOverlay.Layout tall = SliceOverlay.Layout.of(400, 100, 100, new double[] {5, 1, 1}, 3);
        assertEquals(SliceOverlay.MAX_SIDE, tall.panelH()[1]);
        assertEquals(SliceOverlay.MAX_SIDE * 100 / 2000, tall.panelW());
    }

    @Test
    void truthVoxelInItsColourInTheTruthPanelOnly() {
        BufferedImage img = SliceOverlay.render("t", image(), truth(), prediction(), NAMES, ISO, Z, Y);
        SliceOverlay.Layout L = SliceOverlay.Layout.of(N, N, N, ISO, NAMES.length);
        int c2 = rgb(SliceOverlay.classColour(2)), c1 = rgb(SliceOverlay.classColour(1));
        for (int row = 0; row < 2; row++) {
            int i = row == 0 ? Y : Z;                 // axial: (y, x); coronal: (z, x)
            int[] centre = L.pixelOf(row, 1, i, X);
            // the voxel is an 8 x 8 block: its border is the full class colour, its inside a 40 % blend over the grey
            int[] corner = {centre[0] - 4, centre[1] - 4};
            assertEquals(c2, rgb(img, corner), "row " + row + ": outline of the class-2 voxel in the truth panel");
            int grey = rgb(img, L.pixelOf(row, 0, i, X)) & 0xFF;
            assertEquals(rgb(img, L.pixelOf(row, 0, i, X)), grey * 0x010101, "the image panel is grey");
            assertEquals(SliceOverlay.blend(grey, SliceOverlay.classColour(2)), rgb(img, centre), "row " + row + ": 40 % fill");
            // the prediction has class 1 there: no pixel of the block is in class 2's colour
            int[] p = L.pixelOf(row, 2, i, X);
            for (int dy = -4; dy < 4; dy++) {
                for (int dx = -4; dx < 4; dx++) {
                    assertNotEquals(c2, rgb(img, new int[] {p[0] + dx, p[1] + dy}), "row " + row + ": no class 2 in the prediction");
                }
            }
            assertEquals(SliceOverlay.blend(grey, SliceOverlay.classColour(1)), rgb(img, p), "row " + row + ": predicted class 1 there");
            // a background voxel is plain grey in all three columns
            int[] bg = L.pixelOf(row, 1, 0, 0);
            int g0 = rgb(img, bg) & 0xFF;
            assertEquals(g0 * 0x010101, rgb(img, bg));
            assertNotEquals(c1, rgb(img, bg));
        }
    }

    @Test
    void indexZeroIsAtTheBottomOfEachPanel() {
        SliceOverlay.Layout L = SliceOverlay.Layout.of(16, 24, 32, ISO, 3);
        int[] low = L.pixelOf(0, 0, 0, 0), high = L.pixelOf(0, 0, 23, 0);
        assertTrue(low[1] > high[1], "axial: y = 0 below y = 23");
        assertTrue(low[1] >= L.rowY(0) + L.panelH()[0] - 8, "axial: y = 0 in the bottom voxel row");
        int[] zLow = L.pixelOf(1, 0, 0, 0), zHigh = L.pixelOf(1, 0, 15, 0);
        assertTrue(zLow[1] > zHigh[1], "coronal: z = 0 below z = 15");
        // the plane itself: display row 0 holds the highest index
        Tensor img = Tensor.zeros(1, 2, 3, 1);
        float[] v = img.toArray();
        for (int i = 0; i < v.length; i++) v[i] = i;   // value = z * 3 + y
        float[] axial = SliceOverlay.plane(Tensor.of(v, 1, 2, 3, 1), 0, 1, 2, 3, 1);
        assertArrayEquals(new float[] {5, 4, 3}, axial, "axial plane at z = 1, top row y = 2");
    }

    @Test
    void greyWindowIsThe1stTo99thPercentile() {
        float[] v = new float[101];
        for (int i = 0; i <= 100; i++) v[i] = i;
        v[100] = 1e6f;                                  // an outlier does not set the window
        assertArrayEquals(new double[] {1, 99}, SliceOverlay.window(v), 1e-9);
        assertEquals(0, SliceOverlay.grey(0, new double[] {1, 99}));
        assertEquals(255, SliceOverlay.grey(1e6, new double[] {1, 99}));
        assertEquals(128, SliceOverlay.grey(50, new double[] {1, 99}));
        assertEquals(128, SliceOverlay.grey(3, new double[] {3, 3}), "a flat window is mid-grey");
    }

    @Test
    void sameInputsSameBytes(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        SliceOverlay.write(a, "t", image(), truth(), prediction(), NAMES, new double[] {2, 1, 1});
        SliceOverlay.write(b, "t", image(), truth(), prediction(), NAMES, new double[] {2, 1, 1});
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void badArguments() {
        Tensor img = image();
        LabelTensor t = truth(), p = prediction();
        var e = assertThrows(IllegalArgumentException.class,
                () -> SliceOverlay.render("t", img, t, LabelTensor.zeros(N, N, N - 1), NAMES, ISO, 0, 0));
        assertTrue(e.getMessage().contains("prediction must have the shape of truth [32, 32, 32], got [32, 32, 31]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SliceOverlay.render("t", Tensor.zeros(1, N, N, 8), t, p, NAMES, ISO, 0, 0));
        assertTrue(e.getMessage().contains("same spatial sizes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SliceOverlay.render("t", Tensor.zeros(N, N, N), t, p, NAMES, ISO, 0, 0));
        assertTrue(e.getMessage().contains("image must have rank 4 [C, D, H, W], got [32, 32, 32]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SliceOverlay.render("t", img, t, p, new String[] {"background", "organ"}, ISO, 0, 0));
        assertTrue(e.getMessage().contains("truth labels must be in [0, 2)") && e.getMessage().contains("got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SliceOverlay.render("t", img, t, p, NAMES, new double[] {1, 1}, 0, 0));
        assertTrue(e.getMessage().contains("spacing must be [sz, sy, sx] (3 values), got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SliceOverlay.render("t", img, t, p, NAMES, new double[] {1, 0, 1}, 0, 0));
        assertTrue(e.getMessage().contains("spacing must be positive"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SliceOverlay.render("t", img, t, p, NAMES, ISO, N, 0));
        assertTrue(e.getMessage().contains("axialZ must be in [0, 32), got 32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SliceOverlay.render("t", img, t, p, NAMES, ISO, 0, -1));
        assertTrue(e.getMessage().contains("coronalY must be in [0, 32), got -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SliceOverlay.render("t", img, t, p, new String[0], ISO, 0, 0));
        assertTrue(e.getMessage().contains("classNames must name at least the background"), e.getMessage());
        Tensor nan = img.copy();
        nan.set(Float.NaN, 0, 1, 2, 3);
        e = assertThrows(IllegalArgumentException.class, () -> SliceOverlay.render("t", nan, t, p, NAMES, ISO, 0, 0));
        assertTrue(e.getMessage().contains("image channel 0 must be finite, got NaN at [0, 1, 2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SliceOverlay.render("t", img, t, null, NAMES, ISO, 0, 0));
        assertTrue(e.getMessage().contains("prediction must not be null"), e.getMessage());
    }

    /**
     * The example picture of the report: phantom seed 3, 64^3, with a made-up prediction (the
     * truth shifted by 2 voxels along x, lesions missed), in examples/target/viz/.
     */
    @Test
    void phantomExample() throws Exception {
        LabeledVolume v = Phantoms.generate(3, 64);
        int n = 64;
        int[] pred = new int[n * n * n];
        for (int z = 0; z < n; z++) {
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    int c = v.labels().get(z, y, Math.max(0, x - 2));
                    pred[(z * n + y) * n + x] = c == Phantoms.LESION ? Phantoms.ORGAN : c;
                }
            }
        }
        String[] names = {"background", "organ", "structure", "lesion"};
        Path png = Path.of("target", "viz", "phantom-overlay.png");
        SliceOverlay.write(png, "phantom seed 3, 64^3 (prediction: truth shifted 2 voxels in x, lesions missed)", v,
                LabelTensor.of(pred, n, n, n), names, new double[] {1, 1, 1});
        BufferedImage img = ImageIO.read(png.toFile());
        SliceOverlay.Layout L = SliceOverlay.Layout.of(n, n, n, ISO, names.length);
        assertEquals(L.width(), img.getWidth());
        assertEquals(L.height(), img.getHeight());
        // the same through the lesions' slices: the small class needs its own slice choice
        int z = SliceOverlay.busiestSlice(v.labels(), 0, Phantoms.LESION), y = SliceOverlay.busiestSlice(v.labels(), 1, Phantoms.LESION);
        boolean inAxial = false, inCoronal = false;     // each row shows lesion voxels (maybe of different lesions)
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                inAxial |= v.labels().get(z, a, b) == Phantoms.LESION;
                inCoronal |= v.labels().get(a, y, b) == Phantoms.LESION;
            }
        }
        assertTrue(inAxial && inCoronal, "lesion voxels in axial z = " + z + " and coronal y = " + y);
        SliceOverlay.write(Path.of("target", "viz", "phantom-overlay-lesions.png"),
                "phantom seed 3, 64^3, through the lesions (prediction misses them)", v.image(), v.labels(),
                LabelTensor.of(pred, n, n, n), names, new double[] {1, 1, 1}, z, y);
    }
}
