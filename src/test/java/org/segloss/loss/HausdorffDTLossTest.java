package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.distance.SignedDistanceMaps;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** Known values of {@link HausdorffDTLoss}: the cases of MONAI tests/losses/test_hausdorff_loss.py (rtol 1e-5 there). */
class HausdorffDTLossTest {
    static final Tensor R1_INPUT = Tensor.of(new float[] {1, -1, -1, 1}, 1, 1, 2, 2);
    static final Tensor R1_TARGET = Tensor.of(new float[] {1, 0, 1, 1}, 1, 1, 2, 2);
    // the (2, 2, 3, 1) logits and (2, 1, 3, 1) labels of MONAI's to_onehot_y cases
    static final Tensor LABELS_INPUT = Tensor.of(new float[] {-1, 0, 1, 1, 0, -1, 0, 0, 0, 0, 0, 0}, 2, 2, 3, 1);
    static final LabelTensor LABELS = LabelTensor.of(new int[] {1, 0, 0, 1, 1, 0}, 2, 3, 1);

    static HausdorffDTLoss.Builder sigmoidWithBackground() {
        return HausdorffDTLoss.builder().activation(Activation.SIGMOID).includeBackground(true);
    }

    static float value(Loss l, Tensor x, Tensor t) {
        return l.forward(Var.constant(x), t).item();
    }

    @Test
    void r14() {   // spec/reference-values.md R14: 0.509329, and the same input as a 3-D volume of depth 1
        assertEquals(0.509329f, value(sigmoidWithBackground().build(), R1_INPUT, R1_TARGET), 1e-6f);
        assertEquals(0.509329f, value(sigmoidWithBackground().build(), R1_INPUT.reshape(1, 1, 1, 2, 2), R1_TARGET.reshape(1, 1, 1, 2, 2)), 1e-6f);
        // LogHausdorffDTLoss: log(1 + 0.509329)
        assertEquals((float) Math.log1p(0.509329), value(sigmoidWithBackground().log(true).build(), R1_INPUT, R1_TARGET), 1e-6f);
    }

    @Test
    void monai3dCase() {   // R14's 3-D case: 0.375718
        Tensor x = Tensor.of(new float[] {1, -1, 1, -1, -1, 1, -1, 1}, 1, 1, 2, 2, 2);
        Tensor t = Tensor.of(new float[] {1, 0, 1, 0, 0, 0, 1, 1}, 1, 1, 2, 2, 2);
        assertEquals(0.375718f, value(sigmoidWithBackground().build(), x, t), 1e-6f);
    }

    @Test
    void monaiTwoChannelsWithAndWithoutBackground() {   // 0.326994 (background included) and 0.144659 (excluded)
        Tensor x = Tensor.of(new float[] {1, -1, -1, 1, 1, -1, -1, 1}, 1, 2, 2, 2);
        Tensor t = Tensor.of(new float[] {1, 0, 1, 1, 1, 0, 0, 1}, 1, 2, 2, 2);
        assertEquals(0.326994f, value(sigmoidWithBackground().build(), x, t), 1e-6f);
        assertEquals(0.144659f, value(HausdorffDTLoss.builder().activation(Activation.SIGMOID).build(), x, t), 1e-6f);
    }

    @Test
    void monaiBatchWithAFullTarget() {   // 0.455082: sample 0's target fills the image, so its field is 0 (MONAI's guard)
        Tensor x = Tensor.of(new float[] {1, -1, -1, 1, 1, -1, -1, 1}, 2, 1, 2, 2);
        Tensor t = Tensor.of(new float[] {1, 1, 1, 1, 1, 0, 1, 0}, 2, 1, 2, 2);
        assertEquals(0.455082f, value(sigmoidWithBackground().build(), x, t), 1e-6f);
    }

    @Test
    void monaiLabelTargets() {   // to_onehot_y: sigmoid, none → [[0.407765, 0.407765], [0.5, 0.5]]; softmax 0.357016; softmax sum 1.428062
        Var none = sigmoidWithBackground().reduction(Reduction.NONE).build().forward(Var.constant(LABELS_INPUT), LABELS);
        assertEquals(Shape.of(2, 2), none.shape());
        assertArrayEquals(new float[] {0.407765f, 0.407765f, 0.5f, 0.5f}, none.value().toArray(), 1e-6f);
        HausdorffDTLoss softmax = HausdorffDTLoss.builder().includeBackground(true).build();
        assertEquals(0.357016f, softmax.forward(Var.constant(LABELS_INPUT), LABELS).item(), 1e-6f);
        HausdorffDTLoss sum = HausdorffDTLoss.builder().includeBackground(true).reduction(Reduction.SUM).build();
        assertEquals(1.428062f, sum.forward(Var.constant(LABELS_INPUT), LABELS).item(), 1e-5f);
        // one-hot target gives the same
        assertEquals(0.357016f, softmax.forward(Var.constant(LABELS_INPUT), LABELS.oneHot(2)).item(), 1e-6f);
    }

    @Test
    void batchAveragesOverSamplesToo() {
        Tensor x = Tensor.randn(1, 2, 3, 4, 5);
        LabelTensor y = LabelTensor.randomLabels(2, 3, 2, 4, 5);
        Var items = HausdorffDTLoss.builder().reduction(Reduction.NONE).build().forward(Var.constant(x), y);     // [2, 2]
        Var pooled = HausdorffDTLoss.builder().batch(true).reduction(Reduction.NONE).build().forward(Var.constant(x), y);
        assertEquals(Shape.of(2), pooled.shape());
        float[] v = items.value().toArray();
        assertArrayEquals(new float[] {(v[0] + v[2]) / 2, (v[1] + v[3]) / 2}, pooled.value().toArray(), 1e-6f);
    }

    @Test
    void formulaByHandWithSpacingAndAlpha() {
        // one 1×4 image, class 1 target at column 1, prediction p_fg = (0.2, 0.7, 0.8, 0.1): fg_pred = {1, 2}
        Tensor probs = Tensor.of(new float[] {0.8f, 0.3f, 0.2f, 0.9f, 0.2f, 0.7f, 0.8f, 0.1f}, 1, 2, 1, 4);
        LabelTensor y = LabelTensor.of(new int[] {0, 1, 0, 0}, 1, 1, 4);
        // spacing 2 along W: d_g = (2, 2, 2, 4), d_p = (2, 2, 2, 2); α = 1: weights d_p + d_g = (4, 4, 4, 6)
        float want = (0.04f * 4 + 0.09f * 4 + 0.64f * 4 + 0.01f * 6) / 4;
        HausdorffDTLoss l = HausdorffDTLoss.builder().activation(Activation.NONE).alpha(1f).spacing(1.0, 2.0).build();
        assertEquals(want, l.forward(Var.constant(probs), y).item(), 1e-6f);
        // gradient 2 (p − g) w / |Ω| at the foreground channel, nothing at the dropped background channel
        Var p = Var.param(probs);
        l.forward(p, y).backward();
        assertArrayEquals(new float[] {0, 0, 0, 0, 2 * 0.2f * 4 / 4, 2 * -0.3f * 4 / 4, 2 * 0.8f * 4 / 4, 2 * 0.1f * 6 / 4},
                p.grad().toArray(), 1e-6f);
    }

    @Test
    void gradCheckAwayFromTheThreshold() {
        // logits at least 0.5 from 0, so no sigmoid crosses 0.5 within the finite-difference step and d_p stays put
        Tensor x = Tensor.uniform(3, 0.5f, 2.5f, 2, 2, 3, 4);
        Tensor signs = Tensor.rand(4, 2, 2, 3, 4).add(-0.5f).sign();
        Tensor logits = x.mul(signs);
        Tensor t = LabelTensor.randomLabels(5, 2, 2, 2, 3, 4).toFloat().reshape(2, 2, 3, 4);
        for (boolean batch : new boolean[] {false, true}) {
            HausdorffDTLoss l = sigmoidWithBackground().batch(batch).build();
            GradCheck.Report r = GradCheck.check(v -> l.forward(v[0], t), logits);
            assertTrue(r.passed(), r.toString());
        }
        // the analytic gradient treats d_p as constant: it equals 2 (p − g) p (1 − p) w / (B·C·|Ω|)
        Var v = Var.param(logits);
        sigmoidWithBackground().build().forward(v, t).backward();
        Tensor p = logits.sigmoid();
        Tensor w = SignedDistanceMaps.hausdorffField(p).square().add(SignedDistanceMaps.hausdorffField(t).square());
        Tensor want = p.sub(t).mul(2f).mul(p).mul(p.mul(-1f).add(1f)).mul(w).mul(1f / (2 * 2 * 12));
        assertTrue(v.grad().maxAbsDiff(want) < 1e-7f, "max diff " + v.grad().maxAbsDiff(want));
    }

    @Test
    void perfectPredictionIsZeroAndEmptyPredictionUsesOnlyTheTargetField() {
        LabelTensor y = LabelTensor.randomLabels(6, 3, 2, 4, 4);
        Tensor perfect = y.oneHot(3);
        HausdorffDTLoss l = HausdorffDTLoss.builder().activation(Activation.NONE).build();
        assertEquals(0f, l.forward(Var.constant(perfect), y).item(), 0f);
        // all probabilities 1/3 < 0.5: d_p ≡ 0, the loss is mean((p − g)² d_g²) over the kept classes
        Tensor third = Tensor.full(1f / 3, 2, 3, 4, 4);
        Tensor g = perfect.slice(1, 1, 3);
        Tensor dg = SignedDistanceMaps.hausdorffField(g);
        float want = (float) (third.slice(1, 1, 3).sub(g).square().mul(dg.square()).sumDouble() / g.size());
        assertEquals(want, l.forward(Var.constant(third), y).item(), 1e-6f);
    }

    @Test
    void badArguments() {
        assertMessage(() -> HausdorffDTLoss.builder().alpha(0f), "alpha", "> 0", "got 0.0");
        assertMessage(() -> HausdorffDTLoss.builder().spacing(1, -1), "spacing", "got -1.0");
        assertMessage(() -> HausdorffDTLoss.builder().ignoreIndex(255).build(), "ignoreIndex");
        assertMessage(() -> HausdorffDTLoss.builder().spacing(1, 1, 1).build().forward(Var.constant(LABELS_INPUT), LABELS), "spacing", "2", "got 3");
        assertMessage(() -> HausdorffDTLoss.builder().activation(Activation.SIGMOID).build().forward(Var.constant(R1_INPUT), R1_TARGET),
                "includeBackground=false needs >= 2 channels");
        assertMessage(() -> HausdorffDTLoss.create().forward(Var.constant(LABELS_INPUT), Tensor.zeros(2, 3, 3, 1)), "one-hot target");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable e, String... parts) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().startsWith("HausdorffDTLoss"), ex.getMessage());
        for (String p : parts) assertTrue(ex.getMessage().contains(p), "'" + p + "' in: " + ex.getMessage());
    }
}
