package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * A sample whose voxels are all ignored ({@code ignoreIndex}) is left out of the reduction of the
 * region losses: adding one to a batch changes neither the loss nor the gradient of the other
 * samples (before, it counted as a perfect item and halved both in a batch of two), its own
 * gradient is zero, and a batch with no voxel that counts gives 0 with a zero gradient, not NaN.
 */
class IgnoredSampleTest {
    static final int IGNORE = 9, C = 3;

    static Stream<Arguments> losses() {
        double[][] m = {{0, 1, 1}, {1, 0, 0.5}, {1, 0.5, 0}};
        Map<String, Supplier<Loss>> l = new LinkedHashMap<>();
        l.put("DiceLoss", () -> DiceLoss.builder().ignoreIndex(IGNORE).build());
        l.put("DiceLoss jaccard, squared, class weights", () -> DiceLoss.builder().ignoreIndex(IGNORE).jaccard(true).squaredPred(true)
                .weight(new float[] {0.5f, 1f, 2f}).build());
        l.put("DiceLoss SIGMOID", () -> DiceLoss.builder().ignoreIndex(IGNORE).activation(Activation.SIGMOID).build());
        l.put("DiceLoss smoothNr 0 (all-ignored item would score 1)", () -> DiceLoss.builder().ignoreIndex(IGNORE).smoothNr(0f).build());
        l.put("GeneralizedDiceLoss", () -> GeneralizedDiceLoss.builder().ignoreIndex(IGNORE).build());
        l.put("GeneralizedDiceLoss LIVIAETS", () -> GeneralizedDiceLoss.builder().ignoreIndex(IGNORE)
                .variant(GeneralizedDiceLoss.Variant.LIVIAETS).build());
        l.put("GeneralizedWassersteinDiceLoss", () -> GeneralizedWassersteinDiceLoss.builder().distanceMatrix(m).ignoreIndex(IGNORE).build());
        l.put("GeneralizedWassersteinDiceLoss NONE activation", () -> GeneralizedWassersteinDiceLoss.builder().distanceMatrix(m)
                .ignoreIndex(IGNORE).activation(Activation.NONE).build());
        l.put("FocalTverskyLoss", () -> FocalTverskyLoss.builder().ignoreIndex(IGNORE).build());
        l.put("FocalTverskyLoss MEAN_THEN_POWER", () -> FocalTverskyLoss.segLossBuilder().ignoreIndex(IGNORE).build());
        l.put("TverskyLoss", () -> TverskyLoss.builder().ignoreIndex(IGNORE).build());
        l.put("JaccardLoss", () -> JaccardLoss.builder().ignoreIndex(IGNORE).build());
        l.put("ExpLogLoss per sample", () -> ExpLogLoss.builder().ignoreIndex(IGNORE).batch(false).build());
        l.put("ExpLogLoss SEGLOSS", () -> ExpLogLoss.segLossBuilder().ignoreIndex(IGNORE).build());
        l.put("SensitivitySpecificityLoss", () -> SensitivitySpecificityLoss.builder().ignoreIndex(IGNORE).build());
        l.put("SensitivitySpecificityLoss SUM_OVER_CLASSES", () -> SensitivitySpecificityLoss.builder().ignoreIndex(IGNORE)
                .form(SensitivitySpecificityLoss.Form.SUM_OVER_CLASSES).build());
        l.put("OverlapLoss", () -> OverlapLoss.builder().ignoreIndex(IGNORE).build());
        return l.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    /** Sample A: random logits and labels with two ignored voxels; sample Z: every voxel ignored. */
    static Tensor logits(long seed, boolean probabilities) {
        Tensor x = Tensor.randn(seed, 1, C, 3, 4, 5);
        return probabilities ? x.softmax(1) : x;
    }

    static LabelTensor labels(long seed, boolean allIgnored) {
        int[] v = LabelTensor.randomLabels(seed, C, 1, 3, 4, 5).toArray();
        if (allIgnored) java.util.Arrays.fill(v, IGNORE);
        else v[0] = v[7] = IGNORE;
        return LabelTensor.of(v, 1, 3, 4, 5);
    }

    static boolean wantsProbabilities(Loss loss) {
        return loss instanceof SegmentationLoss s && s.activation == Activation.NONE;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void anAllIgnoredSampleChangesNeitherLossNorGradientOfTheOthers(String name, Supplier<Loss> make) {
        Loss loss = make.get();
        boolean probs = wantsProbabilities(loss);
        Tensor xa = logits(1, probs), xz = logits(2, probs);
        LabelTensor ya = labels(3, false), yz = labels(4, true);

        Var a = Var.param(xa.copy());
        Var alone = loss.forward(a, ya);
        alone.backward();

        Var both = Var.param(Tensor.concat(0, xa, xz));
        LabelTensor yb = LabelTensor.of(concat(ya.toArray(), yz.toArray()), 2, 3, 4, 5);
        Var pair = loss.forward(both, yb);
        pair.backward();

        assertEquals(alone.item(), pair.item(), 1e-6 * Math.max(1, Math.abs(alone.item())), name + ": loss with an all-ignored sample added");
        float[] g = both.grad().toArray(), ga = a.grad().toArray();
        for (int i = 0; i < ga.length; i++) {
            assertEquals(ga[i], g[i], 1e-6 * Math.max(1e-3, Math.abs(ga[i])) + 1e-9, name + ": gradient of sample A at " + i);
        }
        for (int i = ga.length; i < g.length; i++) assertEquals(0f, g[i], 0f, name + ": gradient of the all-ignored sample at " + i);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void aBatchWithNoVoxelThatCountsGivesZeroWithZeroGradient(String name, Supplier<Loss> make) {
        Loss loss = make.get();
        Var z = Var.param(logits(5, wantsProbabilities(loss)));
        Var value = loss.forward(z, labels(6, true));
        assertEquals(0f, value.item(), 0f, name + ": loss of an all-ignored batch");
        value.backward();
        for (float v : z.grad().toArray()) assertEquals(0f, v, 0f, name + ": gradient of an all-ignored batch");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void reductionNoneGivesTheLeftOutItemsZero(String name, Supplier<Loss> make) {
        Loss probe = make.get();
        if (!(probe instanceof DiceLoss || probe instanceof GeneralizedDiceLoss || probe instanceof TverskyLoss)) return;
        Loss loss = probe instanceof DiceLoss ? DiceLoss.builder().ignoreIndex(IGNORE).smoothNr(0f).reduction(Reduction.NONE).build()
                : probe instanceof GeneralizedDiceLoss ? GeneralizedDiceLoss.builder().ignoreIndex(IGNORE).reduction(Reduction.NONE).build()
                : TverskyLoss.builder().ignoreIndex(IGNORE).reduction(Reduction.NONE).build();
        Tensor x = Tensor.concat(0, logits(1, false), logits(2, false));
        LabelTensor y = LabelTensor.of(concat(labels(3, false).toArray(), labels(4, true).toArray()), 2, 3, 4, 5);
        Tensor items = loss.forward(Var.constant(x), y).value();
        int perSample = items.size() / 2;
        for (int i = perSample; i < items.size(); i++) assertEquals(0f, items.at(i), 0f, name + ": left-out item " + i);
        boolean someNonZero = false;
        for (int i = 0; i < perSample; i++) someNonZero |= items.at(i) != 0f;
        assertTrue(someNonZero, name + ": the kept sample's items");
    }

    @org.junit.jupiter.api.Test
    void sudreDiceLeavesOutAnAllIgnoredSampleThatWouldScoreMinusOne() {
        Loss loss = SudreDiceLoss.builder().ignoreIndex(IGNORE).build();
        Tensor xa = Tensor.randn(7, 1, 2, 3, 4, 5), xz = Tensor.randn(8, 1, 2, 3, 4, 5);
        int[] ya = LabelTensor.randomLabels(9, 2, 1, 3, 4, 5).toArray(), yz = new int[ya.length];
        java.util.Arrays.fill(yz, IGNORE);
        float alone = loss.forward(Var.constant(xa), LabelTensor.of(ya, 1, 3, 4, 5)).item();
        float pair = loss.forward(Var.constant(Tensor.concat(0, xa, xz)), LabelTensor.of(concat(ya, yz), 2, 3, 4, 5)).item();
        assertEquals(alone, pair, 1e-6, "SudreDiceLoss with an all-ignored sample added");
        assertEquals(0f, loss.forward(Var.constant(xz), LabelTensor.of(yz, 1, 3, 4, 5)).item(), 0f, "all-ignored batch");
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
