package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.loss.LovaszSoftmaxLoss.Classes;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** Known values, edge cases and checks of {@link LovaszSoftmaxLoss}; each known value says where it came from. */
class LovaszSoftmaxLossTest {
    /** spec/reference-values.md, example E: logits [B=2, C=3, 2, 2], written [b][c][h][w]. */
    static final Tensor E_LOGITS = Tensor.of(new float[] {
            2.0f, 0.5f, 0.1f, -1.0f, /* c1 */ 0.3f, 1.5f, 0.2f, 0.4f, /* c2 */ -0.5f, 0.0f, 1.2f, 0.8f,
            /* b1 */ 0.0f, 0.0f, 1.0f, -2.0f, /* c1 */ 1.0f, 0.5f, 0.0f, 0.3f, /* c2 */ 0.5f, -1.0f, -1.0f, 2.0f}, 2, 3, 2, 2);
    /** Example E's labels [2, 2, 2]. */
    static final LabelTensor E_LABELS = LabelTensor.of(new int[] {0, 1, 2, 2, /* b1 */ 1, 1, 0, 2}, 2, 2, 2);

    static float value(Loss l, Tensor x, LabelTensor y) {
        return l.forward(Var.constant(x), y).item();
    }

    static LovaszSoftmaxLoss.Builder b() { return LovaszSoftmaxLoss.builder(); }

    // ---- known values: spec/reference-values.md D1-D3 (NumPy re-implementation of the reference, float64;
    //      re-derived for this project by an independent pure-Python implementation: identical to 1e-9)

    @Test
    void d1PresentEqualsAllOnExampleE() {              // D1: 0.363412
        assertEquals(0.363412f, value(LovaszSoftmaxLoss.create(), E_LOGITS, E_LABELS), 2e-6f);
        assertEquals(0.363412f, value(b().classes(Classes.ALL).build(), E_LOGITS, E_LABELS), 2e-6f);
    }

    @Test
    void d2AbsentClassPresentAllPerImage() {           // D2: 0.534141 / 0.633641 / 0.487546
        LabelTensor y = LabelTensor.of(new int[] {0, 1, 1, 1, /* b1 */ 1, 1, 0, 0}, 2, 2, 2);   // class 2 absent
        assertEquals(0.534141f, value(LovaszSoftmaxLoss.create(), E_LOGITS, y), 2e-6f);
        assertEquals(0.633641f, value(b().classes(Classes.ALL).build(), E_LOGITS, y), 2e-6f);
        assertEquals(0.487546f, value(b().perImage(true).build(), E_LOGITS, y), 2e-6f);
    }

    @Test
    void d3IgnoreIndex() {                              // D3: 0.374031
        LabelTensor y = LabelTensor.of(new int[] {0, 255, 2, 2, /* b1 */ 1, 255, 0, 2}, 2, 2, 2);
        assertEquals(0.374031f, value(b().ignoreIndex(255).build(), E_LOGITS, y), 2e-6f);
    }

    @Test
    void explicitClassListAndReductions() {             // by construction from the NONE values
        Var none = b().classes(Classes.ALL).reduction(Reduction.NONE).build().forward(Var.constant(E_LOGITS), E_LABELS);
        assertEquals(Shape.of(3), none.shape());
        float[] v = none.value().toArray();
        assertEquals(0.363412f, (v[0] + v[1] + v[2]) / 3, 2e-6f, "D1 is the mean of the per-class values");
        assertEquals((v[0] + v[2]) / 2, value(b().classes(2, 0).build(), E_LOGITS, E_LABELS), 1e-6f);
        assertEquals(v[0] + v[1] + v[2], value(b().reduction(Reduction.SUM).build(), E_LOGITS, E_LABELS), 1e-6f);
        // without background: channels 1, 2 are kept; NONE is indexed by kept channel
        Var noBg = b().includeBackground(false).reduction(Reduction.NONE).build().forward(Var.constant(E_LOGITS), E_LABELS);
        assertArrayEquals(new float[] {v[1], v[2]}, noBg.value().toArray(), 1e-6f);
        Var perImage = b().perImage(true).reduction(Reduction.NONE).build().forward(Var.constant(E_LOGITS), E_LABELS);
        assertEquals(Shape.of(2, 3), perImage.shape());
    }

    @Test
    void oneHotPredictionGivesOneMinusIoU() {           // spec/losses/lovasz.md#formula: the extension equals Δ_J on 0/1 errors
        LabelTensor y = LabelTensor.of(new int[] {0, 0, 1, 1, 2, 2, 0, 1, /* b1 */ 2, 2, 1, 0, 0, 1, 2, 2}, 2, 2, 4);
        LabelTensor pred = LabelTensor.of(new int[] {0, 1, 1, 1, 2, 0, 0, 2, /* b1 */ 2, 1, 1, 0, 2, 1, 2, 0}, 2, 2, 4);
        double expected = 0;
        for (int c = 0; c < 3; c++) {
            int inter = 0, union = 0;
            for (int i = 0; i < y.size(); i++) {
                boolean a = y.at(i) == c, p = pred.at(i) == c;
                inter += a && p ? 1 : 0;
                union += a || p ? 1 : 0;
            }
            expected += (1.0 - (double) inter / union) / 3;
        }
        LovaszSoftmaxLoss l = b().activation(Activation.NONE).build();
        assertEquals(expected, value(l, pred.oneHot(3), y), 1e-6);   // ties everywhere: the value does not care
    }

    // ---- edge cases: spec/contract.md edge cases 14-16 ----------------------------------------------------

    @Test
    void everyVoxelIgnoredGivesZeroWithZeroGradientStillAGraphNode() {
        LabelTensor y = LabelTensor.of(new int[] {255, 255, 255, 255, 255, 255, 255, 255}, 2, 2, 2);
        for (boolean perImage : new boolean[] {false, true}) {
            Var x = Var.param(E_LOGITS);
            Var l = b().ignoreIndex(255).perImage(perImage).build().forward(x, y);
            assertEquals(0f, l.item(), 0f);
            assertTrue(l.requiresGrad(), "a graph node, so backward works");
            l.backward();
            for (float g : x.grad().toArray()) assertEquals(0f, g, 0f);
        }
    }

    @Test
    void noSelectedClassPresentGivesZero() {            // PRESENT, background dropped, only background labelled
        Var x = Var.param(E_LOGITS);
        Var l = b().includeBackground(false).build().forward(x, LabelTensor.zeros(2, 2, 2));
        assertEquals(0f, l.item(), 0f);
        l.backward();
        for (float g : x.grad().toArray()) assertEquals(0f, g, 0f);
    }

    @Test
    void aSingleValidVoxelWorks() {                     // the reference mis-shapes this case (spec/losses/lovasz.md#edge-cases)
        Tensor p = Tensor.of(new float[] {0.2f, 0.5f, 0.3f}, 1, 3, 1, 1);
        LabelTensor y = LabelTensor.of(new int[] {1}, 1, 1, 1);
        Var x = Var.param(p);
        Var l = b().activation(Activation.NONE).build().forward(x, y);
        assertEquals(0.5f, l.item(), 1e-7f, "class 1 only: G = 1, g = [1], loss = 1 - p_1");
        l.backward();
        assertArrayEquals(new float[] {0f, -1f, 0f}, x.grad().toArray(), 0f);
        // the same voxel among ignored ones
        Tensor q = Tensor.of(new float[] {0.2f, 0.9f, 0.5f, 0.1f, 0.1f, 0.5f, 0.5f, 0.9f, 0.6f, 0.2f, 0.0f, 0.3f}, 1, 3, 2, 2);
        LabelTensor yi = LabelTensor.of(new int[] {9, 9, 1, 9}, 1, 2, 2);
        assertEquals(0.5f, value(b().activation(Activation.NONE).ignoreIndex(9).build(), q, yi), 1e-7f);
    }

    @Test
    void perImageEqualsTheMeanOfSingleImageCalls() {
        LovaszSoftmaxLoss l = b().perImage(true).build();
        float both = value(l, E_LOGITS, E_LABELS);
        float first = value(l, E_LOGITS.slice(0, 0, 1), LabelTensor.of(Arrays.copyOfRange(E_LABELS.toArray(), 0, 4), 1, 2, 2));
        float second = value(l, E_LOGITS.slice(0, 1, 2), LabelTensor.of(Arrays.copyOfRange(E_LABELS.toArray(), 4, 8), 1, 2, 2));
        assertEquals((first + second) / 2, both, 1e-6f);
    }

    @Test
    void tieRuleEarlierPositionFirstValueInvariant() {
        // class 1 errors tie at 0.5 (one foreground, one background voxel); classes(1) isolates it
        LovaszSoftmaxLoss l = b().activation(Activation.NONE).classes(1).build();
        Tensor p = Tensor.of(new float[] {0.5f, 0.5f, /* c1 */ 0.5f, 0.5f}, 1, 2, 1, 2);
        Var xa = Var.param(p), xb = Var.param(p);
        Var la = l.forward(xa, LabelTensor.of(new int[] {1, 0}, 1, 1, 2));   // foreground first in position
        Var lb = l.forward(xb, LabelTensor.of(new int[] {0, 1}, 1, 1, 2));   // background first
        assertEquals(0.5f, la.item(), 1e-7f);
        assertEquals(la.item(), lb.item(), 0f, "the value does not depend on the order of ties");
        la.backward();
        lb.backward();
        // a: order (fg, bg): g = [1, 0];  b: order (bg, fg): g = [1/2, 1/2]; ∂e/∂p = -1 on fg, +1 on bg
        assertArrayEquals(new float[] {0f, 0f, -1f, 0f}, xa.grad().toArray(), 1e-7f);
        assertArrayEquals(new float[] {0f, 0f, 0.5f, -0.5f}, xb.grad().toArray(), 1e-7f);
        assertArrayEquals(new int[] {1, 5, 0, 2, 3, 4},
                LovaszSoftmaxLoss.argsortDescending(new float[] {0.5f, 0.7f, 0.5f, -0f, 0f, 0.7f}, 6), "-0 equals +0");
    }

    @Test
    void argsortAgreesWithAComparisonSortOnLargeInputs() {
        SplittableRandom r = new SplittableRandom(11);
        int n = 100_000;
        float[] e = new float[n];
        for (int i = 0; i < n; i++) e[i] = r.nextInt(4) == 0 ? (float) r.nextInt(50) / 7f : (float) (r.nextGaussian() * 3);   // many ties
        Integer[] ref = new Integer[n];
        for (int i = 0; i < n; i++) ref[i] = i;
        Arrays.sort(ref, (a, c) -> Float.compare(e[c] + 0f, e[a] + 0f));   // stable: ties by index
        int[] got = LovaszSoftmaxLoss.argsortDescending(e, n);
        for (int i = 0; i < n; i++) assertEquals(ref[i].intValue(), got[i], "at rank " + i);
    }

    // ---- gradients ------------------------------------------------------------------------------

    /** Step and tolerance of the gradient checks: small enough to cross no sort tie, see {@link #minErrorGap}. */
    static final GradCheck.Options GRAD = GradCheck.DEFAULTS.withEps(3e-4, 1e-2);

    /**
     * The smallest gap between two errors of the same class anywhere in the batch (a superset of
     * every set sorted, per image or not). A full-mode GradCheck step h on one logit moves that
     * voxel's errors by at most h/4 (|∂p_c/∂z_k| <= 1/4), on one probability by h.
     */
    static double minErrorGap(Tensor probs, LabelTensor y) {
        int b = probs.dim(0), c = probs.dim(1), s = probs.size() / (b * c);
        double min = Double.POSITIVE_INFINITY;
        for (int k = 0; k < c; k++) {
            double[] e = new double[b * s];
            for (int bi = 0; bi < b; bi++) {
                for (int i = 0; i < s; i++) {
                    float p = probs.at((bi * c + k) * s + i);
                    e[bi * s + i] = y.at(bi * s + i) == k ? 1 - p : p;
                }
            }
            Arrays.sort(e);
            for (int i = 1; i < e.length; i++) min = Math.min(min, e[i] - e[i - 1]);
        }
        return min;
    }

    /** Whether a GradCheck with {@link #GRAD} on input x cannot reorder the errors (50% margin). */
    static boolean separated(Tensor x, LabelTensor y, Activation a) {
        double maxAbs = 0;
        for (int i = 0; i < x.size(); i++) maxAbs = Math.max(maxAbs, Math.abs(x.at(i)));
        double h = GRAD.eps() * Math.max(1, maxAbs);
        double move = a == Activation.NONE ? h : h / 4;
        return minErrorGap(a == Activation.NONE ? x : x.softmax(1), y) > 1.5 * move;
    }

    @Test
    void gradientAgreesWithFiniteDifferencesOnSeparatedErrors() {
        int checked = 0;
        for (long seed = 1; checked < 8 && seed < 200; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            int bn = 1 + r.nextInt(2);
            Tensor x = Tensor.randn(r.nextLong(), bn, 3, 2, 3).mul(1.5f);
            LabelTensor y = LabelTensor.randomLabels(r.nextLong(), 3, bn, 2, 3);
            if (!separated(x, y, Activation.SOFTMAX)) continue;
            LovaszSoftmaxLoss l = b().perImage(r.nextBoolean()).classes(r.nextBoolean() ? Classes.ALL : Classes.PRESENT).build();
            GradCheck.Report rep = GradCheck.check(v -> l.forward(v[0], y), GRAD, x);
            assertTrue(rep.passed(), "seed " + seed + ": " + rep);
            checked++;
        }
        assertEquals(8, checked, "found enough inputs with separated errors");
    }

    @Test
    void gradientWithProbabilityInput() {
        Tensor p = Tensor.of(new float[] {0.62f, 0.11f, 0.47f, 0.05f, 0.33f, 0.71f, /* c1 */ 0.38f, 0.89f, 0.53f, 0.95f, 0.67f, 0.29f},
                1, 2, 2, 3);
        LabelTensor y = LabelTensor.of(new int[] {0, 1, 1, 0, 1, 0}, 1, 2, 3);
        assertTrue(separated(p, y, Activation.NONE));
        LovaszSoftmaxLoss l = b().activation(Activation.NONE).build();
        GradCheck.Report rep = GradCheck.check(v -> l.forward(v[0], y), GRAD, p);
        assertTrue(rep.passed(), rep.toString());
    }

    // ---- the label-map path, the one-hot path and the thread count give the same bits ------------------

    /**
     * A label map is read directly (no one-hot tensor is built); the one-hot target goes the other
     * way. Both, and 1, 2 and 3 threads, must give the same value and gradient bits, on a volume
     * large enough for the bucketed sort (n = 2 · 12³ per class) and with ties (logits on a grid of
     * 1/2), ignored voxels, a dropped background, per image or not.
     */
    @Test
    void labelMapOneHotAndThreadCountGiveTheSameBits() {
        SplittableRandom r = new SplittableRandom(23);
        int b = 2, c = 4, s = 12, inner = s * s * s;
        float[] z = new float[b * c * inner];
        for (int i = 0; i < z.length; i++) z[i] = r.nextInt(-8, 9) / 2f;
        int[] l = new int[b * inner];
        for (int i = 0; i < l.length; i++) l[i] = r.nextInt(9) == 0 ? 255 : r.nextInt(c);
        Tensor x = Tensor.wrap(z, b, c, s, s, s);
        LabelTensor y = LabelTensor.of(l, b, s, s, s);
        Tensor onehot = y.oneHot(c, 255);
        LovaszSoftmaxLoss[] losses = {
            b().ignoreIndex(255).build(),
            b().ignoreIndex(255).perImage(true).classes(Classes.ALL).build(),
            b().ignoreIndex(255).includeBackground(false).classes(1, 3).build()};
        int saved = org.segloss.tensor.kernel.Parallel.threads();
        try {
            for (LovaszSoftmaxLoss loss : losses) {
                float[] value0 = null, grad0 = null;
                for (int threads : new int[] {1, 2, 3}) {
                    org.segloss.tensor.kernel.Parallel.setThreads(threads);
                    for (boolean labels : new boolean[] {true, false}) {
                        Var xv = Var.param(x);
                        Var v = labels ? loss.forward(xv, y) : loss.forward(xv, onehot);
                        v.backward();
                        String what = "perImage " + loss.perImage() + ", threads " + threads + (labels ? ", labels" : ", one-hot");
                        if (value0 == null) {
                            value0 = v.value().toArray();
                            grad0 = xv.grad().toArray();
                            assertTrue(v.item() > 0f, what);
                        } else {
                            assertArrayEquals(value0, v.value().toArray(), 0f, what);
                            assertArrayEquals(grad0, xv.grad().toArray(), 0f, what);
                        }
                    }
                }
            }
        } finally {
            org.segloss.tensor.kernel.Parallel.setThreads(saved);
        }
    }

    /**
     * The forward, end to end (items built from the probabilities and the label map, the bucketed
     * sort, the walk, the backward), against the plain definition (a stable comparison sort and
     * Alg. 1 in double, {@link LovaszSortTest#referenceLovasz}), per class and bit for bit, on
     * inputs whose keys take different paths of the sort: errors over many binades (an 11-bit top
     * digit, two LSD passes per bucket), errors within one binade (the top digit inside the
     * mantissa), 24 voxels (one bucket, insertion sort), equal probabilities (keys all equal), and
     * wide errors with ignored voxels (the items scattered straight into their buckets skip them).
     */
    @Test
    void everyBucketingPathEqualsTheDefinitionBitForBit() {
        SplittableRandom r = new SplittableRandom(5);
        int c = 2;
        for (String kind : new String[] {"wide", "narrow", "few", "equal", "ignored"}) {
            int n = kind.equals("few") ? 24 : 2 * 9 * 9;
            float[] p = new float[c * n];
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                float p0 = switch (kind) {
                    case "wide", "ignored" -> (float) Math.exp(-15 * r.nextDouble());
                    case "narrow" -> 0.55f + 0.15f * (float) r.nextDouble();     // with label 1: every error in [0.55, 0.7]
                    case "few" -> (float) r.nextDouble();
                    default -> 0.5f;
                };
                p[i] = p0;
                p[n + i] = 1f - p0;
                y[i] = kind.equals("narrow") || r.nextInt(3) == 0 ? 1 : 0;
                if (kind.equals("ignored") && r.nextInt(5) == 0) y[i] = 255;
            }
            LovaszSoftmaxLoss loss = b().activation(Activation.NONE).classes(Classes.ALL).reduction(Reduction.NONE)
                    .ignoreIndex(255).build();
            Var x = Var.param(Tensor.wrap(p, 1, c, 1, n));
            Var v = loss.forward(x, LabelTensor.of(y, 1, 1, n));
            v.sum().backward();
            float[] expectedGrad = new float[c * n];
            for (int k = 0; k < c; k++) {
                float[] e = new float[n];
                boolean[] fg = new boolean[n];
                int[] position = new int[n];
                int valid = 0;
                for (int i = 0; i < n; i++) {
                    if (y[i] == 255) continue;                           // ignored: not an error, gradient 0
                    fg[valid] = y[i] == k;
                    e[valid] = fg[valid] ? 1f - p[k * n + i] : p[k * n + i];
                    position[valid++] = k * n + i;
                }
                e = Arrays.copyOf(e, valid);
                fg = Arrays.copyOf(fg, valid);
                position = Arrays.copyOf(position, valid);
                double expected = LovaszSortTest.referenceLovasz(e, fg, position, false, expectedGrad);
                assertEquals(Float.floatToRawIntBits((float) expected), Float.floatToRawIntBits(v.value().at(k)), kind + ": class " + k);
            }
            float[] grad = x.grad().toArray();
            for (int i = 0; i < grad.length; i++) {
                assertEquals(Float.floatToRawIntBits(expectedGrad[i]), Float.floatToRawIntBits(grad[i]), kind + ": gradient at " + i);
            }
        }
    }

    /**
     * The scatter into buckets of neighbouring key prefixes and the general sort, through the
     * loss: odd class counts (3, 5; the last class absent), sizes 1, 2, 17 (insertion sort only)
     * and 2049 voxels per image with wide errors (the scatter path) or all-equal probabilities
     * (two keys: the general path), ignored voxels, two images in one unit. Value and gradient
     * must equal the definition bit for bit at 1, 2 and 3 threads.
     */
    @Test
    void scatterAndGeneralPathsEqualTheDefinitionAtAwkwardSizesAndClassCounts() {
        int saved = org.segloss.tensor.kernel.Parallel.threads();
        try {
            for (int c : new int[] {3, 5}) {
                for (int s : new int[] {1, 2, 17, 2049}) {
                    for (boolean equal : new boolean[] {false, true}) {
                        int batch = 2;
                        SplittableRandom r = new SplittableRandom(97L * s + c + (equal ? 1 : 0));
                        float[] p = new float[batch * c * s];
                        int[] y = new int[batch * s];
                        for (int bi = 0; bi < batch; bi++) {
                            for (int i = 0; i < s; i++) {
                                double total = 0;
                                double[] w = new double[c];
                                for (int k = 0; k < c; k++) total += w[k] = equal ? 1 : Math.exp(-12 * r.nextDouble());
                                for (int k = 0; k < c; k++) p[(bi * c + k) * s + i] = (float) (w[k] / total);
                                y[bi * s + i] = r.nextInt(6) == 0 ? 255 : r.nextInt(c - 1);    // class c - 1 absent
                            }
                        }
                        float[] expectedGrad = new float[p.length];
                        float[] expected = new float[c];
                        for (int k = 0; k < c; k++) {
                            float[] e = new float[batch * s];
                            boolean[] fg = new boolean[batch * s];
                            int[] position = new int[batch * s];
                            int valid = 0;
                            for (int bi = 0; bi < batch; bi++) {
                                for (int i = 0; i < s; i++) {
                                    if (y[bi * s + i] == 255) continue;
                                    int at = (bi * c + k) * s + i;
                                    fg[valid] = y[bi * s + i] == k;
                                    e[valid] = fg[valid] ? 1f - p[at] : p[at];
                                    position[valid++] = at;
                                }
                            }
                            if (valid == 0) continue;
                            expected[k] = (float) LovaszSortTest.referenceLovasz(Arrays.copyOf(e, valid), Arrays.copyOf(fg, valid),
                                    Arrays.copyOf(position, valid), false, expectedGrad);
                        }
                        for (int threads : new int[] {1, 2, 3}) {
                            org.segloss.tensor.kernel.Parallel.setThreads(threads);
                            LovaszSoftmaxLoss loss = b().activation(Activation.NONE).classes(Classes.ALL).reduction(Reduction.NONE)
                                    .ignoreIndex(255).build();
                            Var x = Var.param(Tensor.wrap(p.clone(), batch, c, 1, s));
                            Var v = loss.forward(x, LabelTensor.of(y, batch, 1, s));
                            v.sum().backward();
                            String what = "C=" + c + " S=" + s + (equal ? " equal" : " wide") + " threads " + threads;
                            for (int k = 0; k < c; k++) {
                                assertEquals(Float.floatToRawIntBits(expected[k]), Float.floatToRawIntBits(v.value().at(k)),
                                        what + ": class " + k);
                            }
                            float[] grad = x.grad().toArray();
                            for (int i = 0; i < grad.length; i++) {
                                assertEquals(Float.floatToRawIntBits(expectedGrad[i]), Float.floatToRawIntBits(grad[i]),
                                        what + ": gradient at " + i);
                            }
                        }
                    }
                }
            }
        } finally {
            org.segloss.tensor.kernel.Parallel.setThreads(saved);
        }
    }

    /**
     * The backward scales the forward's saved gradient in its own array; that is safe because a
     * graph's backward runs once. A second backward through the same graph must fail, not hand out
     * the scaled array again; the first gradient is the scaled one (MEAN over 3 classes: 1/3).
     */
    @Test
    void backwardScalesInPlaceOnceAndASecondBackwardFails() {
        Tensor p = E_LOGITS.softmax(1);
        Var xs = Var.param(p), xm = Var.param(p);
        Var sum = b().activation(Activation.NONE).reduction(Reduction.SUM).build().forward(xs, E_LABELS);
        Var mean = b().activation(Activation.NONE).build().forward(xm, E_LABELS);
        sum.backward();
        mean.backward();
        float third = (float) (1 / 3.0);                          // MEAN's weight per class (3 selected, 1 unit)
        float[] gs = xs.grad().toArray(), gm = xm.grad().toArray();
        boolean nonZero = false;
        for (int i = 0; i < gs.length; i++) {
            assertEquals(third * gs[i], gm[i], 0f, "at " + i);
            nonZero |= gs[i] != 0f;
        }
        assertTrue(nonZero);
        assertThrows(IllegalStateException.class, mean::backward);
        assertArrayEquals(gm, xm.grad().toArray(), 0f, "the failed second backward added nothing");
    }

    // ---- bad arguments: spec/contract.md bad inputs 10 and 13---------------------------------------------

    static void throwsWith(Executable ex, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ex);
        assertTrue(e.getMessage().startsWith("LovaszSoftmaxLoss"), e.getMessage());
        for (String s : parts) assertTrue(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
    }

    @Test
    void badArguments() {
        throwsWith(() -> value(b().classes(0, 3).build(), E_LOGITS, E_LABELS), "classes", "[0, 3)", "got 3");
        throwsWith(() -> value(b().classes(0, 2).includeBackground(false).build(), E_LOGITS, E_LABELS), "includeBackground");
        throwsWith(() -> b().classes(1, 1), "distinct", "[1, 1]");
        throwsWith(() -> b().classes(-1), "classes", "[-1]");
        throwsWith(() -> b().classes(new int[0]), "at least one");
        throwsWith(() -> b().classes(Classes.LIST), "classes(int...)");
        throwsWith(() -> b().activation(Activation.SIGMOID).build(), "SOFTMAX or NONE", "got SIGMOID");
        throwsWith(() -> b().softLabel(true).build(), "softLabel");
        throwsWith(() -> b().weight(1f, 2f, 3f).build(), "weight");
        throwsWith(() -> b().probabilitySumTolerance(0f), "probabilitySumTolerance", "got 0.0");
        // logits that happen to lie in [0, 1]: the rows do not sum to 1
        Tensor notProbs = Tensor.of(new float[] {0.2f, 0.9f, 0.5f, 0.1f, /* c1 */ 0.3f, 0.8f, 0.5f, 0.4f}, 1, 2, 2, 2);
        throwsWith(() -> value(b().activation(Activation.NONE).build(), notProbs, LabelTensor.zeros(1, 2, 2)),
                "expects probabilities, got logits?", "sum of 0.5", "voxel 0");
        throwsWith(() -> value(b().activation(Activation.NONE).build(), E_LOGITS, E_LABELS), "probabilities in [0, 1]");
        // shapes
        throwsWith(() -> value(LovaszSoftmaxLoss.create(), E_LOGITS, LabelTensor.zeros(2, 2, 3)), "[2, 2, 2]", "[2, 2, 3]");
        throwsWith(() -> LovaszSoftmaxLoss.create().forward(Var.constant(E_LOGITS), Tensor.zeros(2, 2, 2, 2)),
                "one-hot target must have the input's shape");
        throwsWith(() -> value(LovaszSoftmaxLoss.create(), E_LOGITS, LabelTensor.of(new int[] {0, 1, 3, 0, 0, 0, 0, 0}, 2, 2, 2)),
                "[0, 3)", "got 3");
    }
}
