package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.loss.RegionStatisticsTest.Case;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * The fused softmax focal sum ({@link FusedFocal}, SOFTMAX on a label map) against the composed
 * graph it replaces: the same loss given the one-hot form of the labels runs the composed path.
 * Every option that reaches the fused path (γ, scalar and per-class α, class weights, background
 * dropped, ignore index outside and inside [0, C), MEAN and SUM), saturated logits, the thread
 * count, and GradCheck of the op itself.
 */
class FocalFusedTest {
    static final int IGNORE = RegionStatisticsTest.IGNORE;

    /** Value within 2e-6 relative, gradient within 2e-6 of max|g| of the composed path. */
    static void assertSame(Supplier<FocalLoss> make, Tensor x, LabelTensor labels, int c, int ignore, String what) {
        Var xa = Var.param(x.copy()), xb = Var.param(x.copy());
        Var a = make.get().forward(xa, labels);
        Var b = make.get().forward(xb, labels.oneHot(c, ignore));
        assertEquals(b.item(), a.item(), 2e-6 * Math.max(1e-3, Math.abs(b.item())), what + " value");
        a.backward();
        b.backward();
        float[] ga = xa.grad().toArray(), gb = xb.grad().toArray();
        double max = 0;
        for (float v : gb) max = Math.max(max, Math.abs(v));
        for (int i = 0; i < ga.length; i++) assertEquals(gb[i], ga[i], 2e-6 * max + 1e-12, what + " grad " + i);
    }

    @Test
    void matchesTheComposedGraphForEveryOption() {
        for (Case k : RegionStatisticsTest.cases()) {
            boolean hasIgnored = k.labels().eq(IGNORE).toFloat().sum().item() > 0;
            int ignore = hasIgnored ? IGNORE : SegmentationLoss.NO_IGNORE;
            for (float gamma : new float[] {0f, 0.5f, 2f, 3.5f}) {
                for (boolean bg : new boolean[] {true, false}) {
                    for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
                        int kept = bg ? k.c() : k.c() - 1;
                        float[] w = new float[kept], apc = new float[kept];
                        for (int i = 0; i < kept; i++) {
                            w[i] = 0.5f + i;
                            apc[i] = (i + 1f) / (kept + 1f);
                        }
                        String what = k.x().shape() + " ignore=" + ignore + " gamma=" + gamma + " bg=" + bg + " " + red;
                        assertSame(() -> FocalLoss.builder().gamma(gamma).includeBackground(bg).ignoreIndex(ignore).reduction(red).build(),
                                k.x(), k.labels(), k.c(), ignore, what);
                        assertSame(() -> FocalLoss.builder().gamma(gamma).alpha(0.25f).weight(w).includeBackground(bg).ignoreIndex(ignore)
                                .reduction(red).build(), k.x(), k.labels(), k.c(), ignore, what + " alpha weight");
                        assertSame(() -> FocalLoss.builder().gamma(gamma).alphaPerClass(apc).includeBackground(bg).ignoreIndex(ignore)
                                .reduction(red).build(), k.x(), k.labels(), k.c(), ignore, what + " alphaPerClass");
                    }
                }
            }
        }
    }

    @Test
    void ignoreIndexInsideTheClassRange() {
        for (Case k : RegionStatisticsTest.cases()) {
            if (k.labels().eq(IGNORE).toFloat().sum().item() > 0) continue;
            for (boolean bg : new boolean[] {true, false}) {
                assertSame(() -> FocalLoss.builder().includeBackground(bg).ignoreIndex(1).build(), k.x(), k.labels(), k.c(), 1,
                        k.x().shape() + " ignore=1 bg=" + bg);
            }
        }
    }

    @Test
    void saturatedLogitsGiveTheComposedValueAndNoNaN() {
        // p = 1 at the label: 1 - p is 0, below the floor; gamma < 1 would make the factor's derivative infinite
        int c = 3, n = 40;
        int[] lab = new int[n];
        float[] z = new float[c * n];
        for (int i = 0; i < n; i++) {
            lab[i] = i % c;
            for (int ch = 0; ch < c; ch++) z[ch * n + i] = ch == lab[i] ? (i < 20 ? 60f : 3f) : -60f + i;
        }
        Tensor x = Tensor.wrap(z, 1, c, n, 1);
        LabelTensor labels = LabelTensor.of(lab, 1, n, 1);
        for (float gamma : new float[] {0.5f, 2f}) {
            assertSame(() -> FocalLoss.builder().gamma(gamma).build(), x, labels, c, SegmentationLoss.NO_IGNORE, "saturated gamma=" + gamma);
            Var xa = Var.param(x.copy());
            FocalLoss.builder().gamma(gamma).build().forward(xa, labels).backward();
            for (float v : xa.grad().toArray()) assertTrue(Float.isFinite(v), "gradient " + v);
        }
    }

    @Test
    void bitIdenticalForAnyThreadCount() {
        Case k = RegionStatisticsTest.cases().get(7);
        int saved = Parallel.threads();
        try {
            float[][] v = new float[3][], g = new float[3][];
            int[] threads = {1, 2, 3};
            for (int i = 0; i < threads.length; i++) {
                Parallel.setThreads(threads[i]);
                Var x = Var.param(k.x().copy());
                Var l = FocalLoss.builder().alpha(0.3f).ignoreIndex(IGNORE).build().forward(x, k.labels());
                l.backward();
                v[i] = l.value().toArray();
                g[i] = x.grad().toArray();
            }
            for (int i = 1; i < threads.length; i++) {
                assertArrayEquals(v[0], v[i], "value, threads " + threads[i]);
                assertArrayEquals(g[0], g[i], "gradient, threads " + threads[i]);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void gradCheckOfTheOp() {
        Tensor x = Tensor.randn(3, 2, 3, 4, 5);
        LabelTensor lab = LabelTensor.randomLabels(4, 3, 2, 4, 5);
        for (float gamma : new float[] {0f, 0.7f, 2f}) {
            GradCheck.Report r = GradCheck.check(v -> FusedFocal.sum(v[0], lab, 2, new float[] {0.4f, 1.3f, 0.9f}, gamma, 1e-12f), x);
            assertTrue(r.passed(), "gamma=" + gamma + ": " + r);
        }
    }
    /**
     * The gradient the forward pass writes at a scale gives the bits of the recomputing
     * {@code sumBackward} at that scale (γ 0, 0.7, 2; ignore index outside and inside [0, C); a
     * one-voxel chunk tail); stale contents of the array do not matter; written at scale 1 and
     * scaled in place afterwards (FusedFocal's backward for an upstream other than 1) it agrees to
     * float32 rounding of the largest entry; the array must not be the logits'.
     */
    @Test
    void gradientFromTheForwardPassHasTheBitsOfTheRecomputedOne() {
        float[] coef = {0.4f, 1.3f, 0.9f, 0f};
        for (int spatial : new int[] {37, 2049}) {
            Tensor x = Tensor.randn(11, 2, 4, spatial).mul(3f);
            LabelTensor lab = LabelTensor.randomLabels(12, 4, 2, spatial);
            for (int ignore : new int[] {255, 2}) {
                for (float gamma : new float[] {0f, 0.7f, 2f}) {
                    for (float scale : new float[] {1f, 0.37f, 1f / (2 * spatial)}) {
                        String what = "spatial " + spatial + " ignore " + ignore + " gamma " + gamma + " scale " + scale;
                        float[] expected = org.segloss.tensor.SoftmaxFocal.sumBackward(x, lab, ignore, coef, gamma, 1e-12f, scale).toArray();
                        Tensor g = Tensor.full(Float.NaN, 2, 4, spatial);
                        double kept = org.segloss.tensor.SoftmaxFocal.sum(x, lab, ignore, coef, gamma, 1e-12f, g, scale, null);
                        assertEquals(org.segloss.tensor.SoftmaxFocal.sum(x, lab, ignore, coef, gamma, 1e-12f), kept, 0.0, what + " sum");
                        assertArrayEquals(expected, g.toArray(), what);
                        Tensor unit = Tensor.full(Float.NaN, 2, 4, spatial);
                        org.segloss.tensor.SoftmaxFocal.sum(x, lab, ignore, coef, gamma, 1e-12f, unit);
                        Tensor scaled = unit.muli(scale);   // what FusedFocal's backward does with an upstream gradient
                        assertTrue(scaled == unit, "scaled in place");
                        // p_y a - a cancels where p_y is near 1: rounding relative to the largest entry
                        float[] later = unit.toArray();
                        float largest = 0f;
                        for (float v : expected) largest = Math.max(largest, Math.abs(v));
                        for (int i = 0; i < later.length; i++) {
                            assertEquals(expected[i], later[i], 1e-6f * largest, what + " scaled afterwards at " + i);
                        }
                    }
                }
            }
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> {
            Tensor x = Tensor.randn(1, 1, 4, 5);
            org.segloss.tensor.SoftmaxFocal.sum(x, LabelTensor.zeros(1, 5), 255, coef, 2f, 1e-12f, x);
        });
        assertTrue(e.getMessage().contains("SoftmaxFocal.sum: out must not share its array with the logits [1, 4, 5]"), e.getMessage());
    }

    /** Bad operands of the fused op: each rejected with the parameter, the expected and the actual value. */
    @Test
    void badOperandsAreRejected() {
        Tensor x = Tensor.randn(5, 2, 3, 4, 4);
        LabelTensor y = LabelTensor.of(new int[2 * 16], 2, 4, 4);
        float[] coef = {1f, 1f, 1f};
        String[][] cases = {
            {"rank", "SoftmaxFocal.sum: logits must be [B, C, *spatial], got [2, 3]"},
            {"labels", "SoftmaxFocal.sum: labels must be [B, *spatial] (32 elements) for logits [2, 3, 4, 4], got [2, 4, 3]"},
            {"null labels", "labels must be [B, *spatial] (32 elements) for logits [2, 3, 4, 4], got null"},
            {"coef", "SoftmaxFocal.sum: coef must have C = 3 entries, got 2"},
            {"gamma", "SoftmaxFocal.sum: gamma must be finite and >= 0, got -1.0"},
            {"floor", "SoftmaxFocal.sum: floor must be in (0, 1), got 1.0"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> {
                switch (c[0]) {
                    case "rank" -> org.segloss.tensor.SoftmaxFocal.sum(Tensor.zeros(2, 3), y, -1, coef, 2f, 1e-6f);
                    case "labels" -> org.segloss.tensor.SoftmaxFocal.sum(x, LabelTensor.of(new int[24], 2, 4, 3), -1, coef, 2f, 1e-6f);
                    case "null labels" -> org.segloss.tensor.SoftmaxFocal.sum(x, null, -1, coef, 2f, 1e-6f);
                    case "coef" -> org.segloss.tensor.SoftmaxFocal.sum(x, y, -1, new float[2], 2f, 1e-6f);
                    case "gamma" -> org.segloss.tensor.SoftmaxFocal.sum(x, y, -1, coef, -1f, 1e-6f);
                    default -> org.segloss.tensor.SoftmaxFocal.sum(x, y, -1, coef, 2f, 1f);
                }
            }, c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
