package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.loss.RegionStatisticsTest.Case;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.SoftmaxExpLog;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * The fused cross-entropy term of the exp-log loss ({@link FusedExpLog} for PAPER,
 * {@link FusedCrossEntropy} for SEGLOSS; SOFTMAX on a label map) against the composed graph it
 * replaces: the same loss given the one-hot form of the labels runs the composed path. Both forms,
 * γ below, at and above 1, background dropped or kept, frequency and fixed class weights, ignored
 * voxels (ignore value outside and inside [0, C)), absent labels and saturated logits (the clamp
 * hit), spatial sizes that are not multiples of the chunk (2048) or of a vector (16), the thread
 * count; and the tensor op itself against a float64 reference, GradCheck, bad operands.
 */
class ExpLogFusedTest {
    static final int IGNORE = RegionStatisticsTest.IGNORE;

    /** Value within 2e-6 relative, gradient within 2e-6 of max|g| of the composed path. */
    static void assertSame(Supplier<ExpLogLoss> make, Tensor x, LabelTensor labels, int c, int ignore, String what) {
        Var xa = Var.param(x.copy()), xb = Var.param(x.copy());
        Var a = make.get().forward(xa, labels);                        // fused: a label map
        Var b = make.get().forward(xb, labels.oneHot(c, ignore));      // composed: the one-hot tensor
        assertEquals(b.item(), a.item(), 2e-6 * Math.max(1e-3, Math.abs(b.item())), what + " value");
        a.backward();
        b.backward();
        float[] ga = xa.grad().toArray(), gb = xb.grad().toArray();
        double max = 0;
        for (float v : gb) max = Math.max(max, Math.abs(v));
        assertTrue(max > 0, what + ": the composed gradient is not all zero");
        for (int i = 0; i < ga.length; i++) assertEquals(gb[i], ga[i], 2e-6 * max + 1e-12, what + " grad " + i);
    }

    @Test
    void matchesTheComposedGraphForEveryOption() {
        for (Case k : RegionStatisticsTest.cases()) {
            boolean hasIgnored = k.labels().eq(IGNORE).toFloat().sum().item() > 0;
            int ignore = hasIgnored ? IGNORE : SegmentationLoss.NO_IGNORE;
            float[] ce = new float[k.c()];
            for (int i = 0; i < ce.length; i++) ce[i] = 0.25f + 0.5f * i;
            for (ExpLogLoss.Form form : ExpLogLoss.Form.values()) {
                for (float gamma : new float[] {0.3f, 1f, 2f}) {
                    for (boolean bg : new boolean[] {true, false}) {
                        String what = k.x().shape() + " ignore=" + ignore + " " + form + " gamma=" + gamma + " bg=" + bg;
                        assertSame(() -> ExpLogLoss.builder().form(form).gamma(gamma).includeBackground(bg).ignoreIndex(ignore).build(),
                                k.x(), k.labels(), k.c(), ignore, what);
                        assertSame(() -> ExpLogLoss.builder().form(form).gamma(gamma).includeBackground(bg).ignoreIndex(ignore)
                                .ceWeight(ce).batch(false).build(), k.x(), k.labels(), k.c(), ignore, what + " ceWeight per-sample");
                    }
                }
            }
            assertSame(() -> ExpLogLoss.segLossBuilder().ignoreIndex(ignore).build(), k.x(), k.labels(), k.c(), ignore,
                    k.x().shape() + " segLossBuilder");
        }
    }

    @Test
    void ignoreIndexInsideTheClassRange() {
        for (Case k : RegionStatisticsTest.cases()) {
            if (k.labels().eq(IGNORE).toFloat().sum().item() > 0) continue;
            for (ExpLogLoss.Form form : ExpLogLoss.Form.values()) {
                assertSame(() -> ExpLogLoss.builder().form(form).ignoreIndex(1).build(), k.x(), k.labels(), k.c(), 1,
                        k.x().shape() + " ignore=1 " + form);
            }
        }
    }

    /**
     * Class 3 absent (its frequency weight never looked up, the Dice clamp hit), and logits that
     * make p_y = 1 at the first voxels (-ln p_y = 0, below the clamp) on a spatial size 2049 x 3 =
     * 6147 (not a multiple of 2048 or of 16): the composed value and gradient, nothing NaN, and
     * with the Dice term off an exactly zero gradient at the saturated voxels (there the slope
     * γ ℓ^(γ-1) would be ∞ at ℓ = 0 without the clamp before the power, and ∞ · (p − δ) = NaN).
     */
    @Test
    void absentLabelsAndTheClamp() {
        int b = 2, c = 4, h = 2049, w = 3, s = h * w;
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int[] lab = new int[b * s];
        float[] z = new float[b * c * s];
        for (int bi = 0; bi < b; bi++) {
            for (int j = 0; j < s; j++) {
                int y = r.nextInt(3);   // never 3
                lab[bi * s + j] = j % 37 == 0 ? IGNORE : y;
                boolean saturated = j < 40;
                for (int ch = 0; ch < c; ch++) {
                    z[(bi * c + ch) * s + j] = saturated ? (ch == y ? 60f : -60f) : (float) r.nextGaussian() * 2f;
                }
            }
        }
        Tensor x = Tensor.wrap(z, b, c, h, w);
        LabelTensor labels = LabelTensor.of(lab, b, h, w);
        for (ExpLogLoss.Form form : ExpLogLoss.Form.values()) {
            for (float gamma : new float[] {0.3f, 1f}) {
                String what = form + " gamma=" + gamma;
                assertSame(() -> ExpLogLoss.builder().form(form).gamma(gamma).ignoreIndex(IGNORE).build(), x, labels, c, IGNORE, what);
                assertSame(() -> ExpLogLoss.builder().form(form).gamma(gamma).ignoreIndex(IGNORE).includeBackground(false).build(),
                        x, labels, c, IGNORE, what + " bg=false");
                Var xa = Var.param(x.copy());
                Var l = ExpLogLoss.builder().form(form).gamma(gamma).weightDice(0f).ignoreIndex(IGNORE).build().forward(xa, labels);
                assertTrue(Float.isFinite(l.item()), what + " value " + l.item());
                l.backward();
                float[] g = xa.grad().toArray();
                for (float v : g) assertTrue(Float.isFinite(v), what + " gradient " + v);
                if (form == ExpLogLoss.Form.PAPER) {
                    // -ln p_y = 0 < MIN_LOG at the saturated voxels: the clamp's gradient is exactly 0 there
                    for (int bi = 0; bi < b; bi++) {
                        for (int ch = 0; ch < c; ch++) {
                            for (int j = 1; j < 40; j++) assertEquals(0f, g[(bi * c + ch) * s + j], 0f, what + " saturated voxel " + j);
                        }
                    }
                }
            }
        }
    }

    @Test
    void bitIdenticalForAnyThreadCount() {
        Case k = RegionStatisticsTest.cases().get(7);
        int saved = Parallel.threads();
        try {
            for (ExpLogLoss.Form form : ExpLogLoss.Form.values()) {
                float[][] v = new float[3][], g = new float[3][];
                int[] threads = {1, 2, 3};
                for (int i = 0; i < threads.length; i++) {
                    Parallel.setThreads(threads[i]);
                    Var x = Var.param(k.x().copy());
                    Var l = ExpLogLoss.builder().form(form).ignoreIndex(IGNORE).build().forward(x, k.labels());
                    l.backward();
                    v[i] = l.value().toArray();
                    g[i] = x.grad().toArray();
                }
                for (int i = 1; i < threads.length; i++) {
                    assertArrayEquals(v[0], v[i], form + " value, threads " + threads[i]);
                    assertArrayEquals(g[0], g[i], form + " gradient, threads " + threads[i]);
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /**
     * The tensor op against a float64 evaluation of its definition: Σ_n a[y] max(ℓ, minLog)^γ and
     * the gradient s · a[y] · γ max(ℓ, minLog)^(γ-1) [ℓ ≥ minLog] · (p_k − [k = y]), at a spatial size
     * of 2 x 2049 (two chunks, the second of 2050 voxels) with an ignore value inside [0, C).
     */
    @Test
    void theOpMatchesItsDefinitionInDouble() {
        int b = 2, c = 3, s = 2 * 2049;
        Tensor x = Tensor.randn(11, b, c, 2, 2049);
        LabelTensor labels = LabelTensor.randomLabels(12, c + 1, b, 2, 2049);   // label 3: outside [0, C), counts for nothing
        float[] coef = {0.7f, 1.9f, 0f};                                          // class 2 does not enter
        int ignore = 1;
        float gamma = 0.3f, minLog = 0.05f, scale = 0.37f;   // minLog: p_y > 0.95 is clamped, a few % of the voxels
        double want = 0;
        int clamped = 0, counted = 0;
        double[] gw = new double[x.size()];
        for (int bi = 0; bi < b; bi++) {
            for (int j = 0; j < s; j++) {
                int y = labels.at(bi * s + j);
                if (y == ignore || y < 0 || y >= c || coef[y] == 0f) continue;
                double m = Double.NEGATIVE_INFINITY;
                for (int ch = 0; ch < c; ch++) m = Math.max(m, x.at((bi * c + ch) * s + j));
                double z = 0;
                for (int ch = 0; ch < c; ch++) z += Math.exp(x.at((bi * c + ch) * s + j) - m);
                double ell = -(x.at((bi * c + y) * s + j) - m - Math.log(z));
                double floored = Math.max(ell, minLog);
                want += coef[y] * Math.pow(floored, gamma);
                double slope = ell >= minLog ? gamma * Math.pow(floored, gamma - 1) : 0;
                counted++;
                if (ell < minLog) clamped++;
                for (int ch = 0; ch < c; ch++) {
                    double p = Math.exp(x.at((bi * c + ch) * s + j) - m) / z;
                    gw[(bi * c + ch) * s + j] = scale * coef[y] * slope * (p - (ch == y ? 1 : 0));
                }
            }
        }
        assertTrue(clamped > 0 && clamped < counted / 4, "the clamp is hit at some voxels: " + clamped + " of " + counted);
        double got = SoftmaxExpLog.sum(x, labels, ignore, coef, gamma, minLog);
        assertEquals(want, got, 1e-5 * Math.abs(want), "sum");
        float[] g = SoftmaxExpLog.sumBackward(x, labels, ignore, coef, gamma, minLog, scale).toArray();
        double max = 0;
        for (double v : gw) max = Math.max(max, Math.abs(v));
        for (int i = 0; i < g.length; i++) assertEquals(gw[i], g[i], 1e-5 * max, "gradient " + i);
    }

    /**
     * The softmax and slope the forward pass keeps give the bits of the recomputing backward (γ
     * 0.3, 1, 2; ignore index outside and inside [0, C); a chunk tail; a one-voxel tail), whatever
     * the arrays held before: the kept p is the softmax (to rounding), the slope is 0 exactly where
     * the voxel counts for nothing; the kept array must have the logits' shape and the slope B · S
     * entries. At γ = 0.3 both paths call the pow kernel; its vector lanes are plain arithmetic,
     * the same bits in every JIT tier (spec/numerics.md, "Determinism"). With the Vector API's POW
     * lanes this test once failed between a call before and one after the JIT compiled them
     * (0.0023004778 against 0.002300478).
     */
    @Test
    void keptSoftmaxGivesTheBitsOfTheRecomputedGradient() {
        float[] coef = {0.7f, 1.9f, 0f, 1.1f};
        for (int spatial : new int[] {37, 2049}) {
            Tensor x = Tensor.randn(21, 2, 4, spatial).mul(3f);
            LabelTensor labels = LabelTensor.randomLabels(22, 5, 2, spatial);   // label 4: outside [0, C)
            float[] softmax = x.softmax(1).toArray();
            for (int ignore : new int[] {255, 1}) {
                for (float gamma : new float[] {0.3f, 1f, 2f}) {
                    String what = "spatial " + spatial + " ignore " + ignore + " gamma " + gamma;
                    float[] expected = SoftmaxExpLog.sumBackward(x, labels, ignore, coef, gamma, 0.05f, 0.37f).toArray();
                    Tensor kept = Tensor.full(Float.NaN, 2, 4, spatial);
                    float[] slope = new float[2 * spatial];
                    java.util.Arrays.fill(slope, Float.NaN);
                    double sum = SoftmaxExpLog.sum(x, labels, ignore, coef, gamma, 0.05f, kept, slope);
                    assertEquals(SoftmaxExpLog.sum(x, labels, ignore, coef, gamma, 0.05f), sum, 0.0, what + " sum");
                    float[] p = kept.toArray();
                    for (int i = 0; i < p.length; i++) assertEquals(softmax[i], p[i], 2e-7f, what + " kept p at " + i);
                    for (int n = 0; n < slope.length; n++) {
                        int y = labels.at(n);
                        boolean counts = y != ignore && y >= 0 && y < 4 && coef[y] != 0f;
                        if (!counts) assertEquals(0f, slope[n], 0f, what + " slope at uncounted voxel " + n);
                        else assertTrue(slope[n] >= 0f && Float.isFinite(slope[n]), what + " slope at " + n + ": " + slope[n]);
                    }
                    Tensor g = SoftmaxExpLog.sumBackwardFromSoftmax(kept, labels, slope, 0.37f);
                    assertTrue(g == kept, "the gradient is written over the kept softmax");
                    assertArrayEquals(expected, g.toArray(), what);
                }
            }
        }
        Tensor x = Tensor.randn(1, 1, 4, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxExpLog.sum(x, LabelTensor.zeros(1, 5), 255, coef, 1f, 0.05f, Tensor.zeros(1, 4, 6), new float[5]));
        assertTrue(e.getMessage().contains("SoftmaxExpLog.sum: out must have the logits' shape [1, 4, 5], got [1, 4, 6]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxExpLog.sum(x, LabelTensor.zeros(1, 5), 255, coef, 1f, 0.05f, Tensor.zeros(1, 4, 5), new float[4]));
        assertTrue(e.getMessage().contains("SoftmaxExpLog.sum: slope must have B * S = 5 entries, got 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxExpLog.sumBackwardFromSoftmax(Tensor.zeros(1, 4, 5), LabelTensor.zeros(1, 5), new float[6], 1f));
        assertTrue(e.getMessage().contains("SoftmaxExpLog.sumBackwardFromSoftmax: slope must have B * S = 5 entries, got 6"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxExpLog.sumBackwardFromSoftmax(Tensor.zeros(1, 4, 5), LabelTensor.zeros(1, 5), new float[5], Float.NaN));
        assertTrue(e.getMessage().contains("SoftmaxExpLog.sumBackwardFromSoftmax: scale must be finite, got NaN"), e.getMessage());
    }

    @Test
    void gradCheckOfTheOp() {
        Tensor x = Tensor.randn(3, 2, 3, 4, 5);
        LabelTensor lab = LabelTensor.randomLabels(4, 3, 2, 4, 5);
        for (float gamma : new float[] {0.3f, 1f, 2f}) {
            GradCheck.Report r = GradCheck.check(v -> FusedExpLog.sum(v[0], lab, 2, new float[] {0.4f, 1.3f, 0.9f}, gamma,
                    ExpLogLoss.MIN_LOG), x);
            assertTrue(r.passed(), "gamma=" + gamma + ": " + r);
        }
    }

    /** Bad operands of the fused op: each rejected with the parameter, the expected and the actual value. */
    @Test
    void badOperandsAreRejected() {
        Tensor x = Tensor.randn(5, 2, 3, 4, 4);
        LabelTensor y = LabelTensor.of(new int[2 * 16], 2, 4, 4);
        float[] coef = {1f, 1f, 1f};
        String[][] cases = {
            {"rank", "SoftmaxExpLog.sum: logits must be [B, C, *spatial], got [2, 3]"},
            {"labels", "SoftmaxExpLog.sum: labels must be [B, *spatial] (32 elements) for logits [2, 3, 4, 4], got [2, 4, 3]"},
            {"null labels", "SoftmaxExpLog.sum: labels must be [B, *spatial] (32 elements) for logits [2, 3, 4, 4], got null"},
            {"coef", "SoftmaxExpLog.sum: coef must have C = 3 entries, got 2"},
            {"null coef", "SoftmaxExpLog.sum: coef must have C = 3 entries, got null"},
            {"coef NaN", "SoftmaxExpLog.sum: coef entries must be finite, got NaN at class 1"},
            {"gamma", "SoftmaxExpLog.sum: gamma must be finite and > 0, got 0.0"},
            {"minLog", "SoftmaxExpLog.sum: minLog must be finite and > 0, got -1.0"},
            {"backward gamma", "SoftmaxExpLog.sumBackward: gamma must be finite and > 0, got Infinity"},
            {"out shape", "SoftmaxExpLog.sumBackward: out must have the logits' shape [2, 3, 4, 4], got [2, 3, 16]"},
            {"out aliases x", "SoftmaxExpLog.sumBackward: out must not share its array with the logits [2, 3, 4, 4]"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                switch (c[0]) {
                    case "rank" -> SoftmaxExpLog.sum(Tensor.zeros(2, 3), y, -1, coef, 0.3f, 1e-7f);
                    case "labels" -> SoftmaxExpLog.sum(x, LabelTensor.of(new int[24], 2, 4, 3), -1, coef, 0.3f, 1e-7f);
                    case "null labels" -> SoftmaxExpLog.sum(x, null, -1, coef, 0.3f, 1e-7f);
                    case "coef" -> SoftmaxExpLog.sum(x, y, -1, new float[2], 0.3f, 1e-7f);
                    case "null coef" -> SoftmaxExpLog.sum(x, y, -1, null, 0.3f, 1e-7f);
                    case "coef NaN" -> SoftmaxExpLog.sum(x, y, -1, new float[] {1f, Float.NaN, 1f}, 0.3f, 1e-7f);
                    case "gamma" -> SoftmaxExpLog.sum(x, y, -1, coef, 0f, 1e-7f);
                    case "minLog" -> SoftmaxExpLog.sum(x, y, -1, coef, 0.3f, -1f);
                    case "backward gamma" -> SoftmaxExpLog.sumBackward(x, y, -1, coef, Float.POSITIVE_INFINITY, 1e-7f, 1f);
                    case "out shape" -> SoftmaxExpLog.sumBackward(x, y, -1, coef, 0.3f, 1e-7f, 1f, Tensor.zeros(2, 3, 16));
                    default -> SoftmaxExpLog.sumBackward(x, y, -1, coef, 0.3f, 1e-7f, 1f, x);
                }
            }, c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
