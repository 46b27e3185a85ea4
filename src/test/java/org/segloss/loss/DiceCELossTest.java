package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

class DiceCELossTest {
    @Test
    void isTheWeightedSumOfItsParts() {
        Tensor x = Tensor.randn(1, 2, 3, 4, 5);
        LabelTensor y = LabelTensor.randomLabels(2, 3, 2, 4, 5);
        DiceCELoss l = DiceCELoss.builder().lambdaDice(0.7f).lambdaCe(1.3f).includeBackground(false)
                .weight(1f, 2f, 3f).labelSmoothing(0.1f).build();
        float dice = DiceLoss.builder().includeBackground(false).weight(2f, 3f).build().forward(Var.constant(x), y).item();
        float ce = CrossEntropyLoss.builder().weight(1f, 2f, 3f).labelSmoothing(0.1f).build().forward(Var.constant(x), y).item();
        assertEquals(0.7f * dice + 1.3f * ce, l.forward(Var.constant(x), y).item(), 1e-5f);
    }

    @Test
    void everyVoxelIgnoredLeavesTheDicePartOnly() {   // nnU-Net skips CE without a valid voxel
        Tensor x = Tensor.randn(3, 1, 2, 2, 2);
        LabelTensor y = LabelTensor.of(new int[] {255, 255, 255, 255}, 1, 2, 2);
        DiceCELoss l = DiceCELoss.builder().ignoreIndex(255).build();
        float dice = DiceLoss.builder().ignoreIndex(255).build().forward(Var.constant(x), y).item();
        assertEquals(dice, l.forward(Var.constant(x), y).item(), 1e-6f);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DiceCELoss.builder().reduction(Reduction.NONE));
        assertTrue(e.getMessage().contains("MEAN or SUM"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DiceCELoss.builder().lambdaCe(-1f));
        assertTrue(e.getMessage().contains("lambdaCe") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DiceCELoss.builder().weight(1f, 2f).build()
                .forward(Var.constant(Tensor.randn(1, 1, 3, 2, 2)), LabelTensor.zeros(1, 2, 2)));
        assertTrue(e.getMessage().contains("C = 3") && e.getMessage().contains("got 2"), e.getMessage());
    }
}
