package org.segloss.loss;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.MultiFunction;
import org.segloss.autograd.PlantedErrors;
import org.segloss.autograd.PlantedFault;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.SoftmaxSums.Terms;
import org.segloss.tensor.SoftmaxSums.Total;
import org.segloss.tensor.Tensor;

/**
 * Planted errors of x1.01 and x0.99 in the losses' hand-written backwards and fused operations:
 * the Lovász-Softmax and Lovász hinge terms, GWDL's Wasserstein map and its fused softmax
 * confusion sums, the fused label-map cross-entropy, and the fused softmax region statistics of the Dice family (one plant per
 * output's term: intersection I, prediction sum P, squares Q; label-map and tensor targets), and the
 * boundary loss's one-map weighted sums. Each
 * is caught by the gradient check that this package's tests run on that operation
 * ({@link LovaszSoftmaxLossTest}, {@link LovaszHingeLossTest}, {@link GeneralizedWassersteinDiceLossTest},
 * {@link GeneralizedWassersteinDiceLossFusedTest}, {@link RegionStatisticsTest}).
 */
class PlantedLossErrorTest {

    /** GradCheck of the operation's first output. */
    private static PlantedErrors.Detector gradCheck(String name, GradCheck.Options options, Tensor input) {
        return gradCheck(name, options, input, 1);
    }

    /** GradCheck of the operation's first {@code outputs} outputs, joined (the region statistics' I, P and Q). */
    private static PlantedErrors.Detector gradCheck(String name, GradCheck.Options options, Tensor input, int outputs) {
        return new PlantedErrors.Detector(name, op -> GradCheck.check(v -> {
            Var[] out = op.applyAll(v);
            return outputs == 1 ? out[0] : Var.concat(0, java.util.Arrays.copyOf(out, outputs));
        }, options, input).passed());
    }

    private static void add(List<PlantedErrors.Plant> plants, String op, String term, Supplier<MultiFunction> real,
                            PlantedFault.Site site, int index, PlantedErrors.Detector d) {
        plants.add(new PlantedErrors.Plant(op, term, real, site, index, List.of(d)));
    }

    /** Values (k + 0.3) / (n + 1) shuffled: every error p or 1 - p of a class differs from every other by >= 0.4 / (n + 1). */
    private static Tensor separatedProbabilities(SplittableRandom r, int... d) {
        int n = 1;
        for (int x : d) n *= x;
        float[] v = new float[n];
        for (int k = 0; k < n; k++) v[k] = (k + 0.3f) / (n + 1);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.wrap(v, d);
    }

    @Test
    void onePercentInOneTermOfEveryHandWrittenBackwardIsCaught() {
        List<PlantedErrors.Plant> plants = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(7);

        // Lovász-Softmax on probabilities [2, 3, 2, 3] (the step of LovaszSoftmaxLossTest.GRAD cannot reorder errors)
        Tensor probs = separatedProbabilities(r, 2, 3, 2, 3);
        LabelTensor ls = LabelTensor.randomLabels(r.nextLong(), 3, 2, 2, 3);
        Tensor onehot = ls.oneHot(3);
        boolean[] all = {true, true, true};
        for (boolean perImage : new boolean[] {false, true}) {
            add(plants, "LovaszSoftmax terms" + (perImage ? " (per image)" : ""), "dprobs",
                    () -> new LovaszSoftmaxLoss.SoftmaxTerms(onehot, null, perImage, false, all), PlantedFault.Site.INPUT_GRADIENT, 0,
                    gradCheck("GradCheck (LovaszSoftmaxLossTest)", LovaszSoftmaxLossTest.GRAD, probs));
        }

        // Lovász hinge on logits [2, 1, 2, 4]: margins x·sign distinct, 0.2 apart, none at the hinge's kink
        int n = 16;
        float[] margins = new float[n];
        // margins -1.3, -1.1, ..., 0.9, then 1.3, ..., 1.9: errors e = 1 - margin >= 0.2 apart, >= 0.1 from the kink at 0
        for (int k = 0; k < n; k++) margins[k] = -1.3f + 0.2f * k + (k >= 12 ? 0.2f : 0f);
        float[] x = new float[n], fg = new float[n];
        for (int k = 0; k < n; k++) {
            int j = r.nextInt(k + 1);
            float t = margins[k];
            margins[k] = margins[j];
            margins[j] = t;
        }
        for (int k = 0; k < n; k++) {
            boolean f = r.nextBoolean();
            fg[k] = f ? 1f : 0f;
            x[k] = f ? margins[k] : -margins[k];
        }
        Tensor logits = Tensor.wrap(x, 2, 1, 2, 4), target = Tensor.wrap(fg, 2, 1, 2, 4);
        for (boolean perImage : new boolean[] {false, true}) {
            add(plants, "LovaszHinge terms" + (perImage ? " (per image)" : ""), "dlogits",
                    () -> new LovaszHingeLoss.HingeTerms(target, null, perImage), PlantedFault.Site.INPUT_GRADIENT, 0,
                    gradCheck("GradCheck (LovaszHingeLossTest)", GradCheck.DEFAULTS, logits));
        }

        // GWDL: the Wasserstein map (asymmetric M, one ignored voxel) and the fused confusion sums
        float[][] m = {{0f, 0.3f, 1f}, {0.7f, 0f, 0.2f}, {1f, 0.4f, 0f}};
        int[] y = {0, 2, 1, -1, 2, 0};
        add(plants, "GWDL Wasserstein map", "dp", () -> new GeneralizedWassersteinDiceLoss.WassersteinMap(m, y),
                PlantedFault.Site.INPUT_GRADIENT, 0, gradCheck("GradCheck (GwdlTest)", GradCheck.DEFAULTS, Tensor.uniform(3, 0f, 1f, 2, 3, 3)));
        Tensor xs = Tensor.randn(3, 2, 3, 4, 5);
        LabelTensor lab = LabelTensor.randomLabels(4, 3, 2, 4, 5);
        for (int ignore : new int[] {SegmentationLoss.NO_IGNORE, 2}) {
            add(plants, "GWDL softmax confusion sums" + (ignore == 2 ? " (label 2 ignored)" : ""), "dlogits",
                    () -> new RegionStatistics.ConfusionSums(lab, ignore), PlantedFault.Site.INPUT_GRADIENT, 0,
                    gradCheck("GradCheck (GwdlFusedTest)", GradCheck.DEFAULTS, xs));
        }

        // Cross-entropy: the fused label-map sum, with weights, label 2 ignored and smoothing
        add(plants, "fused cross-entropy (weights, label 2 ignored, smoothing 0.1)", "dlogits",
                () -> new FusedCrossEntropy(lab, 2, new float[] {0.5f, 1f, 2f}, 0.1f, null, null), PlantedFault.Site.INPUT_GRADIENT, 0,
                gradCheck("GradCheck (FusedCrossEntropyTest)", GradCheck.DEFAULTS, xs));
        // ... and without smoothing: the one-pass gradient kernel (crossEntropyGradient)
        add(plants, "fused cross-entropy (weights, label 2 ignored, no smoothing)", "dlogits",
                () -> new FusedCrossEntropy(lab, 2, new float[] {0.5f, 1f, 2f}, 0f, null, new long[6]), PlantedFault.Site.INPUT_GRADIENT, 0,
                gradCheck("GradCheck (FusedCrossEntropyTest)", GradCheck.DEFAULTS, xs));

        // Focal: the fused softmax focal sum, per-channel coefficients, label 2 ignored
        for (float gamma : new float[] {0.5f, 2f}) {
            add(plants, "fused focal (coefficients, label 2 ignored, gamma " + gamma + ")", "dlogits",
                    () -> new FusedFocal(lab, 2, new float[] {0.4f, 1.3f, 0.9f}, gamma, 1e-12f), PlantedFault.Site.INPUT_GRADIENT, 0,
                    gradCheck("GradCheck (FocalFusedTest)", GradCheck.DEFAULTS, xs));
        }
        // ... and the mean, whose forward writes the gradient at the scale 1 / divisor
        add(plants, "fused focal mean (divisor 7, gamma 2)", "dlogits",
                () -> new FusedFocal(lab, 2, new float[] {0.4f, 1.3f, 0.9f}, 2f, 1e-12f, 7f, null), PlantedFault.Site.INPUT_GRADIENT, 0,
                gradCheck("GradCheck (FocalFusedTest)", GradCheck.DEFAULTS, xs));

        // Dice family: fused softmax region statistics, one plant per output's term
        Tensor g = lab.oneHot(3);
        float[] mk = Tensor.rand(5, 2, 1, 4, 5).toArray();
        for (int i = 0; i < mk.length; i++) mk[i] = mk[i] < 0.3f ? 0f : 1f;
        Tensor mask = Tensor.wrap(mk, 2, 1, 4, 5);
        String[] terms = {"intersection term (dI)", "prediction-sum term (dP)", "squares term (dQ)"};
        PlantedErrors.Detector stats = gradCheck("GradCheck (RegionStatisticsTest)", GradCheck.DEFAULTS, xs, 3);
        for (int o = 0; o < 3; o++) {
            add(plants, "softmax region statistics, label map", terms[o], () -> new RegionStatistics.FusedSums(Terms.labels(lab, 2).masked(mask).plus(Total.PROBABILITIES, Total.SQUARES)),
                    PlantedFault.Site.OUTPUT_GRADIENT, o, stats);
            add(plants, "softmax region statistics, tensor target", terms[o], () -> new RegionStatistics.FusedSums(Terms.weightedBy(g).masked(mask).plus(Total.PROBABILITIES, Total.SQUARES)),
                    PlantedFault.Site.OUTPUT_GRADIENT, o, stats);
        }

        // Boundary: one signed map alone, the one-pass kernels (softmaxWeightedSums and its backward)
        Tensor phi = Tensor.randn(6, 2, 3, 4, 5).mul(3f);
        add(plants, "softmax weighted sums, one map (boundary)", "dlogits", () -> new RegionStatistics.FusedSums(Terms.weightedBy(phi)),
                PlantedFault.Site.INPUT_GRADIENT, 0, gradCheck("GradCheck (BoundaryLossTest)", GradCheck.DEFAULTS, xs));

        // Sensitivity-specificity: the squared-error statistics of a label map, one plant per term
        String[] errorTerms = {"intersection term (dI)", "squared-error term (dE)", "off-label squares term (dF)"};
        for (int o = 1; o < 3; o++) {
            add(plants, "softmax squared-error statistics, label map", errorTerms[o], () -> new RegionStatistics.FusedSums(
                    Terms.labels(lab, 2).masked(mask).plus(Total.LABEL_SQUARED_ERROR, Total.OFF_LABEL_SQUARES)),
                    PlantedFault.Site.OUTPUT_GRADIENT, o, stats);
        }

        PlantedErrors.runSuite("losses", plants);
    }
}
