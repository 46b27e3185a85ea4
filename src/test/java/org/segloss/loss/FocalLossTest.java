package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** Known values and contract of {@link FocalLoss}; each row says where its value came from. */
class FocalLossTest {
    // spec/reference-values.md R12/R13 (MONAI tests/losses/test_focal_loss.py): B=1, C=3, 2x2
    static final Tensor R12_INPUT = Tensor.of(new float[] {1, 1, 0.5f, 0, 1, 1, 0.5f, 0, 1, 1, 0.5f, 0}, 1, 3, 2, 2);
    static final LabelTensor R12_LABELS = LabelTensor.of(new int[] {0, 1, 2, 0}, 1, 2, 2);
    // spec/reference-values.md, example E: B=2, C=3, 2x2
    static final Tensor E = CrossEntropyLossTest.E;
    static final LabelTensor Y = CrossEntropyLossTest.Y;

    static float value(Loss l, Tensor x, LabelTensor y) {
        return l.forward(Var.constant(x), y).item();
    }

    static FocalLoss.Builder sigmoid() { return FocalLoss.builder().activation(Activation.SIGMOID); }

    @Test
    void monaiSigmoidR12() {   // R12: 0.34959, without background 0.36498, alpha 0.8: 0.08423 (MONAI test values, rtol 1e-4)
        assertEquals(0.34959f, value(sigmoid().build(), R12_INPUT, R12_LABELS), 1e-4f);
        assertEquals(0.36498f, value(sigmoid().includeBackground(false).build(), R12_INPUT, R12_LABELS), 1e-4f);
        assertEquals(0.08423f, value(sigmoid().alpha(0.8f).build(), R12_INPUT, R12_LABELS), 1e-4f);
    }

    @Test
    void monaiSoftmaxR13() {   // R13: 0.16276, alpha 0.8: 0.08138 (MONAI test values)
        assertEquals(0.16276f, value(FocalLoss.create(), R12_INPUT, R12_LABELS), 1e-4f);
        assertEquals(0.08138f, value(FocalLoss.builder().alpha(0.8f).build(), R12_INPUT, R12_LABELS), 1e-4f);
    }

    @Test
    void gammaZeroSoftmaxIsCrossEntropy() {   // spec/losses/focal.md#formula: γ = 0 gives (α-balanced) CE
        // MEAN divides by B·C·S, CE by B·S
        FocalLoss f = FocalLoss.builder().gamma(0f).build();
        assertEquals(value(CrossEntropyLoss.create(), E, Y), 3 * value(f, E, Y), 1e-6f);
        // per-class α as CE class weights (compare sums: CE's mean is weighted, focal's is not)
        float[] a = {0.2f, 0.3f, 0.5f};
        FocalLoss fa = FocalLoss.builder().gamma(0f).alphaPerClass(a).reduction(Reduction.SUM).build();
        CrossEntropyLoss cw = CrossEntropyLoss.builder().weight(a).reduction(Reduction.SUM).build();
        assertEquals(value(cw, E, Y), value(fa, E, Y), 1e-5f);
    }

    @Test
    void gammaZeroSigmoidIsBceWithLogits() {   // MONAI docstring: γ = 0 equals BCEWithLogitsLoss; BCE by hand
        Tensor t = Y.oneHot(3);
        double sum = 0;
        for (int i = 0; i < E.size(); i++) {
            double x = E.at(i), r = t.at(i);
            sum += Math.max(x, 0) - x * r + Math.log1p(Math.exp(-Math.abs(x)));
        }
        assertEquals((float) (sum / E.size()), value(sigmoid().gamma(0f).build(), E, Y), 1e-6f);
    }

    @Test
    void softmaxFocalByHand() {   // -(1 - p_y)^γ log p_y averaged over B·C·S, γ = 1.5, on E
        Tensor p = E.softmax(1);
        double sum = 0;
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 4; i++) {
                double py = p.at((b * 3 + Y.at(b * 4 + i)) * 4 + i);
                sum += -Math.pow(1 - py, 1.5) * Math.log(py);
            }
        }
        assertEquals((float) (sum / 24), value(FocalLoss.builder().gamma(1.5f).build(), E, Y), 1e-6f);
    }

    @Test
    void focusingDownWeightsEasyVoxels() {   // the point of γ: relative to CE, easy (p_t high) voxels lose more
        FocalLoss f = FocalLoss.builder().gamma(2f).reduction(Reduction.NONE).build();
        Var v = f.forward(Var.constant(E), Y);
        assertEquals(Shape.of(2, 3, 2, 2), v.shape());
        float[] ce = CrossEntropyLoss.builder().reduction(Reduction.NONE).build().forward(Var.constant(E), Y).value().toArray();
        // voxel (0, 0, 0): label 0, p = 0.79 (easy); voxel (1, 0, 0): label 1, p = 0.51 (hard)
        float easy = v.value().get(0, 0, 0, 0) / ce[0], hard = v.value().get(1, 1, 0, 0) / ce[4];
        assertTrue(easy < hard, easy + " vs " + hard);
    }

    @Test
    void monaiVariantRemovesBackgroundBeforeTheSoftmax() {
        // vectors README: reference_specific monai_focal_2d_softmax_nobg. The MONAI variant equals the
        // standard loss on the foreground logits alone, with the sliced (soft: all-zero at background) target.
        FocalLoss monai = FocalLoss.builder().includeBackground(false).variant(FocalLoss.Variant.MONAI).build();
        FocalLoss onSlice = FocalLoss.builder().softLabel(true).build();
        Tensor fg = Y.oneHot(3).slice(1, 1, 3);
        float expected = onSlice.forward(Var.constant(E.slice(1, 1, 3)), fg).item();
        assertEquals(expected, value(monai, E, Y), 1e-7f);
        float standard = value(FocalLoss.builder().includeBackground(false).build(), E, Y);
        assertTrue(Math.abs(standard - expected) > 1e-3, "standard " + standard + " vs MONAI " + expected);
    }

    @Test
    void monaiSumAveragesOverSpaceFirst() {   // MONAI reduction="sum": mean over voxels, sum over B and C'
        for (Activation a : new Activation[] {Activation.SOFTMAX, Activation.SIGMOID}) {
            float standard = value(FocalLoss.builder().activation(a).reduction(Reduction.SUM).build(), E, Y);
            float monai = value(FocalLoss.builder().activation(a).reduction(Reduction.SUM).variant(FocalLoss.Variant.MONAI).build(), E, Y);
            assertEquals(standard / 4, monai, 1e-6f, a.toString());
        }
    }

    @Test
    void alphaAndWeight() {   // MONAI: α channel 0 × (1 - α), others × α (softmax); α t + (1-α)(1-t) (sigmoid); weight per channel
        float[] none = FocalLoss.builder().reduction(Reduction.NONE).build().forward(Var.constant(E), Y).value().toArray();
        float[] withA = FocalLoss.builder().alpha(0.25f).weight(1f, 2f, 4f).reduction(Reduction.NONE).build()
                .forward(Var.constant(E), Y).value().toArray();
        float[] factor = {0.75f * 1f, 0.25f * 2f, 0.25f * 4f};
        for (int i = 0; i < none.length; i++) assertEquals(none[i] * factor[(i / 4) % 3], withA[i], 1e-7f);
        // per-class α in sigmoid mode: α_c where t = 1, 1 - α_c where t = 0
        Tensor t = Y.oneHot(3);
        float[] s = sigmoid().reduction(Reduction.NONE).build().forward(Var.constant(E), Y).value().toArray();
        float[] sa = sigmoid().alphaPerClass(0.1f, 0.6f, 0.9f).reduction(Reduction.NONE).build()
                .forward(Var.constant(E), Y).value().toArray();
        float[] a = {0.1f, 0.6f, 0.9f};
        for (int i = 0; i < s.length; i++) {
            float ac = a[(i / 4) % 3];
            assertEquals(s[i] * (t.at(i) == 1f ? ac : 1 - ac), sa[i], 1e-7f);
        }
    }

    @Test
    void gammaBelowOneHasAFiniteGradientAtAPerfectPrediction() {   // spec/contract.md edge case 10; spec/losses/focal.md#numerics-clamps
        Tensor onehot = Y.oneHot(3);
        for (float sat : new float[] {20f, 1e4f}) {
            for (Activation a : new Activation[] {Activation.SOFTMAX, Activation.SIGMOID}) {
                for (float gamma : new float[] {0.25f, 0.5f}) {
                    Var x = Var.param(onehot.mul(2 * sat).add(-sat));
                    Var v = FocalLoss.builder().activation(a).gamma(gamma).build().forward(x, Y);
                    v.backward();
                    assertEquals(0f, v.item(), 1e-6f, a + " γ=" + gamma);
                    assertTrue(x.grad().isFinite(), a + " γ=" + gamma + " logits ±" + sat + ": " + x.grad());
                }
            }
        }
    }

    @Test
    void hugeWrongLogitsStayFinite() {   // ±1e4 on the wrong side: finite value and gradient
        Tensor wrong = Y.oneHot(3).mul(-2e4f).add(1e4f);
        for (Activation a : new Activation[] {Activation.SOFTMAX, Activation.SIGMOID}) {
            Var x = Var.param(wrong);
            Var v = FocalLoss.builder().activation(a).gamma(2f).build().forward(x, Y);
            v.backward();
            assertTrue(Float.isFinite(v.item()) && v.item() > 1e3f, a + ": " + v.item());
            assertTrue(x.grad().isFinite(), a.toString());
        }
    }

    @Test
    void ignoredVoxelsAreCutOut() {   // spec/contract.md edge case 17: equals the loss on the image without those voxels
        // 1x4 image whose last voxel is ignored vs the 1x3 image of the first three voxels
        Tensor x4 = Tensor.of(new float[] {1f, -0.5f, 0.3f, 2f, 0.2f, 0.9f, -1f, -3f, 0.1f, 0.4f, 0.8f, 5f}, 1, 3, 1, 4);
        Tensor x3 = Tensor.of(new float[] {1f, -0.5f, 0.3f, 0.2f, 0.9f, -1f, 0.1f, 0.4f, 0.8f}, 1, 3, 1, 3);
        LabelTensor y4 = LabelTensor.of(new int[] {0, 2, 1, 255}, 1, 1, 4);
        LabelTensor y3 = LabelTensor.of(new int[] {0, 2, 1}, 1, 1, 3);
        for (Activation a : new Activation[] {Activation.SOFTMAX, Activation.SIGMOID}) {
            for (Reduction r : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
                for (FocalLoss.Variant variant : FocalLoss.Variant.values()) {
                    FocalLoss with = FocalLoss.builder().activation(a).reduction(r).variant(variant).ignoreIndex(255).build();
                    FocalLoss without = FocalLoss.builder().activation(a).reduction(r).variant(variant).build();
                    assertEquals(value(without, x3, y3), value(with, x4, y4), 1e-6f, a + " " + r + " " + variant);
                }
            }
        }
    }

    @Test
    void allIgnoredIsZeroWithZeroGradient() {
        LabelTensor y = LabelTensor.of(new int[] {255, 255, 255, 255, 255, 255, 255, 255}, 2, 2, 2);
        for (Activation a : new Activation[] {Activation.SOFTMAX, Activation.SIGMOID}) {
            Var x = Var.param(E);
            Var v = FocalLoss.builder().activation(a).ignoreIndex(255).build().forward(x, y);
            assertEquals(0f, v.item(), 0f);
            v.backward();
            for (float g : x.grad().toArray()) assertEquals(0f, g, 0f);
        }
    }

    @Test
    void reductionNoneShape() {   // [B, C', *spatial] (MONAI#3185: element-wise, not [B, C])
        Var v = sigmoid().includeBackground(false).reduction(Reduction.NONE).build().forward(Var.constant(E), Y);
        assertEquals(Shape.of(2, 2, 2, 2), v.shape());
        assertEquals(value(sigmoid().includeBackground(false).reduction(Reduction.SUM).build(), E, Y), v.value().sum().item(), 1e-6f);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FocalLoss.builder().gamma(-1f));
        assertTrue(e.getMessage().startsWith("FocalLoss:") && e.getMessage().contains("gamma") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalLoss.builder().gamma(Float.NaN));
        assertTrue(e.getMessage().contains("gamma"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalLoss.builder().alpha(1.5f));
        assertTrue(e.getMessage().contains("alpha") && e.getMessage().contains("[0, 1]") && e.getMessage().contains("1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalLoss.builder().alphaPerClass(0.5f, -0.1f));
        assertTrue(e.getMessage().contains("alphaPerClass") && e.getMessage().contains("-0.1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FocalLoss.builder().alphaPerClass(0.2f, 0.8f).build().forward(Var.constant(E), Y));
        assertTrue(e.getMessage().contains("alphaPerClass") && e.getMessage().contains("3") && e.getMessage().contains("got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FocalLoss.builder().includeBackground(false).weight(1f, 1f, 1f).build().forward(Var.constant(E), Y));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("2") && e.getMessage().contains("got 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalLoss.builder().activation(Activation.NONE).build());
        assertTrue(e.getMessage().contains("activation") && e.getMessage().contains("NONE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalLoss.builder().variant(FocalLoss.Variant.MONAI)
                .includeBackground(false).alpha(0.25f).build());
        assertTrue(e.getMessage().contains("alpha") && e.getMessage().contains("0.25"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalLoss.builder().variant(null));
        assertTrue(e.getMessage().contains("variant"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FocalLoss.create().forward(Var.constant(Tensor.zeros(2, 1, 2, 2)), LabelTensor.zeros(2, 2, 2)));
        assertTrue(e.getMessage().contains("SOFTMAX needs >= 2 channels"), e.getMessage());
    }

    /**
     * Equal logits of any magnitude give p = 1/3 on each of 3 classes: ℓ = (1 - 1/3)^γ · ln 3 on
     * the true channel, 0 on the others, and the mean over all B·C·spatial elements divides by 3
     * (double reference). The softmax focal loss takes log p from log-softmax, which computed
     * x - (m + log s) before and gave 0 at 1e8.
     */
    @Test
    void softmaxEqualLogitsOfAnyMagnitude() {
        LabelTensor y = LabelTensor.of(new int[] {0, 1, 2, 1}, 1, 2, 2);
        float want = (float) (Math.pow(2.0 / 3, 2) * Math.log(3) / 3);
        for (float c : new float[] {1e4f, -1e4f, 1e6f, -1e6f, 1e8f, -1e8f, Float.MAX_VALUE, -Float.MAX_VALUE}) {
            assertEquals(want, value(FocalLoss.create(), Tensor.full(c, 1, 3, 2, 2), y), 1e-6f, "logits " + c);
        }
    }
}
