package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * A NaN or an infinity anywhere in the logits is an error of every SOFTMAX loss, whether a fused
 * pass checks the chunks on its way (the region losses) or forward scans the input afterwards
 * (the others): at the first voxel, inside a chunk, and in the one-voxel chunk tail (spatial
 * size 2,049), for a leaf that needs a gradient and for a constant; and no error with
 * {@code checkFinite(false)}.
 */
class NonFiniteInputTest {
    static final double[][] M = {{0, 1, 1}, {1, 0, 0.5}, {1, 0.5, 0}};
    record Case(String name, Supplier<SegmentationLoss> checking, Supplier<SegmentationLoss> unchecked) {
        @Override
        public String toString() { return name; }
    }

    static List<Case> losses() {
        return List.of(
                new Case("DiceLoss", () -> DiceLoss.builder().activation(Activation.SOFTMAX).build(),
                        () -> DiceLoss.builder().activation(Activation.SOFTMAX).checkFinite(false).build()),
                new Case("TverskyLoss", () -> TverskyLoss.builder().activation(Activation.SOFTMAX).build(),
                        () -> TverskyLoss.builder().activation(Activation.SOFTMAX).checkFinite(false).build()),
                new Case("GeneralizedDiceLoss", () -> GeneralizedDiceLoss.builder().activation(Activation.SOFTMAX).build(),
                        () -> GeneralizedDiceLoss.builder().activation(Activation.SOFTMAX).checkFinite(false).build()),
                new Case("SensitivitySpecificityLoss", () -> SensitivitySpecificityLoss.builder().activation(Activation.SOFTMAX).build(),
                        () -> SensitivitySpecificityLoss.builder().activation(Activation.SOFTMAX).checkFinite(false).build()),
                new Case("CrossEntropyLoss", CrossEntropyLoss::create, () -> CrossEntropyLoss.builder().checkFinite(false).build()),
                new Case("WeightedCrossEntropyLoss", WeightedCrossEntropyLoss::create,
                        () -> WeightedCrossEntropyLoss.builder().checkFinite(false).build()),
                new Case("GeneralizedWassersteinDiceLoss", () -> GeneralizedWassersteinDiceLoss.create(M),
                        () -> GeneralizedWassersteinDiceLoss.builder().distanceMatrix(M).checkFinite(false).build()),
                new Case("FocalLoss", () -> FocalLoss.builder().activation(Activation.SOFTMAX).build(),
                        () -> FocalLoss.builder().activation(Activation.SOFTMAX).checkFinite(false).build()));
    }

    @ParameterizedTest
    @MethodSource("losses")
    void nanAndInfinitiesAreRejectedOnEveryPath(Case c) {
        int[] shape = {2, 3, 1, 2049};
        LabelTensor labels = LabelTensor.zeros(2, 1, 2049);
        int[][] where = {{0, 0, 0, 0}, {1, 2, 0, 777}, {1, 1, 0, 2048}};
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int[] at : where) {
                Tensor x = Tensor.randn(3, shape);
                x.set(bad, at);
                for (boolean leaf : new boolean[] {true, false}) {
                    Var in = leaf ? Var.param(x) : Var.constant(x);
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> c.checking().get().forward(in, labels), c + ": " + bad + " at " + java.util.Arrays.toString(at));
                    assertEquals(c.name() + ": input contains NaN or infinity (shape [2, 3, 1, 2049])", e.getMessage());
                }
                if (bad == Float.NEGATIVE_INFINITY) {
                    // a -inf logit is a class ruled out: the unchecked loss stays finite
                    assertDoesNotThrow(() -> c.unchecked().get().forward(Var.param(x), labels));
                }
            }
        }
    }
}
