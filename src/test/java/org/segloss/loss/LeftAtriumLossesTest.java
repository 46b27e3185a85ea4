package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Known values of the left-atrium losses (reconstructed formulas of spec/losses/left-atrium.md; every value
 * below is computed by hand from those formulas).
 */
class LeftAtriumLossesTest {

    @Test
    void overlapByHand() {
        // probabilities (NONE), B=1, C=2, 1x2 voxels; background excluded: class 1 has p = 0.5 and 0.9
        Tensor p = Tensor.of(new float[] {0.5f, 0.1f, 0.5f, 0.9f}, 1, 2, 1, 2);
        OverlapLoss l = OverlapLoss.builder().activation(Activation.NONE).build();
        float expected = 2f * (0.25f + 0.09f) / (2f + 1e-5f);
        assertEquals(expected, l.forward(Var.constant(p), LabelTensor.zeros(1, 1, 2)).item(), 1e-6f);
        // the maximum 0.5 at p = 0.5 everywhere, 0 when crisp
        Tensor half = Tensor.full(0.5f, 1, 2, 2, 2);
        assertEquals(0.5f, l.forward(Var.constant(half), LabelTensor.zeros(1, 2, 2)).item(), 1e-5f);
        Tensor crisp = LabelTensor.of(new int[] {0, 1, 1, 0}, 1, 2, 2).oneHot(2);
        assertEquals(0f, l.forward(Var.constant(crisp), LabelTensor.zeros(1, 2, 2)).item(), 0f);
    }

    @Test
    void overlapCountsOnlyValidVoxels() {
        Tensor p = Tensor.of(new float[] {0.5f, 0.1f, 0.5f, 0.9f}, 1, 2, 1, 2);
        OverlapLoss l = OverlapLoss.builder().activation(Activation.NONE).ignoreIndex(255).build();
        // the second voxel is ignored: only p = 0.5 counts, over S = 1 voxel
        float v = l.forward(Var.constant(p), LabelTensor.of(new int[] {1, 255}, 1, 1, 2)).item();
        assertEquals(2f * 0.25f / (1f + 1e-5f), v, 1e-6f);
    }

    @Test
    void focalPositiveByHand() {
        // logits giving p = [0.2, 0.8] at voxel 0 (label 1) and p = [0.7, 0.3] at voxel 1 (label 0: not in F)
        float l0 = (float) Math.log(0.2), l1 = (float) Math.log(0.8);
        float m0 = (float) Math.log(0.7), m1 = (float) Math.log(0.3);
        Tensor x = Tensor.of(new float[] {l0, m0, l1, m1}, 1, 2, 1, 2);
        LabelTensor y = LabelTensor.of(new int[] {1, 0}, 1, 1, 2);
        FocalPositiveLoss fpl = FocalPositiveLoss.builder().build();
        double expected = -Math.pow(1 - 0.8, 2) * Math.log(0.8);   // one voxel in F
        assertEquals(expected, fpl.forward(Var.constant(x), y).item(), 1e-6);
        FocalPositiveLoss ce = FocalPositiveLoss.builder().gamma(0f).build();
        assertEquals(-Math.log(0.8), ce.forward(Var.constant(x), y).item(), 1e-6);
    }

    @Test
    void focalPositiveWithoutForegroundIsZeroWithZeroGradient() {
        Var x = Var.param(Tensor.randn(3, 2, 3, 2, 2));
        Var v = FocalPositiveLoss.builder().build().forward(x, LabelTensor.zeros(2, 2, 2));
        assertEquals(0f, v.item(), 0f);
        v.backward();
        for (float g : x.grad().toArray()) assertEquals(0f, g, 0f);
    }

    @Test
    void focalPositiveGammaBelowOneStaysFiniteAtAPerfectPrediction() {
        LabelTensor y = LabelTensor.of(new int[] {1, 2, 1, 0}, 1, 2, 2);
        Var x = Var.param(y.oneHot(3).mul(200f));   // p_y = 1 to float precision
        Var v = FocalPositiveLoss.builder().gamma(0.5f).build().forward(x, y);
        v.backward();
        assertTrue(v.value().isFinite() && x.grad().isFinite(), "value " + v.item() + ", grad " + x.grad());
    }

    @Test
    void compositeIsTheWeightedSumOfItsTerms() {
        Tensor x = Tensor.randn(5, 2, 3, 3, 4);
        LabelTensor y = LabelTensor.randomLabels(6, 3, 2, 3, 4);
        float dice = DiceLoss.create().forward(Var.constant(x), y).item();
        float ol = OverlapLoss.builder().build().forward(Var.constant(x), y).item();
        float fpl = FocalPositiveLoss.builder().build().forward(Var.constant(x), y).item();
        assertEquals(dice + 0.5f * ol + 2f * fpl, LeftAtriumLoss.create(0.5f, 2f).forward(Var.constant(x), y).item(), 1e-5f);
        LabelTensor small = LabelTensor.of(new int[] {0, 1, 2, 1, 1, 0}, 1, 2, 3);
        GradCheck.Report r = GradCheck.check(v -> LeftAtriumLoss.create().forward(v[0], small), Tensor.randn(7, 1, 3, 2, 3));
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FocalPositiveLoss.builder().gamma(-1f));
        assertTrue(e.getMessage().contains("gamma") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalPositiveLoss.builder().includeBackground(true).build());
        assertTrue(e.getMessage().contains("includeBackground"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalPositiveLoss.builder().activation(Activation.SIGMOID).build());
        assertTrue(e.getMessage().contains("SOFTMAX") && e.getMessage().contains("SIGMOID"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OverlapLoss.builder().smoothDr(0f));
        assertTrue(e.getMessage().contains("smoothDr"), e.getMessage());
    }
}
