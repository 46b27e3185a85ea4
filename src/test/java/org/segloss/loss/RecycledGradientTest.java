package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * The fused losses write the logits' gradient into the array a leaf let go with
 * {@link Var#recycleGrad}: the gradient must be bit for bit the one a fresh leaf gets, however
 * stale the recycled array's values were (every element overwritten), and it must live in that
 * array. Shapes whose spatial size is no multiple of the 2,048-voxel chunk or of 16 lanes.
 */
class RecycledGradientTest {
    static final double[][] M = {{0, 1, 1}, {1, 0, 0.5}, {1, 0.5, 0}};

    /** reusesTheArray: one fused op makes the whole gradient (dice-ce has two: the second one's array is new). */
    record Case(String name, Supplier<Loss> loss, boolean reusesTheArray) {
        @Override
        public String toString() { return name; }
    }

    static List<Case> losses() {
        return List.of(
                new Case("dice", () -> DiceLoss.builder().activation(Activation.SOFTMAX).build(), true),
                new Case("dice-ce", () -> DiceCELoss.builder().build(), false),
                new Case("tversky", () -> TverskyLoss.builder().activation(Activation.SOFTMAX).build(), true),
                new Case("sensitivity-specificity", () -> SensitivitySpecificityLoss.builder().activation(Activation.SOFTMAX).build(), true),
                new Case("cross-entropy", CrossEntropyLoss::create, true),
                new Case("focal", () -> FocalLoss.builder().activation(Activation.SOFTMAX).build(), true),
                new Case("generalized-wasserstein-dice", () -> GeneralizedWassersteinDiceLoss.create(M), true),
                new Case("exp-log", ExpLogLoss::create, false),                                   // Dice sums + FusedExpLog
                new Case("exp-log segloss", () -> ExpLogLoss.segLossBuilder().build(), false));   // Dice sums + FusedCrossEntropy
    }

    @ParameterizedTest
    @MethodSource("losses")
    void theGradientWrittenIntoARecycledArrayIsTheFreshOne(Case c) {
        int[] shape = {2, 3, 5, 7, 61};   // 2,135 voxels per sample: one full chunk and a tail of 87
        Tensor logits = Tensor.randn(11, shape).mul(2f);
        int n = 5 * 7 * 61;
        int[] y = new int[2 * n];
        for (int i = 0; i < y.length; i++) y[i] = (i * 7 + i / 13) % 3;
        LabelTensor labels = LabelTensor.of(y, 2, 5, 7, 61);
        Loss loss = c.loss().get();

        Var fresh = Var.param(logits);
        loss.forward(fresh, labels).backward();

        Var reused = Var.param(logits);
        reused.mul(Tensor.full(1e6f, shape)).sum().backward();   // stale values: 1e6 everywhere
        Tensor array = reused.grad();
        reused.recycleGrad();
        loss.forward(reused, labels).backward();
        if (c.reusesTheArray()) assertSame(array, reused.grad(), c + ": the gradient lives in the recycled array");
        assertArrayEquals(fresh.grad().toArray(), reused.grad().toArray(), c + ": the same bits as a fresh gradient");
    }
}
