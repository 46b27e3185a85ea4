package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** Known values and contract of {@link CrossEntropyLoss}; each row says where its value came from. */
class CrossEntropyLossTest {
    // spec/reference-values.md, example E: B=2, C=3, 2x2 logits and labels
    static final Tensor E = Tensor.of(new float[] {
            2.0f, 0.5f, 0.1f, -1.0f, /* c1 */ 0.3f, 1.5f, 0.2f, 0.4f, /* c2 */ -0.5f, 0.0f, 1.2f, 0.8f,
            0.0f, 0.0f, 1.0f, -2.0f, /* c1 */ 1.0f, 0.5f, 0.0f, 0.3f, /* c2 */ 0.5f, -1.0f, -1.0f, 2.0f}, 2, 3, 2, 2);
    static final LabelTensor Y = LabelTensor.of(new int[] {0, 1, 2, 2, 1, 1, 0, 2}, 2, 2, 2);
    static final float[] W = {0.2f, 0.3f, 0.5f};

    static float value(Loss l, Tensor x, LabelTensor y) {
        return l.forward(Var.constant(x), y).item();
    }

    // The values below were computed in float64 by an independent NumPy transcription of PyTorch's
    // cross_entropy (log-softmax, nll with weight / ignore_index, label smoothing as in
    // aten/src/ATen/native/LossNLL.cpp) on example E.

    @Test
    void plainMean() {                 // NumPy (PyTorch semantics): 0.4641086684
        assertEquals(0.4641086684f, value(CrossEntropyLoss.create(), E, Y), 1e-6f);
    }

    @Test
    void weightedMean() {              // NumPy: 0.4692615488 = Σ w_y ℓ / Σ w_y
        assertEquals(0.4692615488f, value(CrossEntropyLoss.builder().weight(W).build(), E, Y), 1e-6f);
    }

    @Test
    void weightedSum() {               // NumPy: 1.3139323365
        CrossEntropyLoss l = CrossEntropyLoss.builder().weight(W).reduction(Reduction.SUM).build();
        assertEquals(1.3139323365f, value(l, E, Y), 1e-5f);
    }

    @Test
    void ignoreIndex() {               // NumPy: 0.4407283263 (unweighted), 0.4515375090 (weighted)
        LabelTensor y = LabelTensor.of(new int[] {0, 255, 2, 2, 1, 255, 0, 2}, 2, 2, 2);
        assertEquals(0.4407283263f, value(CrossEntropyLoss.builder().ignoreIndex(255).build(), E, y), 1e-6f);
        assertEquals(0.4515375090f, value(CrossEntropyLoss.builder().ignoreIndex(255).weight(W).build(), E, y), 1e-6f);
    }

    @Test
    void labelSmoothing() {            // NumPy: 0.5607753351 (MONAI's unweighted form), 0.5572505052 (PyTorch weighted form)
        assertEquals(0.5607753351f, value(CrossEntropyLoss.builder().labelSmoothing(0.1f).build(), E, Y), 1e-6f);
        assertEquals(0.5572505052f, value(CrossEntropyLoss.builder().labelSmoothing(0.1f).weight(W).build(), E, Y), 1e-6f);
    }

    @Test
    void reductionNoneIsThePerVoxelMap() {   // NumPy: -log p_y per voxel, shape [B, *spatial]
        Var v = CrossEntropyLoss.builder().reduction(Reduction.NONE).build().forward(Var.constant(E), Y);
        assertEquals(Shape.of(2, 2, 2), v.shape());
        assertArrayEquals(new float[] {0.23488912f, 0.46436878f, 0.53106964f, 0.60738172f,
                0.68026967f, 0.60413061f, 0.40760596f, 0.18315385f}, v.value().toArray(), 1e-6f);
    }

    @Test
    void softTargetDividesByTheVoxelCount() {   // PyTorch probability-target mode, NumPy: 0.1642415421 = Σ w t ℓ / (B·S)
        Tensor onehot = Y.oneHot(3);
        CrossEntropyLoss soft = CrossEntropyLoss.builder().weight(W).softLabel(true).build();
        assertEquals(0.1642415421f, soft.forward(Var.constant(E), onehot).item(), 1e-6f);
        // ... while a hard one-hot target uses the label path's weighted mean (label map == one-hot)
        CrossEntropyLoss hard = CrossEntropyLoss.builder().weight(W).build();
        assertEquals(value(hard, E, Y), hard.forward(Var.constant(E), onehot).item(), 1e-6f);
        assertNotEquals(value(hard, E, Y), soft.forward(Var.constant(E), onehot).item(), 1e-3f);
    }

    @Test
    void weightedMeanIsSumOfWeightedLossesOverSumOfWeights() {   // spec/contract.md edge case 7; pytorch#40560
        float[] map = CrossEntropyLoss.builder().weight(W).reduction(Reduction.NONE).build()
                .forward(Var.constant(E), Y).value().toArray();
        double num = 0, den = 0;
        for (int i = 0; i < map.length; i++) {
            num += map[i];                    // the map already holds w_y · ℓ
            den += W[Y.at(i)];
        }
        assertEquals((float) (num / den), value(CrossEntropyLoss.builder().weight(W).build(), E, Y), 1e-6f);
        // a batch of one: the weights cancel when every voxel has the same class (pytorch#40560)
        LabelTensor same = LabelTensor.of(new int[] {2, 2, 2, 2}, 1, 2, 2);
        Tensor x0 = E.slice(0, 0, 1);
        assertEquals(value(CrossEntropyLoss.create(), x0, same), value(CrossEntropyLoss.builder().weight(W).build(), x0, same), 1e-6f);
    }

    @Test
    void labelSmoothingWithOneHotAndIgnoreMatchesLabels() {   // label map == one-hot, also with ε, w and ignored voxels
        LabelTensor y = LabelTensor.of(new int[] {0, 255, 2, 2, 1, 255, 0, 2}, 2, 2, 2);
        for (Reduction r : Reduction.values()) {
            CrossEntropyLoss l = CrossEntropyLoss.builder().ignoreIndex(255).weight(W).labelSmoothing(0.2f).reduction(r).build();
            float[] a = l.forward(Var.constant(E), y).value().toArray();
            float[] b = l.forward(Var.constant(E), y.oneHot(3, 255)).value().toArray();
            assertArrayEquals(a, b, 1e-6f, r.toString());
        }
    }

    @Test
    void allIgnoredIsZeroWithZeroGradient() {   // spec/contract.md edge case 7; PyTorch gives NaN (pytorch#70348)
        LabelTensor y = LabelTensor.of(new int[] {255, 255, 255, 255, 255, 255, 255, 255}, 2, 2, 2);
        for (boolean oneHot : new boolean[] {false, true}) {
            Var x = Var.param(E);
            CrossEntropyLoss l = CrossEntropyLoss.builder().ignoreIndex(255).weight(W).labelSmoothing(0.1f).build();
            Var v = oneHot ? l.forward(x, y.oneHot(3, 255)) : l.forward(x, y);
            assertEquals(0f, v.item(), 0f);
            v.backward();
            for (float g : x.grad().toArray()) assertEquals(0f, g, 0f);
        }
    }

    @Test
    void ignoredVoxelsGetExactlyZeroGradient() {
        LabelTensor y = LabelTensor.of(new int[] {0, 255, 2, 2, 1, 255, 0, 2}, 2, 2, 2);
        Var x = Var.param(E);
        CrossEntropyLoss.builder().ignoreIndex(255).labelSmoothing(0.1f).build().forward(x, y).backward();
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < 3; c++) assertEquals(0f, x.grad().get(b, c, 0, 1), 0f);
        }
    }

    @Test
    void gradientIsWeightedSoftmaxMinusOneHot() {   // spec/losses/cross-entropy.md#gradient: ∂ℓ/∂z_k = w_y (p_k - [k = y]) / Σ w_y
        Var x = Var.param(E);
        CrossEntropyLoss.builder().weight(W).build().forward(x, Y).backward();
        Tensor p = E.softmax(1);
        double den = 0;
        for (int i = 0; i < Y.size(); i++) den += W[Y.at(i)];
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 4; i++) {
                int y = Y.at(b * 4 + i);
                for (int k = 0; k < 3; k++) {
                    double expected = W[y] * (p.at((b * 3 + k) * 4 + i) - (k == y ? 1 : 0)) / den;
                    assertEquals(expected, x.grad().at((b * 3 + k) * 4 + i), 1e-6);
                }
            }
        }
    }

    @Test
    void hugeLogitsStayFinite() {   // spec/contract.md edge case 7: ±1e4 through log-sum-exp
        Tensor x = Y.oneHot(3).mul(2e4f).add(-1e4f);           // right class +1e4, others -1e4
        Tensor wrong = Y.oneHot(3).mul(-2e4f).add(1e4f);       // right class -1e4
        for (Tensor t : new Tensor[] {x, wrong}) {
            Var p = Var.param(t);
            Var v = CrossEntropyLoss.builder().weight(W).labelSmoothing(0.1f).build().forward(p, Y);
            v.backward();
            assertTrue(Float.isFinite(v.item()), "value " + v.item());
            assertTrue(p.grad().isFinite(), "gradient");
        }
        assertEquals(0f, value(CrossEntropyLoss.create(), x, Y), 0f);
        assertEquals(2e4f, value(CrossEntropyLoss.create(), wrong, Y), 1f);   // -log p_y = 2e4 + log 2 (hand)
    }

    @Test
    void threeDEqualsTwoD() {
        Tensor x3 = E.reshape(2, 3, 1, 2, 2);
        LabelTensor y3 = Y.reshape(2, 1, 2, 2);
        CrossEntropyLoss l = CrossEntropyLoss.builder().weight(W).build();
        assertEquals(value(l, E, Y), value(l, x3, y3), 1e-7f);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropyLoss.builder().activation(Activation.SIGMOID).build());
        assertTrue(e.getMessage().startsWith("CrossEntropyLoss:") && e.getMessage().contains("activation")
                && e.getMessage().contains("SOFTMAX") && e.getMessage().contains("SIGMOID"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CrossEntropyLoss.builder().includeBackground(false).build());
        assertTrue(e.getMessage().contains("includeBackground") && e.getMessage().contains("false"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CrossEntropyLoss.builder().labelSmoothing(1f));
        assertTrue(e.getMessage().contains("labelSmoothing") && e.getMessage().contains("[0, 1)")
                && e.getMessage().contains("got 1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CrossEntropyLoss.builder().labelSmoothing(-0.1f));
        assertTrue(e.getMessage().contains("-0.1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CrossEntropyLoss.builder().weight(1f, 2f).build().forward(Var.constant(E), Y));
        assertTrue(e.getMessage().startsWith("CrossEntropyLoss:") && e.getMessage().contains("weight")
                && e.getMessage().contains("3") && e.getMessage().contains("got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CrossEntropyLoss.builder().weight(1f, -2f, 1f).build());
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("-2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropyLoss.create().forward(Var.constant(E), LabelTensor.of(new int[] {0, 1, 2, 3, 0, 0, 0, 0}, 2, 2, 2)));
        assertTrue(e.getMessage().contains("[0, 3)") && e.getMessage().contains("got 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CrossEntropyLoss.create().forward(Var.constant(E), LabelTensor.zeros(2, 2, 3)));
        assertTrue(e.getMessage().contains("[2, 2, 2]") && e.getMessage().contains("[2, 2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CrossEntropyLoss.create().forward(Var.constant(E), Y.oneHot(3).mul(0.5f)));
        assertTrue(e.getMessage().contains("softLabel"), e.getMessage());
    }

    /**
     * Equal logits of any magnitude give ln C and the gradient (1/C - t)/N. Before log-softmax
     * computed (x - m) - log s, x - (m + log s) gave 0 at 1e8 (1e8 + ln 3 rounds to 1e8) and was
     * 2.4 % off at 1e6. Reference: ln 3 in double.
     */
    @Test
    void equalLogitsOfAnyMagnitudeGiveLnC() {
        LabelTensor y = LabelTensor.of(new int[] {0, 1, 2, 1}, 1, 2, 2);
        for (float c : new float[] {1e4f, -1e4f, 1e6f, -1e6f, 1e8f, -1e8f, Float.MAX_VALUE, -Float.MAX_VALUE}) {
            Var x = Var.param(Tensor.full(c, 1, 3, 2, 2));
            Var l = CrossEntropyLoss.create().forward(x, y);
            assertEquals((float) Math.log(3), l.item(), 1e-6f, "logits " + c);
            l.backward();
            for (int i = 0; i < 4; i++) {
                for (int k = 0; k < 3; k++) {
                    float t = k == y.toArray()[i] ? 1f : 0f;
                    assertEquals((1f / 3 - t) / 4, x.grad().get(0, k, i / 2, i % 2), 1e-7f, "logits " + c + " grad");
                }
            }
        }
    }
}
