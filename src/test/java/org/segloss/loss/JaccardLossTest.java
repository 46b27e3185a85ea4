package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

class JaccardLossTest {
    @Test
    void byHand() {   // p = (0.9, 0.2, 0.6) for class 1, g = (1, 0, 1): I = 1.5, U = 1.7 + 2 - 1.5 = 2.2
        Tensor p = Tensor.of(new float[] {0.1f, 0.8f, 0.4f, 0.9f, 0.2f, 0.6f}, 1, 2, 1, 3);
        LabelTensor y = LabelTensor.of(new int[] {1, 0, 1}, 1, 1, 3);
        JaccardLoss l = JaccardLoss.builder().activation(Activation.NONE).includeBackground(false).build();
        assertEquals(1f - (1.5f + 1e-5f) / (2.2f + 1e-5f), l.forward(Var.constant(p), y).item(), 1e-6f);
    }

    @Test
    void equalsMonaiJaccardWithDoubledSmoothing() {   // spec/losses/jaccard.md: MONAI halves the smoothing terms
        Tensor x = Tensor.randn(3, 2, 3, 4, 5);
        LabelTensor y = LabelTensor.randomLabels(4, 3, 2, 4, 5);
        float monai = DiceLoss.builder().jaccard(true).smoothNr(2e-3f).smoothDr(4e-3f).build().forward(Var.constant(x), y).item();
        float direct = JaccardLoss.builder().smoothNr(1e-3f).smoothDr(2e-3f).build().forward(Var.constant(x), y).item();
        assertEquals(monai, direct, 1e-6f);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JaccardLoss.builder().smoothDr(0f).build());
        assertTrue(e.getMessage().contains("smoothDr"), e.getMessage());
    }
}
