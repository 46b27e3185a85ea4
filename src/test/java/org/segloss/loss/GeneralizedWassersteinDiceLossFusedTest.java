package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.loss.GeneralizedWassersteinDiceLoss.Weighting;
import org.segloss.loss.RegionStatisticsTest.Case;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * The fused GWDL path (SOFTMAX + label map: {@link RegionStatistics.ConfusionSums}, then small ops on
 * {@code [B, C, C]}) against the composed path it replaces (activation NONE over the graph's own
 * softmax, with the label map and with the one-hot target), and the primitive itself.
 */
class GeneralizedWassersteinDiceLossFusedTest {
    static final int IGNORE = RegionStatisticsTest.IGNORE;

    /** The cases of RegionStatisticsTest plus ones where classes are absent (labels from {0, C-1} only, or one class). */
    static List<Case> cases() {
        List<Case> out = new ArrayList<>(RegionStatisticsTest.cases());
        SplittableRandom r = new SplittableRandom(5);
        int[][] shapes = {{2, 4, 9, 300}, {3, 3, 5, 5, 5}};
        for (int[] s : shapes) {
            int b = s[0], c = s[1];
            int n = b;
            for (int i = 2; i < s.length; i++) n *= s[i];
            int[] lab = new int[n];
            for (int i = 0; i < n; i++) {
                int bi = i / (n / b);
                lab[i] = r.nextInt(7) == 0 ? IGNORE : bi == 0 ? 0 : bi == 1 ? (r.nextBoolean() ? 0 : c - 1) : 1;
            }
            int[] ld = new int[s.length - 1];
            ld[0] = b;
            System.arraycopy(s, 2, ld, 1, s.length - 2);
            out.add(new Case(Tensor.randn(r.nextLong(), s).mul(3f), LabelTensor.of(lab, ld), c));
        }
        return out;
    }

    /** Distance matrices for C classes: binary, a random asymmetric one (normalised by build), and Fidon's for C = 4. */
    static List<double[][]> matrices(int c, long seed) {
        List<double[][]> out = new ArrayList<>();
        out.add(GeneralizedWassersteinDiceLoss.binary(c));
        SplittableRandom r = new SplittableRandom(seed);
        double[][] m = new double[c][c];
        for (int i = 0; i < c; i++) for (int k = 0; k < c; k++) m[i][k] = i == k ? 0 : 0.1 + 2 * r.nextDouble();
        out.add(m);
        if (c == 4) out.add(new double[][] {{0, 1, 1, 1}, {1, 0, 0.6, 0.2}, {1, 0.6, 0, 0.5}, {1, 0.2, 0.5, 0}});
        return out;
    }

    @Test
    void fusedMatchesComposedPath() {
        int checked = 0;
        for (Case k : cases()) {
            for (double[][] m : matrices(k.c(), k.c() * 31L)) {
                for (Weighting w : Weighting.values()) {
                    for (Reduction red : new Reduction[] {Reduction.NONE, Reduction.MEAN}) {
                        GeneralizedWassersteinDiceLoss soft = GeneralizedWassersteinDiceLoss.builder().distanceMatrix(m)
                                .weighting(w).ignoreIndex(IGNORE).reduction(red).build();
                        GeneralizedWassersteinDiceLoss none = GeneralizedWassersteinDiceLoss.builder().distanceMatrix(m)
                                .weighting(w).ignoreIndex(IGNORE).reduction(red).activation(Activation.NONE).build();
                        Var xf = Var.param(k.x().copy()), xo = Var.param(k.x().copy()), xn = Var.param(k.x().copy());
                        Var f = soft.forward(xf, k.labels());                                  // fused
                        Var o = none.forward(xo.softmax(1), k.labels().oneHot(k.c(), IGNORE)); // composed (one-hot target)
                        Var n = none.forward(xn.softmax(1), k.labels());                      // composed (labels)
                        String ctx = k.x().shape() + " w=" + w + " red=" + red + " M=" + java.util.Arrays.deepToString(m);
                        assertArrayEquals(f.value().toArray(), soft.forward(Var.constant(k.x()), k.labels().oneHot(k.c(), IGNORE))
                                .value().toArray(), ctx + " fused: one-hot target = labels");
                        float[] vf = f.value().toArray(), vo = o.value().toArray(), vn = n.value().toArray();
                        for (int i = 0; i < vf.length; i++) {
                            assertEquals(vo[i], vf[i], 2e-6 * Math.max(1e-2, Math.abs(vo[i])), ctx + " value " + i);
                            assertEquals(vn[i], vf[i], 2e-6 * Math.max(1e-2, Math.abs(vn[i])), ctx + " value (NONE) " + i);
                        }
                        f.sum().backward();
                        o.sum().backward();
                        n.sum().backward();
                        float[] gf = xf.grad().toArray(), go = xo.grad().toArray(), gn = xn.grad().toArray();
                        double max = 0;
                        for (float v : go) max = Math.max(max, Math.abs(v));
                        for (int i = 0; i < gf.length; i++) {
                            assertEquals(go[i], gf[i], 1e-5 * max + 1e-12, ctx + " grad " + i);
                            assertEquals(gn[i], gf[i], 1e-5 * max + 1e-12, ctx + " grad (NONE) " + i);
                        }
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 50, "cases checked: " + checked);
    }

    @Test
    void sumsMatchSoftmaxAndOneHot() {
        for (Case k : cases()) {
            Tensor s = RegionStatistics.confusionSums(Var.constant(k.x()), k.labels(), IGNORE).value();
            int b = k.x().dim(0), c = k.c(), sp = k.x().size() / (b * c);
            Tensor p = k.x().softmax(1);
            for (int bi = 0; bi < b; bi++) {
                for (int g = 0; g < c; g++) {
                    for (int l = 0; l < c; l++) {
                        double acc = 0;
                        for (int i = 0; i < sp; i++) if (k.labels().at(bi * sp + i) == g) acc += p.at((bi * c + l) * sp + i);
                        assertEquals(acc, s.at((bi * c + g) * c + l), 1e-5 * Math.max(1, acc), k.x().shape() + " S[" + bi + "," + g + "," + l + "]");
                    }
                }
            }
        }
    }

    @Test
    void gradCheckWithAndWithoutIgnoredVoxels() {
        Tensor x = Tensor.randn(3, 2, 3, 4, 5);
        LabelTensor lab = LabelTensor.randomLabels(4, 3, 2, 4, 5);
        Tensor w = Tensor.uniform(6, -1f, 1f, 2, 3, 3);
        for (int ignore : new int[] {SegmentationLoss.NO_IGNORE, 2}) {   // label 2 ignored in the second run
            GradCheck.Report r = GradCheck.check(v -> RegionStatistics.confusionSums(v[0], lab, ignore).mul(w), x);
            assertTrue(r.passed(), r.toString());
        }
    }

    @Test
    void bitIdenticalForAnyThreadCount() {
        Case k = cases().get(7);
        int saved = Parallel.threads();
        try {
            float[][] f = new float[2][], g = new float[2][];
            int[] threads = {1, 4};
            for (int t = 0; t < 2; t++) {
                Parallel.setThreads(threads[t]);
                Var x = Var.param(k.x().copy());
                Var s = RegionStatistics.confusionSums(x, k.labels(), IGNORE);
                s.mul(Tensor.randn(9, s.shape().dims())).sum().backward();
                f[t] = s.value().toArray();
                g[t] = x.grad().toArray();
            }
            assertArrayEquals(f[0], f[1]);
            assertArrayEquals(g[0], g[1]);
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void rejectsMismatchedLabels() {
        Tensor x = Tensor.randn(1, 2, 3, 4, 5);
        LabelTensor lab = LabelTensor.randomLabels(2, 3, 2, 4, 4);
        assertThrows(IllegalArgumentException.class, () -> RegionStatistics.confusionSums(Var.constant(x), lab, IGNORE));
    }

    /**
     * The kept-softmax path gives the bits of the recomputing one (forward and backward), with and
     * without ignored voxels, at chunk tails of one voxel and with C = 17.
     */
    @Test
    void keptSoftmaxGivesTheBitsOfTheRecomputedOne() {
        List<Case> all = new ArrayList<>(cases());
        SplittableRandom r = new SplittableRandom(5);
        int[] lab17 = new int[2 * 2049];
        for (int i = 0; i < lab17.length; i++) lab17[i] = r.nextInt(5) == 0 ? IGNORE : r.nextInt(17);
        all.add(new Case(Tensor.randn(3, 2, 17, 2049).mul(3f), LabelTensor.of(lab17, 2, 2049), 17));
        for (Case k : all) {
            Tensor recomputed = org.segloss.tensor.SoftmaxSums.confusionSums(k.x(), k.labels(), IGNORE);
            Tensor p = Tensor.full(Float.NaN, k.x().shape().dims());
            Tensor kept = org.segloss.tensor.SoftmaxSums.confusionSums(k.x(), k.labels(), IGNORE, p, null);
            assertArrayEquals(recomputed.toArray(), kept.toArray(), "forward " + k.x().shape());
            Tensor g = Tensor.randn(9, recomputed.shape().dims());
            float[] expected = org.segloss.tensor.SoftmaxSums.confusionSumsBackward(k.x(), k.labels(), IGNORE, g).toArray();
            Tensor got = org.segloss.tensor.SoftmaxSums.confusionSumsBackwardFromSoftmax(p, k.labels(), IGNORE, g);
            assertTrue(got == p, "the gradient is written over the kept softmax");
            assertArrayEquals(expected, got.toArray(), "backward " + k.x().shape());
        }
    }

    @Test
    void aLabelOutsideTheClassesIsNamedWithItsIndex() {
        Tensor x = Tensor.randn(1, 2, 3, 1, 2100);
        int[] y = new int[2 * 2100];
        y[2 * 2100 - 3] = 3;   // in the second sample's last chunk
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RegionStatistics.confusionSums(Var.param(x), LabelTensor.of(y, 2, 1, 2100), IGNORE));
        assertEquals("confusionSums: labels must be in [0, 3) or the ignore value " + IGNORE + ", got 3 at flat index "
                + (2 * 2100 - 3), e.getMessage());
    }
}
