package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.loss.GeneralizedWassersteinDiceLoss.Weighting;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** Known values, identities and bad arguments of {@link GeneralizedWassersteinDiceLoss}; each row says where its value came from. */
class GeneralizedWassersteinDiceLossTest {
    // spec/reference-values.md, example E: logits B=2, C=3, 2×2 and its labels
    static final Tensor E = Tensor.of(new float[] {
        2.0f, 0.5f, 0.1f, -1.0f,   0.3f, 1.5f, 0.2f, 0.4f,   -0.5f, 0.0f, 1.2f, 0.8f,
        0.0f, 0.0f, 1.0f, -2.0f,   1.0f, 0.5f, 0.0f, 0.3f,   0.5f, -1.0f, -1.0f, 2.0f}, 2, 3, 2, 2);
    static final LabelTensor E_LABELS = LabelTensor.of(new int[] {0, 1, 2, 2, 1, 1, 0, 2}, 2, 2, 2);
    static final double[][] M3 = {{0, 1, 1}, {1, 0, 0.5}, {1, 0.5, 0}};

    static GeneralizedWassersteinDiceLoss.Builder gwdl(double[][] m) {
        return GeneralizedWassersteinDiceLoss.builder().distanceMatrix(m);
    }

    static float[] values(Loss l, Tensor x, LabelTensor y) {
        return l.forward(Var.constant(x), y).value().toArray();
    }

    @Test
    void d5DefaultWeightingOnE() {   // spec/reference-values.md D5: [0.203920, 0.210206] / mean 0.207063
        assertArrayEquals(new float[] {0.203920f, 0.210206f},
                values(gwdl(M3).reduction(Reduction.NONE).build(), E, E_LABELS), 2e-6f);
        assertEquals(0.207063f, values(gwdl(M3).build(), E, E_LABELS)[0], 2e-6f);
        assertEquals(2 * 0.207063f, values(gwdl(M3).reduction(Reduction.SUM).build(), E, E_LABELS)[0], 4e-6f);
    }

    @Test
    void d6GdlWeightingOnE() {       // spec/reference-values.md D6: [0.155073, 0.158948] / mean 0.157011
        assertArrayEquals(new float[] {0.155073f, 0.158948f},
                values(gwdl(M3).weighting(Weighting.GDL).reduction(Reduction.NONE).build(), E, E_LABELS), 2e-6f);
        assertEquals(0.157011f, values(gwdl(M3).weighting(Weighting.GDL).build(), E, E_LABELS)[0], 2e-6f);
    }

    @Test
    void fidonSmoothingIsReproducible() {   // D5/D6 recomputed in NumPy with s = np.spacing(1)
        Loss d = gwdl(M3).smoothNr(GeneralizedWassersteinDiceLoss.FIDON_SMOOTH).smoothDr(GeneralizedWassersteinDiceLoss.FIDON_SMOOTH)
                .reduction(Reduction.NONE).build();
        assertArrayEquals(new float[] {0.20392018f, 0.2102066f}, values(d, E, E_LABELS), 2e-6f);
        Loss g = gwdl(M3).weighting(Weighting.GDL).smoothNr(GeneralizedWassersteinDiceLoss.FIDON_SMOOTH)
                .smoothDr(GeneralizedWassersteinDiceLoss.FIDON_SMOOTH).reduction(Reduction.NONE).build();
        assertArrayEquals(new float[] {0.15507336f, 0.15894902f}, values(g, E, E_LABELS), 2e-6f);
        assertEquals(2.220446049250313e-16, GeneralizedWassersteinDiceLoss.FIDON_SMOOTH, 1e-22);
    }

    @Test
    void gradientOnEMatchesCentralDifferencesOfTheFormula() {
        // d(mean GWDL)/dz on E, central differences (h = 1e-6) of a float64 NumPy implementation of spec/losses/generalized-wasserstein-dice.md#formula
        float[] defaultGrad = {-0.0123573f, 0.0182395f, 0.0153831f, 0.0073953f, 0.0085262f, -0.0213851f, 0.0047899f,
            0.0093743f, 0.0038311f, 0.0031456f, -0.0201729f, -0.0167696f, 0.0135038f, 0.0221126f, -0.0159573f, 0.0015216f,
            -0.0189032f, -0.0235524f, 0.0116657f, 0.0068257f, 0.0053994f, 0.0014398f, 0.0042916f, -0.0083473f};
        float[] gdlGrad = {-0.0165624f, 0.0161649f, 0.0090889f, 0.0043694f, 0.0114276f, -0.0189527f, 0.0028300f,
            0.0055387f, 0.0051348f, 0.0027878f, -0.0119189f, -0.0099081f, 0.0082596f, 0.0135252f, -0.0224336f, 0.0013960f,
            -0.0115621f, -0.0144058f, 0.0164003f, 0.0062624f, 0.0033025f, 0.0008806f, 0.0060333f, -0.0076584f};
        for (Weighting w : Weighting.values()) {
            Var z = Var.param(E);
            gwdl(M3).weighting(w).build().forward(z, E_LABELS).backward();
            assertArrayEquals(w == Weighting.DEFAULT ? defaultGrad : gdlGrad, z.grad().toArray(), 2e-7f, w.toString());
        }
    }

    @Test
    void binaryMatrixEqualsForegroundSoftDice() {   // spec/reference-values.md R15, spec/contract.md edge case 13
        for (long seed = 1; seed <= 5; seed++) {
            Tensor x = Tensor.randn(seed, 2, 2, 3, 4).mul(2f);
            LabelTensor y = LabelTensor.randomLabels(seed + 100, 2, 2, 3, 4);
            float gw = values(gwdl(GeneralizedWassersteinDiceLoss.binary(2)).build(), x, y)[0];
            float dice = values(DiceLoss.builder().includeBackground(false).build(), x, y)[0];
            assertEquals(dice, gw, 1e-6f, "seed " + seed);
            // gradients too
            Var a = Var.param(x), b = Var.param(x);
            gwdl(GeneralizedWassersteinDiceLoss.binary(2)).build().forward(a, y).backward();
            DiceLoss.builder().includeBackground(false).build().forward(b, y).backward();
            assertTrue(a.grad().maxAbsDiff(b.grad()) < 1e-6f, "gradients, seed " + seed);
        }
    }

    /** A 4×4 square of class 1 in an 8×8 background, as MONAI's test_generalized_wasserstein_dice_loss (R16). */
    static LabelTensor square(boolean empty) {
        int[] y = new int[64];
        if (!empty) for (int r = 2; r < 6; r++) for (int c = 2; c < 6; c++) y[r * 8 + c] = 1;
        return LabelTensor.of(y, 1, 8, 8);
    }

    static Tensor logits(LabelTensor y, boolean inverted) {   // ±1000: softmax saturates to exact 0/1
        Tensor oh = y.oneHot(2);
        if (inverted) oh = oh.mul(-1f).add(1f);
        return oh.mul(2000f).add(-1000f);
    }

    @Test
    void perfectIsZeroAndInvertedIsOne() {   // spec/reference-values.md R16: both modes, with and without an empty class
        for (Weighting w : Weighting.values()) {
            for (boolean empty : new boolean[] {false, true}) {
                LabelTensor y = square(empty);
                Loss l = gwdl(GeneralizedWassersteinDiceLoss.binary(2)).weighting(w).build();
                assertEquals(0f, values(l, logits(y, false), y)[0], 1e-6f, w + " perfect, empty=" + empty);
                assertEquals(1f, values(l, logits(y, true), y)[0], 1e-4f, w + " inverted, empty=" + empty);
                // 3-D with depth 1 gives the same
                Tensor x3 = logits(y, true).reshape(1, 2, 1, 8, 8);
                assertEquals(values(l, logits(y, true), y)[0], values(l, x3, y.reshape(1, 1, 8, 8))[0], 0f);
            }
        }
    }

    @Test
    void batchOfIdenticalSamplesEqualsOneAndMixedBatchIsTheMeanOfSingles() {   // MONAI #4650 must not exist
        for (Weighting w : Weighting.values()) {
            Loss l = gwdl(new double[][] {{0, 1, 1, 1}, {1, 0, 0.6, 0.2}, {1, 0.6, 0, 0.5}, {1, 0.2, 0.5, 0}}).weighting(w).build();
            Tensor x0 = Tensor.randn(3, 1, 4, 3, 5), x1 = Tensor.randn(4, 1, 4, 3, 5).mul(2f);
            LabelTensor y0 = LabelTensor.randomLabels(5, 4, 1, 3, 5), y1 = LabelTensor.randomLabels(6, 4, 1, 3, 5);
            float v0 = values(l, x0, y0)[0], v1 = values(l, x1, y1)[0];
            Tensor x00 = Tensor.concat(0, x0, x0, x0);
            LabelTensor y00 = cat(y0, y0, y0);
            assertEquals(v0, values(l, x00, y00)[0], 1e-6f, w + ": three identical samples");
            assertEquals((v0 + v1) / 2, values(l, Tensor.concat(0, x0, x1), cat(y0, y1))[0], 1e-6f, w + ": mixed batch");
            Loss none = gwdl(new double[][] {{0, 1, 1, 1}, {1, 0, 0.6, 0.2}, {1, 0.6, 0, 0.5}, {1, 0.2, 0.5, 0}})
                    .weighting(w).reduction(Reduction.NONE).build();
            Var perSample = none.forward(Var.constant(Tensor.concat(0, x0, x1)), cat(y0, y1));
            assertEquals(Shape.of(2), perSample.shape());
            assertArrayEquals(new float[] {v0, v1}, perSample.value().toArray(), 1e-6f);
        }
    }

    static LabelTensor cat(LabelTensor... ys) {
        int n = ys[0].size();
        int[] v = new int[n * ys.length];
        for (int i = 0; i < ys.length; i++) System.arraycopy(ys[i].toArray(), 0, v, i * n, n);
        int[] d = ys[0].shape().dims();
        d[0] = ys.length;
        return LabelTensor.of(v, d);
    }

    @Test
    void normalisationByTheMaximum() {   // the Fidon vector gwdl_fidon_2d_default_M3x2_normalised: 2·M gives the same loss
        double[][] twice = {{0, 2, 2}, {2, 0, 1}, {2, 1, 0}};
        assertEquals(values(gwdl(M3).build(), E, E_LABELS)[0], values(gwdl(twice).build(), E, E_LABELS)[0], 0f);
        float[][] m = gwdl(twice).build().distanceMatrix();
        assertArrayEquals(new float[] {1f, 0f, 0.5f}, m[1], 0f);
    }

    @Test
    void oneHotTargetEqualsLabelMapAndProbabilitiesEqualLogits() {
        Loss l = gwdl(M3).build();
        assertEquals(values(l, E, E_LABELS)[0], l.forward(Var.constant(E), E_LABELS.oneHot(3)).item(), 0f);
        Loss probs = gwdl(M3).activation(Activation.NONE).build();
        assertEquals(values(l, E, E_LABELS)[0], values(probs, E.softmax(1), E_LABELS)[0], 1e-6f);
    }

    @Test
    void ignoredVoxelsAreExcluded() {
        // ignoring a voxel equals cutting it out of the image (MONAI's ignore_index invariance)
        Loss l = gwdl(M3).ignoreIndex(255).reduction(Reduction.NONE).build();
        int[] y = E_LABELS.toArray();
        y[1] = 255;   // sample 0, voxel (0, 1)
        LabelTensor ignored = LabelTensor.of(y, 2, 2, 2);
        // sample 0 without voxel 1 = its three remaining voxels as a 1×3 image
        float[] x = E.toArray();
        float[] crop = {x[0], x[2], x[3], x[4], x[6], x[7], x[8], x[10], x[11]};
        Loss plain = gwdl(M3).reduction(Reduction.NONE).build();
        float expected = values(plain, Tensor.wrap(crop, 1, 3, 1, 3), LabelTensor.of(new int[] {0, 2, 2}, 1, 1, 3))[0];
        Var p = Var.param(E);
        Var v = l.forward(p, ignored);
        assertEquals(expected, v.value().at(0), 1e-6f);
        v.sum().backward();
        for (int k = 0; k < 3; k++) assertEquals(0f, p.grad().at(k * 4 + 1), 0f, "gradient at the ignored voxel, channel " + k);
        // GDL: the ignored voxel leaves the volumes too
        Loss gdl = gwdl(M3).weighting(Weighting.GDL).ignoreIndex(255).reduction(Reduction.NONE).build();
        Loss gdlPlain = gwdl(M3).weighting(Weighting.GDL).reduction(Reduction.NONE).build();
        assertEquals(values(gdlPlain, Tensor.wrap(crop, 1, 3, 1, 3), LabelTensor.of(new int[] {0, 2, 2}, 1, 1, 3))[0],
                values(gdl, E, ignored)[0], 1e-6f);
    }

    @Test
    void gradCheckWithRandomMatrices() {
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 6; trial++) {
            int c = 2 + r.nextInt(3);
            double[][] m = new double[c][c];
            for (int a = 0; a < c; a++) for (int b = 0; b < c; b++) m[a][b] = a == b ? 0 : 0.1 + 2 * r.nextDouble();
            Weighting w = trial % 2 == 0 ? Weighting.DEFAULT : Weighting.GDL;
            Loss l = gwdl(m).weighting(w).build();
            Tensor x = Tensor.randn(r.nextLong(), 2, c, 3, 3).mul(1.5f);
            LabelTensor y = LabelTensor.randomLabels(r.nextLong(), c, 2, 3, 3);
            GradCheck.Report rep = GradCheck.check(v -> l.forward(v[0], y), x);
            assertTrue(rep.passed(), w + ", C=" + c + ": " + rep);
        }
    }

    @Test
    void wassersteinMapAloneChecksItsBackward() {
        float[][] m = {{0f, 0.3f, 1f}, {0.7f, 0f, 0.2f}, {1f, 0.4f, 0f}};   // asymmetric on purpose
        int[] y = {0, 2, 1, -1, 2, 0};
        Tensor p = Tensor.uniform(3, 0f, 1f, 2, 3, 3);
        GradCheck.Report rep = GradCheck.check(v -> new GeneralizedWassersteinDiceLoss.WassersteinMap(m, y).apply(v[0]), p);
        assertTrue(rep.passed(), rep.toString());
        Tensor w = new GeneralizedWassersteinDiceLoss.WassersteinMap(m, y).apply(Var.constant(p)).value();
        assertEquals(Shape.of(2, 3), w.shape());
        // W[0, 1] = Σ_c M[2, c] p[0, c, 1]
        assertEquals(m[2][0] * p.get(0, 0, 1) + m[2][1] * p.get(0, 1, 1), w.get(0, 1), 1e-6f);
        assertEquals(0f, w.get(1, 0), 0f, "ignored voxel");
    }

    @Test
    void classTreeMatrix() {
        // background 0, edema 1, enhancing 2, necrosis 3; root 4, tumour 5 (under root), core 6 (under tumour)
        double[][] m = GeneralizedWassersteinDiceLoss.fromClassTree(4, new int[] {4, 5, 6, 6, -1, 4, 5}, null);
        double[][] expected = {{0, 0.75, 1, 1}, {0.75, 0, 0.75, 0.75}, {1, 0.75, 0, 0.5}, {1, 0.75, 0.5, 0}};
        for (int a = 0; a < 4; a++) assertArrayEquals(expected[a], m[a], 1e-12, "row " + a);
        // edge lengths: a long edge from the root to "tumour" pushes the background away
        double[][] w = GeneralizedWassersteinDiceLoss.fromClassTree(3, new int[] {3, 4, 4, -1, 3},
                new double[] {1, 1, 1, 0, 3});
        // d(0,1) = 1 + 3 + 1 = 5 = d(0,2), d(1,2) = 2; max 5
        assertArrayEquals(new double[] {0, 1, 1}, w[0], 1e-12);
        assertArrayEquals(new double[] {1, 0, 0.4}, w[1], 1e-12);
        // usable as a distance matrix
        assertTrue(values(gwdl(m).build(), Tensor.randn(1, 1, 4, 2, 2), LabelTensor.randomLabels(2, 4, 1, 2, 2))[0] >= 0f);
    }

    @Test
    void classTreeRejectsBadTrees() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GeneralizedWassersteinDiceLoss.fromClassTree(2, new int[] {2, 2, -1, -1}, null));
        assertTrue(e.getMessage().contains("exactly one root") && e.getMessage().contains("got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GeneralizedWassersteinDiceLoss.fromClassTree(2, new int[] {1, 2, 1, -1}, null));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GeneralizedWassersteinDiceLoss.fromClassTree(2, new int[] {2, 2, -1}, new double[] {1, -1, 0}));
        assertTrue(e.getMessage().contains("edgeLength[1]") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GeneralizedWassersteinDiceLoss.fromClassTree(3, new int[] {3, -1}, null));
        assertTrue(e.getMessage().contains("parent"), e.getMessage());
    }

    @Test
    void badDistanceMatricesAreRejectedAtConstruction() {   // spec/contract.md bad input 11
        String[][] cases = {
            {"square", "row 1 of length 2"},
            {"finite and >= 0", "-0.5"},
            {"diagonal must be 0", "[1][1]"},
            {"finite and >= 0", "NaN"},
            {"positive entry", "all zeros"},
            {"C >= 2", "1 rows"}};
        double[][][] ms = {
            {{0, 1, 1}, {1, 0}, {1, 1, 0}},
            {{0, -0.5}, {1, 0}},
            {{0, 1}, {1, 0.2}},
            {{0, Double.NaN}, {1, 0}},
            {{0, 0}, {0, 0}},
            {{0}}};
        for (int i = 0; i < ms.length; i++) {
            double[][] m = ms[i];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gwdl(m).build());
            assertTrue(e.getMessage().startsWith("GeneralizedWassersteinDiceLoss: distanceMatrix"), e.getMessage());
            for (String part : cases[i]) assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> GeneralizedWassersteinDiceLoss.builder().build());
        float[][] inf = {{0f, Float.POSITIVE_INFINITY}, {1f, 0f}};
        assertThrows(IllegalArgumentException.class, () -> GeneralizedWassersteinDiceLoss.builder().distanceMatrix(inf).build());
    }

    @Test
    void badOptionsAndInputsAreRejected() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> gwdl(M3).activation(Activation.SIGMOID).build())
                .getMessage().contains("SIGMOID"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> gwdl(M3).includeBackground(false).build())
                .getMessage().contains("includeBackground"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> gwdl(M3).softLabel(true).build())
                .getMessage().contains("softLabel"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> gwdl(M3).weight(1, 1, 1).build())
                .getMessage().contains("weight"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> gwdl(M3).smoothDr(0f).build())
                .getMessage().contains("smoothDr"));
        // C mismatch
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> gwdl(GeneralizedWassersteinDiceLoss.binary(2)).build().forward(Var.constant(E), E_LABELS));
        assertTrue(e.getMessage().contains("2×2") && e.getMessage().contains("3 channels"), e.getMessage());
        // probabilities that do not sum to 1 (logits given with activation NONE scaled into [0, 1])
        Tensor notDistributions = E.sigmoid();
        e = assertThrows(IllegalArgumentException.class,
                () -> gwdl(M3).activation(Activation.NONE).build().forward(Var.constant(notDistributions), E_LABELS));
        assertTrue(e.getMessage().contains("summing to 1"), e.getMessage());
        // soft target
        Tensor soft = E_LABELS.oneHot(3).mul(0.5f).add(0.1f);
        e = assertThrows(IllegalArgumentException.class, () -> gwdl(M3).build().forward(Var.constant(E), soft));
        assertTrue(e.getMessage().contains("one-hot"), e.getMessage());
        // labels out of range
        e = assertThrows(IllegalArgumentException.class,
                () -> gwdl(M3).build().forward(Var.constant(E), LabelTensor.of(new int[] {0, 1, 2, 3, 0, 0, 0, 0}, 2, 2, 2)));
        assertTrue(e.getMessage().contains("[0, 3)") && e.getMessage().contains("got 3"), e.getMessage());
    }
}
