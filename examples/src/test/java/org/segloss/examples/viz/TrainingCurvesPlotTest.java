package org.segloss.examples.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingCurvesPlotTest {
    static final double NaN = Double.NaN;
    static final String[] NAMES = {"organ", "structure", "lesion"};

    static int[] epochs(int n) {
        int[] e = new int[n];
        for (int i = 0; i < n; i++) e[i] = i + 1;
        return e;
    }

    /** Whether any pixel within r of (x, y) has colour c. */
    static boolean near(BufferedImage img, double x, double y, int r, Color c) {
        int cx = (int) Math.round(x), cy = (int) Math.round(y);
        for (int dy = -r; dy <= r; dy++) {
            for (int dx = -r; dx <= r; dx++) {
                if ((img.getRGB(cx + dx, cy + dy) & 0xFFFFFF) == (c.getRGB() & 0xFFFFFF)) return true;
            }
        }
        return false;
    }

    @Test
    void writesReadablePngOfDocumentedSize(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("sub/curves.png");
        TrainingCurves.write(png, "dice-ce, seed 1", epochs(5), new double[] {1.2, 0.8, 0.5, 0.4, 0.35}, NAMES,
                new double[][] {{0.3, 0.6, 0.8, 0.85, 0.86}, {0.1, 0.4, 0.7, 0.9, 0.95}, {0, 0, 0.2, 0.5, 0.9}});
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "ImageIO reads the PNG");
        assertEquals(TrainingCurves.WIDTH, img.getWidth());
        assertEquals(TrainingCurves.HEIGHT, img.getHeight());
        assertEquals(1280, img.getWidth());
        assertEquals(480, img.getHeight());
    }

    @Test
    void sameInputsSameBytes(@TempDir Path dir) throws Exception {
        int[] e = epochs(12);
        double[] loss = new double[12], val = new double[12];
        double[][] dice = new double[3][12];
        for (int i = 0; i < 12; i++) {
            loss[i] = 2 * Math.exp(-i / 3.0);
            val[i] = loss[i] * 1.1;
            for (int k = 0; k < 3; k++) dice[k][i] = 1 - Math.exp(-(i + 1) / (2.0 + k));
        }
        dice[2][4] = NaN;
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        TrainingCurves.write(a, "run", e, loss, val, NAMES, dice);
        TrainingCurves.write(b, "run", e, loss, val, NAMES, dice);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void diceSeriesInTheirColours() {
        int[] e = epochs(5);
        double[][] dice = {{0.2, 0.3, 0.4, 0.5, 0.6}, {0.9, 0.9, 0.9, 0.9, 0.9}, {0.1, 0.1, 0.1, 0.1, 0.1}};
        BufferedImage img = TrainingCurves.render("t", e, new double[] {1, 0.5, 0.3, 0.2, 0.1}, null, NAMES, dice);
        TrainingCurves.Axis ax = new TrainingCurves.Axis(1, TrainingCurves.xRange(e), new double[] {0, 1}, 0.2);
        for (int k = 0; k < 3; k++) {
            Color c = Draw.colour(k);
            // every point has a marker (few epochs) and the line runs between them
            for (int i = 0; i < 5; i++) assertTrue(near(img, ax.px(e[i]), ax.py(dice[k][i]), 0, c), "marker of class " + k + " epoch " + e[i]);
            assertTrue(near(img, ax.px(2.5), ax.py((dice[k][1] + dice[k][2]) / 2), 1, c), "line of class " + k);
        }
        // the loss is black in the left panel
        TrainingCurves.Axis lossAx = new TrainingCurves.Axis(0, TrainingCurves.xRange(e), TrainingCurves.lossRange(new double[] {1, 0.5}, null), 0.2);
        assertTrue(near(img, lossAx.px(2), lossAx.py(0.5), 0, Color.BLACK));
    }

    @Test
    void oneEpochIsAPoint() {
        int[] e = {3};
        BufferedImage img = TrainingCurves.render("t", e, new double[] {0.7}, null, new String[] {"organ"}, new double[][] {{0.5}});
        assertArrayEquals(new double[] {2, 4}, TrainingCurves.xRange(e));
        TrainingCurves.Axis ax = new TrainingCurves.Axis(1, TrainingCurves.xRange(e), new double[] {0, 1}, 0.2);
        assertTrue(near(img, ax.px(3), ax.py(0.5), 0, Draw.colour(0)), "a marker at epoch 3, Dice 0.5");
        assertFalse(near(img, ax.px(2.5), ax.py(0.5), 2, Draw.colour(0)), "no line to the left of the single point");
    }

    @Test
    void nanIsAGapAndIsolatedPointsAreMarked() {
        int n = 60;                       // more than MARKER_LIMIT: only isolated points get markers
        int[] e = epochs(n);
        double[] d = new double[n], loss = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = 0.5;
            loss[i] = 1;
        }
        for (int i = 20; i < 30; i++) d[i] = NaN;     // a gap over epochs 21-30
        d[40] = 0.8;                                   // an isolated point at epoch 41 between gaps
        d[39] = NaN;
        d[41] = NaN;
        BufferedImage img = TrainingCurves.render("t", e, loss, null, new String[] {"organ"}, new double[][] {d});
        TrainingCurves.Axis ax = new TrainingCurves.Axis(1, TrainingCurves.xRange(e), new double[] {0, 1}, 0.2);
        Color c = Draw.colour(0);
        assertTrue(near(img, ax.px(10.5), ax.py(0.5), 1, c), "line before the gap");
        assertFalse(near(img, ax.px(25), ax.py(0.5), 2, c), "nothing inside the gap");
        assertTrue(near(img, ax.px(41), ax.py(0.8), 0, c), "marker on the isolated point");
        assertFalse(near(img, ax.px(40.5), ax.py(0.65), 1, c), "no line into the isolated point");
    }

    @Test
    void lossOverOrdersOfMagnitudeIsLinearFromZero() {
        double[] r = TrainingCurves.lossRange(new double[] {120, 3, 0.01, NaN, Double.POSITIVE_INFINITY}, null);
        assertArrayEquals(new double[] {0, 150}, r, 1e-12);     // ticks of 50
        assertArrayEquals(new double[] {0, 1}, TrainingCurves.lossRange(new double[] {NaN}, null));
        assertArrayEquals(new double[] {0, 0.5}, TrainingCurves.lossRange(new double[] {0.3}, new double[] {0.45}), 1e-12);
        assertArrayEquals(new double[] {-2, 4}, TrainingCurves.lossRange(new double[] {-1.5, 3.2}, null), 1e-12);
        TrainingCurves.render("t", epochs(5), new double[] {120, 3, 0.01, NaN, 0.001}, null, NAMES, new double[3][5]);
    }

    @Test
    void tickLabels() {
        assertEquals("0.2", Draw.tickLabel(0.2, 0.2));
        assertEquals("0.0", Draw.tickLabel(0, 0.2));
        assertEquals("20", Draw.tickLabel(20, 20));
        assertEquals("0.05", Draw.tickLabel(0.05, 0.05));
        assertEquals("0.0", Draw.tickLabel(-1e-17, 0.1));
        assertEquals(5.0, Draw.niceStep(3.1), 0);
        assertEquals(0.2, Draw.niceStep(0.2), 1e-15);
        assertEquals(10.0, Draw.niceStep(6), 0);
    }

    /** The example picture of the report, in examples/target/viz/: 30 made-up epochs with a gap and a validation loss. */
    @Test
    void example() throws Exception {
        int n = 30;
        double[] loss = new double[n], val = new double[n];
        double[][] dice = new double[3][n];
        for (int i = 0; i < n; i++) {
            loss[i] = 1.6 * Math.exp(-i / 4.0) + 0.08 + 0.02 * Math.sin(i);
            val[i] = loss[i] * 1.15 + 0.03;
            dice[0][i] = 0.88 * (1 - Math.exp(-(i + 1) / 3.0));
            dice[1][i] = 0.95 * (1 - Math.exp(-(i + 1) / 6.0));
            dice[2][i] = i < 8 ? 0 : 0.9 * (1 - Math.exp(-(i - 7) / 5.0));
        }
        dice[2][15] = NaN;                             // e.g. lesions absent from the validation volumes that epoch
        Path png = Path.of("target", "viz", "curves-example.png");
        TrainingCurves.write(png, "segloss train --loss dice-ce --seed 2026 (made-up numbers)", epochs(n), loss, val, NAMES, dice);
        assertEquals(TrainingCurves.WIDTH, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void badArguments() {
        String[] one = {"organ"};
        var e = assertThrows(IllegalArgumentException.class,
                () -> TrainingCurves.render("t", new int[0], new double[0], null, one, new double[][] {{}}));
        assertTrue(e.getMessage().contains("epochs must not be empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingCurves.render("t", epochs(3), new double[2], null, one, new double[][] {{0, 0, 0}}));
        assertTrue(e.getMessage().contains("loss") && e.getMessage().contains("expected length 3, got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingCurves.render("t", epochs(3), new double[3], new double[4], one, new double[][] {{0, 0, 0}}));
        assertTrue(e.getMessage().contains("validationLoss") && e.getMessage().contains("expected length 3, got 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingCurves.render("t", epochs(3), new double[3], null, NAMES, new double[][] {{0, 0, 0}}));
        assertTrue(e.getMessage().contains("dicePerClass") && e.getMessage().contains("expected 3 rows, got 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingCurves.render("t", epochs(3), new double[3], null, one, new double[][] {{0, 0}}));
        assertTrue(e.getMessage().contains("dicePerClass[0] (organ)") && e.getMessage().contains("expected length 3, got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingCurves.render("t", epochs(3), new double[3], null, one, new double[][] {{0, 1.5, 0}}));
        assertTrue(e.getMessage().contains("dicePerClass[0][1]") && e.getMessage().contains("[0, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingCurves.render("t", new int[] {1, 3, 3}, new double[3], null, one, new double[][] {{0, 0, 0}}));
        assertTrue(e.getMessage().contains("strictly increasing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainingCurves.render("t", null, new double[3], null, one, new double[1][3]));
        assertTrue(e.getMessage().contains("epochs must not be null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingCurves.write(null, "t", epochs(1), new double[1], one, new double[1][1]));
        assertTrue(e.getMessage().contains("png must not be null"), e.getMessage());
    }
}
