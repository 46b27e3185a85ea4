package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * stale the recycled array's values were (every element overwritten), and after a first step
 * the gradient must live in an array of an earlier step (no new one per step). Shapes whose spatial size is no multiple of the 2,048-voxel chunk or of 16 lanes.
 */
class RecycledGradientTest {
    static final double[][] M = {{0, 1, 1}, {1, 0, 0.5}, {1, 0.5, 0}};

    record Case(String name, Supplier<Loss> loss) {
        @Override
        public String toString() { return name; }
    }

    static List<Case> losses() {
        return List.of(
                new Case("dice", () -> DiceLoss.builder().activation(Activation.SOFTMAX).build()),
                new Case("dice-ce", () -> DiceCELoss.builder().build()),
                new Case("tversky", () -> TverskyLoss.builder().activation(Activation.SOFTMAX).build()),
                new Case("sensitivity-specificity", () -> SensitivitySpecificityLoss.builder().activation(Activation.SOFTMAX).build()),
                new Case("cross-entropy", CrossEntropyLoss::create),
                new Case("focal", () -> FocalLoss.builder().activation(Activation.SOFTMAX).build()),
                new Case("generalized-wasserstein-dice", () -> GeneralizedWassersteinDiceLoss.create(M)));
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
        java.util.Set<Tensor> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        seen.add(reused.grad());
        reused.recycleGrad();
        loss.forward(reused, labels).backward();
        assertArrayEquals(fresh.grad().toArray(), reused.grad().toArray(), c + ": the same bits as a fresh gradient");
        // a loss of two fused ops (dice-ce) takes a second array in its first step; from then on none
        seen.add(reused.grad());
        for (int step = 0; step < 3; step++) {
            reused.recycleGrad();
            loss.forward(reused, labels).backward();
            assertArrayEquals(fresh.grad().toArray(), reused.grad().toArray(), c + ": the same bits, step " + step);
            if (step > 0) assertTrue(seen.contains(reused.grad()), c + ": step " + step + " writes into an array of an earlier step");
            seen.add(reused.grad());
        }
    }
}
