package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

class WeightedSumLossTest {
    @Test
    void sumsTheWeightedTermsAndTheirGradients() {
        Tensor x = Tensor.randn(1, 2, 3, 4, 4);
        LabelTensor y = LabelTensor.randomLabels(2, 3, 2, 4, 4);
        Loss a = DiceLoss.create(), b = DiceLoss.builder().squaredPred(true).build();
        Var pa = Var.param(x), pb = Var.param(x), ps = Var.param(x);
        a.forward(pa, y).backward();
        b.forward(pb, y).backward();
        Var s = WeightedSumLoss.builder().add(0.3f, a).add(2f, b).build().forward(ps, y);
        s.backward();
        assertEquals(0.3f * a.forward(Var.constant(x), y).item() + 2f * b.forward(Var.constant(x), y).item(), s.item(), 1e-6f);
        Tensor expected = pa.grad().mul(0.3f).add(pb.grad().mul(2f));
        assertTrue(ps.grad().maxAbsDiff(expected) < 1e-6f);
    }

    @Test
    void deepSupervisionWeightsFollowNnUnet() {
        // 1, 1/2, 1/4, 0 normalised: 4/7, 2/7, 1/7, 0
        assertArrayEquals(new float[] {4f / 7, 2f / 7, 1f / 7, 0f}, WeightedSumLoss.deepSupervisionWeights(4), 1e-6f);
        assertArrayEquals(new float[] {1f}, WeightedSumLoss.deepSupervisionWeights(1), 0f);
    }

    @Test
    void deepSupervisionComparesEachScaleWithItsTarget() {
        Var full = Var.constant(Tensor.randn(3, 1, 2, 4, 4)), half = Var.constant(Tensor.randn(4, 1, 2, 2, 2));
        LabelTensor yFull = LabelTensor.randomLabels(5, 2, 1, 4, 4), yHalf = LabelTensor.randomLabels(6, 2, 1, 2, 2);
        Loss dice = DiceLoss.create();
        float v = WeightedSumLoss.deepSupervision(dice, new float[] {0.75f, 0.25f}, new Var[] {full, half},
                new LabelTensor[] {yFull, yHalf}).item();
        assertEquals(0.75f * dice.forward(full, yFull).item() + 0.25f * dice.forward(half, yHalf).item(), v, 1e-6f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightedSumLoss.deepSupervision(dice,
                new float[] {1f}, new Var[] {full, half}, new LabelTensor[] {yFull, yHalf}));
        assertTrue(e.getMessage().contains("2 outputs") && e.getMessage().contains("1 weights"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WeightedSumLoss.deepSupervision(dice,
                new float[] {1f, 1f}, new Var[] {full, half}, new LabelTensor[] {yHalf, yFull}));
        assertTrue(e.getMessage().contains("output 0"), e.getMessage());
    }

    @Test
    void deepSupervisionRejectsNegativeNanAndInfiniteWeightsAsTheBuilderDoes() {
        Var full = Var.constant(Tensor.randn(3, 1, 2, 4, 4)), half = Var.constant(Tensor.randn(4, 1, 2, 2, 2));
        LabelTensor yFull = LabelTensor.randomLabels(5, 2, 1, 4, 4), yHalf = LabelTensor.randomLabels(6, 2, 1, 2, 2);
        for (float bad : new float[] {-0.25f, Float.NaN, Float.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightedSumLoss.deepSupervision(
                    DiceLoss.create(), new float[] {1f, bad}, new Var[] {full, half}, new LabelTensor[] {yFull, yHalf}));
            assertTrue(e.getMessage().startsWith("deepSupervision: weights must be finite and >= 0, got " + bad)
                    && e.getMessage().contains("output 1"), e.getMessage());
        }
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> WeightedSumLoss.builder().build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightedSumLoss.builder().add(-1f, DiceLoss.create()));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("-1"), e.getMessage());
        Loss none = DiceLoss.builder().reduction(Reduction.NONE).build();
        e = assertThrows(IllegalArgumentException.class, () -> WeightedSumLoss.builder().add(1f, none).build()
                .forward(Var.constant(Tensor.randn(1, 1, 2, 2, 2)), LabelTensor.zeros(1, 2, 2)));
        assertTrue(e.getMessage().contains("scalar") && e.getMessage().contains("[1, 2]"), e.getMessage());
    }
}
