package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** Known values and contract of {@link WeightedCrossEntropyLoss}; each row says where its value came from. */
class WeightedCrossEntropyLossTest {
    // two-class example, B=1, C=2, 2x2: one foreground voxel of four
    static final Tensor X = Tensor.of(new float[] {0.5f, -1.0f, 2.0f, 0.0f, /* c1 */ 1.5f, 0.3f, -0.5f, 1.0f}, 1, 2, 2, 2);
    static final LabelTensor R = LabelTensor.of(new int[] {1, 0, 0, 0}, 1, 2, 2);

    static WeightedCrossEntropyLoss.Builder reference() {
        return WeightedCrossEntropyLoss.builder().weightSource(WeightedCrossEntropyLoss.WeightSource.REFERENCE);
    }

    static float value(Loss l, Tensor x, LabelTensor y) {
        return l.forward(Var.constant(x), y).item();
    }

    @Test
    void sudreKnownValues() {
        // NumPy float64 transcription of spec/losses/weighted-cross-entropy.md#formula (Sudre 2017 Sec. 2) on X, R:
        // PREDICTION w = (N - Σp)/Σp = 0.7213108854, WCE = 0.7897797352
        // REFERENCE  w = 3/1 = 3,                    WCE = 0.9682362345
        assertEquals(0.7897797352f, value(WeightedCrossEntropyLoss.create(), X, R), 1e-6f);
        assertArrayEquals(new float[] {1f, 0.7213108854f}, WeightedCrossEntropyLoss.create().classWeights(Var.constant(X), R), 1e-6f);
        assertEquals(0.9682362345f, value(reference().build(), X, R), 1e-6f);
        assertArrayEquals(new float[] {1f, 3f}, reference().build().classWeights(Var.constant(X), R), 0f);
    }

    @Test
    void formulaByHand() {   // -(1/N) Σ [w r log p + (1 - r) log(1 - p)], p = softmax(X)_1, w from Σp
        Tensor p = X.softmax(1);
        double n = 4, s = 0;
        for (int i = 0; i < 4; i++) s += p.at(4 + i);
        double w = (n - s) / s, sum = 0;
        for (int i = 0; i < 4; i++) {
            double p1 = p.at(4 + i), r = R.at(i);
            sum += w * r * Math.log(p1) + (1 - r) * Math.log(1 - p1);
        }
        assertEquals((float) (-sum / n), value(WeightedCrossEntropyLoss.create(), X, R), 1e-6f);
    }

    @Test
    void theWeightIsAConstant() {   // stop-gradient (spec/losses/weighted-cross-entropy.md#gradient): the gradient is that of CE with [1, w] frozen, / N
        for (WeightedCrossEntropyLoss.WeightSource src : WeightedCrossEntropyLoss.WeightSource.values()) {
            WeightedCrossEntropyLoss wce = WeightedCrossEntropyLoss.builder().weightSource(src).build();
            float[] w = wce.classWeights(Var.constant(X), R);
            Var a = Var.param(X);
            wce.forward(a, R).backward();
            Var b = Var.param(X);
            CrossEntropyLoss.builder().weight(w).reduction(Reduction.SUM).build().forward(b, R).div(4f).backward();
            assertArrayEquals(b.grad().toArray(), a.grad().toArray(), 1e-7f, src.toString());
        }
    }

    @Test
    void paperMeanVersusPyTorchWeightedMean() {   // spec/losses/weighted-cross-entropy.md#normalisation-paper-vs-pytorch: 1/N here, 1/Σ w[y] in PyTorch-style CE
        WeightedCrossEntropyLoss wce = reference().build();
        float w = wce.classWeights(Var.constant(X), R)[1];   // 3
        float ce = value(CrossEntropyLoss.builder().weight(1f, w).build(), X, R);
        assertEquals(value(wce, X, R) * 4, ce * (3 * 1 + 1 * w), 1e-5f);
    }

    @Test
    void degenerateVolumesFallBackToWeightOne() {   // spec/losses/weighted-cross-entropy.md#edge-cases-guards: Σ = 0 (or Σ = N) -> w = 1, i.e. plain CE
        LabelTensor empty = LabelTensor.zeros(1, 2, 2);
        LabelTensor full = LabelTensor.of(new int[] {1, 1, 1, 1}, 1, 2, 2);
        for (LabelTensor y : new LabelTensor[] {empty, full}) {
            assertArrayEquals(new float[] {1f, 1f}, reference().build().classWeights(Var.constant(X), y), 0f);
            assertEquals(value(CrossEntropyLoss.create(), X, y), value(reference().build(), X, y), 1e-6f);
        }
        // PREDICTION: a foreground probability that underflows to 0 everywhere
        Tensor sure = Tensor.of(new float[] {60, 60, 60, 60, -60, -60, -60, -60}, 1, 2, 2, 2);
        assertArrayEquals(new float[] {1f, 1f}, WeightedCrossEntropyLoss.create().classWeights(Var.constant(sure), empty), 0f);
        assertEquals(WeightedCrossEntropyLoss.ratio(4, 1), 3f, 0f);
        assertEquals(WeightedCrossEntropyLoss.ratio(4, 0), 1f, 0f);
        assertEquals(WeightedCrossEntropyLoss.ratio(4, 4), 1f, 0f);
        assertEquals(Float.MAX_VALUE, WeightedCrossEntropyLoss.ratio(1e30, 1e-30), 0f);   // capped, finite
    }

    @Test
    void sigmoidFormEqualsTwoChannelSoftmax() {   // softmax([0, x])_1 = σ(x): the two forms agree, weights included
        Tensor logit = X.slice(1, 1, 2).sub(X.slice(1, 0, 1));   // [1, 1, 2, 2]
        Tensor two = Tensor.concat(1, Tensor.zeros(1, 1, 2, 2), logit);
        Tensor mask = R.toFloat().reshape(1, 1, 2, 2);
        for (WeightedCrossEntropyLoss.WeightSource src : WeightedCrossEntropyLoss.WeightSource.values()) {
            WeightedCrossEntropyLoss sig = WeightedCrossEntropyLoss.builder().activation(Activation.SIGMOID).weightSource(src).build();
            WeightedCrossEntropyLoss soft = WeightedCrossEntropyLoss.builder().weightSource(src).build();
            float expected = value(soft, two, R);
            assertEquals(expected, value(sig, logit, R), 1e-6f, src + " label map");
            assertEquals(expected, sig.forward(Var.constant(logit), mask).item(), 1e-6f, src + " mask");
            assertEquals(expected, value(soft, X, R), 1e-6f, src + " softmax is shift invariant");
        }
    }

    @Test
    void moreThanTwoClassesWeighEachForegroundClass() {   // segloss extension: w_0 = 1, w_c = (N - V_c)/V_c
        Tensor e = CrossEntropyLossTest.E;
        LabelTensor y = CrossEntropyLossTest.Y;                 // class counts 2, 3, 3 of N = 8
        WeightedCrossEntropyLoss l = reference().build();
        assertArrayEquals(new float[] {1f, 5f / 3f, 5f / 3f}, l.classWeights(Var.constant(e), y), 1e-6f);
        float ceSum = value(CrossEntropyLoss.builder().weight(1f, 5f / 3f, 5f / 3f).reduction(Reduction.SUM).build(), e, y);
        assertEquals(ceSum / 8, value(l, e, y), 1e-6f);
    }

    @Test
    void ignoredVoxelsAreCutOut() {   // N and S count only the voxels that are not ignored
        Tensor x4 = Tensor.of(new float[] {0.5f, -1f, 2f, 7f, 1.5f, 0.3f, -0.5f, -4f}, 1, 2, 1, 4);
        Tensor x3 = Tensor.of(new float[] {0.5f, -1f, 2f, 1.5f, 0.3f, -0.5f}, 1, 2, 1, 3);
        LabelTensor y4 = LabelTensor.of(new int[] {1, 0, 0, 255}, 1, 1, 4);
        LabelTensor y3 = LabelTensor.of(new int[] {1, 0, 0}, 1, 1, 3);
        for (WeightedCrossEntropyLoss.WeightSource src : WeightedCrossEntropyLoss.WeightSource.values()) {
            WeightedCrossEntropyLoss with = WeightedCrossEntropyLoss.builder().weightSource(src).ignoreIndex(255).build();
            WeightedCrossEntropyLoss without = WeightedCrossEntropyLoss.builder().weightSource(src).build();
            assertEquals(value(without, x3, y3), value(with, x4, y4), 1e-6f, src.toString());
        }
    }

    @Test
    void allIgnoredIsZeroWithZeroGradient() {
        LabelTensor y = LabelTensor.of(new int[] {255, 255, 255, 255}, 1, 2, 2);
        Var x = Var.param(X);
        Var v = WeightedCrossEntropyLoss.builder().ignoreIndex(255).build().forward(x, y);
        assertEquals(0f, v.item(), 0f);
        v.backward();
        for (float g : x.grad().toArray()) assertEquals(0f, g, 0f);
    }

    @Test
    void hugeLogitsStayFinite() {   // ±1e4: log-softmax and the stable log-sigmoid
        Tensor wrong = R.oneHot(2).mul(-2e4f).add(1e4f);
        Var x = Var.param(wrong);
        Var v = WeightedCrossEntropyLoss.create().forward(x, R);
        v.backward();
        assertTrue(Float.isFinite(v.item()) && x.grad().isFinite(), v.item() + " " + x.grad());
        Var s = Var.param(Tensor.of(new float[] {-1e4f, 1e4f, 1e4f, 1e4f}, 1, 1, 2, 2));
        Var vs = WeightedCrossEntropyLoss.builder().activation(Activation.SIGMOID).build().forward(s, R);
        vs.backward();
        assertTrue(Float.isFinite(vs.item()) && s.grad().isFinite(), vs.item() + " " + s.grad());
    }

    @Test
    void reductions() {
        WeightedCrossEntropyLoss none = reference().reduction(Reduction.NONE).build();
        Var map = none.forward(Var.constant(X), R);
        assertEquals(Shape.of(1, 2, 2), map.shape());
        float sum = value(reference().reduction(Reduction.SUM).build(), X, R);
        assertEquals(map.value().sum().item(), sum, 1e-6f);
        assertEquals(sum / 4, value(reference().build(), X, R), 1e-6f);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightedCrossEntropyLoss.builder().weight(1f, 2f).build());
        assertTrue(e.getMessage().startsWith("WeightedCrossEntropyLoss:") && e.getMessage().contains("weight")
                && e.getMessage().contains("CrossEntropyLoss") && e.getMessage().contains("[1.0, 2.0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WeightedCrossEntropyLoss.builder().includeBackground(false).build());
        assertTrue(e.getMessage().contains("includeBackground"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WeightedCrossEntropyLoss.builder().activation(Activation.NONE).build());
        assertTrue(e.getMessage().contains("activation") && e.getMessage().contains("NONE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> WeightedCrossEntropyLoss.builder().activation(Activation.SIGMOID).ignoreIndex(255).build());
        assertTrue(e.getMessage().contains("ignoreIndex") && e.getMessage().contains("SIGMOID"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WeightedCrossEntropyLoss.builder().weightSource(null));
        assertTrue(e.getMessage().contains("weightSource") && e.getMessage().contains("null"), e.getMessage());
        WeightedCrossEntropyLoss sig = WeightedCrossEntropyLoss.builder().activation(Activation.SIGMOID).build();
        e = assertThrows(IllegalArgumentException.class, () -> sig.forward(Var.constant(X), R));
        assertTrue(e.getMessage().contains("[B, 1, *spatial]") && e.getMessage().contains("[1, 2, 2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sig.forward(Var.constant(X), R.oneHot(2)));
        assertTrue(e.getMessage().contains("[B, 1, *spatial]"), e.getMessage());
        Tensor logit = X.slice(1, 1, 2);
        e = assertThrows(IllegalArgumentException.class, () -> sig.forward(Var.constant(logit), LabelTensor.of(new int[] {0, 2, 1, 0}, 1, 2, 2)));
        assertTrue(e.getMessage().contains("binary") && e.getMessage().contains("got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sig.forward(Var.constant(logit), LabelTensor.zeros(1, 2, 3)));
        assertTrue(e.getMessage().contains("[1, 2, 2]") && e.getMessage().contains("[1, 2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> WeightedCrossEntropyLoss.create().forward(Var.constant(X), LabelTensor.of(new int[] {0, 2, 1, 0}, 1, 2, 2)));
        assertTrue(e.getMessage().contains("[0, 2)") && e.getMessage().contains("got 2"), e.getMessage());
    }
}
