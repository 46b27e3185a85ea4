package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.Backend;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.SoftmaxCrossEntropy;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.KernelProvider;
import org.segloss.tensor.kernel.Parallel;

/**
 * The fused label-map cross-entropy ({@link FusedCrossEntropy} over {@link SoftmaxCrossEntropy})
 * against the composed path (log-softmax, gather / one-hot product, reduction) it replaces.
 */
class FusedCrossEntropyTest {
    static final int IGNORE = 255;

    /** One random case: shape, labels (some ignored when asked), weights and smoothing. */
    record Case(Tensor x, LabelTensor y, int c, float[] weight, float smoothing, boolean ignore) {
        CrossEntropyLoss loss(Reduction r) {
            CrossEntropyLoss.Builder b = CrossEntropyLoss.builder().reduction(r).labelSmoothing(smoothing);
            if (weight != null) b.weight(weight);
            if (ignore) b.ignoreIndex(IGNORE);
            return b.build();
        }

        @Override
        public String toString() {
            return x.shape() + " weight " + (weight != null) + " smoothing " + smoothing + " ignore " + ignore;
        }
    }

    /** Awkward voxel counts: 1, a prime, just over one chunk of 2048 and a few chunks plus a tail. */
    static final int[][] SPATIAL = {{1, 1, 1}, {3, 1, 7}, {1, 1, 2049}, {5, 9, 101}, {2, 3, 5}};

    static Case randomCase(Random r, int i) {
        int[] sp = SPATIAL[i % SPATIAL.length];
        int b = 1 + r.nextInt(3), c = 2 + r.nextInt(4), n = b * sp[0] * sp[1] * sp[2];
        float[] xv = new float[n * c];
        for (int k = 0; k < xv.length; k++) xv[k] = (float) (r.nextGaussian() * 3);
        boolean ignore = r.nextBoolean();
        int[] yv = new int[n];
        for (int k = 0; k < n; k++) yv[k] = ignore && r.nextInt(5) == 0 ? IGNORE : r.nextInt(c);
        float[] w = null;
        if (r.nextBoolean()) {
            w = new float[c];
            for (int k = 0; k < c; k++) w[k] = 0.1f + 2 * r.nextFloat();
        }
        float eps = r.nextBoolean() ? 0f : 0.05f + 0.4f * r.nextFloat();
        return new Case(Tensor.of(xv, b, c, sp[0], sp[1], sp[2]), LabelTensor.of(yv, b, sp[0], sp[1], sp[2]), c, w, eps, ignore);
    }

    static Var[] valueAndGrad(Loss l, Tensor x, LabelTensor y) {
        Var in = Var.param(x);
        Var v = l.forward(in, y);
        v.backward();
        return new Var[] {v, in};
    }

    static Var[] valueAndGrad(Loss l, Tensor x, Tensor target) {
        Var in = Var.param(x);
        Var v = l.forward(in, target);
        v.backward();
        return new Var[] {v, in};
    }

    @Test
    void fusedEqualsComposedValuesAndGradients() {
        Random r = new Random(11);
        for (int i = 0; i < 40; i++) {
            Case k = randomCase(r, i);
            // composed: the per-voxel map (NONE) summed; the one-hot target (MEAN, its own denominator)
            float sumFused = k.loss(Reduction.SUM).forward(Var.constant(k.x()), k.y()).item();
            double sumComposed = k.loss(Reduction.NONE).forward(Var.constant(k.x()), k.y()).value().sumDouble();
            assertEquals(sumComposed, sumFused, 1e-5 * Math.max(1, Math.abs(sumComposed)), "SUM " + k);

            Var[] fused = valueAndGrad(k.loss(Reduction.MEAN), k.x(), k.y());
            Var[] composed = valueAndGrad(k.loss(Reduction.MEAN), k.x(), k.y().oneHot(k.c(), IGNORE));
            float mf = fused[0].item(), mc = composed[0].item();
            assertEquals(mc, mf, 1e-5f * Math.max(1f, Math.abs(mc)), "MEAN " + k);
            float[] gf = fused[1].grad().toArray(), gc = composed[1].grad().toArray();
            float scale = 0f;
            for (float g : gc) scale = Math.max(scale, Math.abs(g));
            for (int j = 0; j < gf.length; j++) {
                assertEquals(gc[j], gf[j], 1e-5f * Math.max(scale, Float.MIN_NORMAL), "gradient " + k + " at " + j);
            }
        }
    }

    /** WeightedCrossEntropyLoss (SOFTMAX): fused for a label map, composed for its one-hot target. */
    @Test
    void weightedCrossEntropyFusedEqualsComposed() {
        Random r = new Random(17);
        for (int i = 0; i < 20; i++) {
            Case k = randomCase(r, i);
            for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
                for (WeightedCrossEntropyLoss.WeightSource src : WeightedCrossEntropyLoss.WeightSource.values()) {
                    WeightedCrossEntropyLoss.Builder b = WeightedCrossEntropyLoss.builder().reduction(red).weightSource(src);
                    if (k.ignore()) b.ignoreIndex(IGNORE);
                    WeightedCrossEntropyLoss l = b.build();
                    Var[] fused = valueAndGrad(l, k.x(), k.y());
                    Var[] composed = valueAndGrad(l, k.x(), k.y().oneHot(k.c(), IGNORE));
                    float mc = composed[0].item();
                    String what = red + " " + src + " " + k;
                    assertEquals(mc, fused[0].item(), 1e-5f * Math.max(1f, Math.abs(mc)), what);
                    float[] gf = fused[1].grad().toArray(), gc = composed[1].grad().toArray();
                    float scale = 0f;
                    for (float g : gc) scale = Math.max(scale, Math.abs(g));
                    for (int j = 0; j < gf.length; j++) {
                        assertEquals(gc[j], gf[j], 1e-5f * Math.max(scale, Float.MIN_NORMAL), what + " gradient at " + j);
                    }
                }
            }
        }
    }

    @Test
    void ignoredVoxelsGetExactlyZeroGradient() {
        Random r = new Random(5);
        Tensor x = Tensor.of(gauss(r, 2 * 3 * 50), 2, 3, 5, 10);
        int[] yv = new int[100];
        for (int k = 0; k < yv.length; k++) yv[k] = k % 3 == 0 ? IGNORE : r.nextInt(3);
        Var[] v = valueAndGrad(CrossEntropyLoss.builder().ignoreIndex(IGNORE).labelSmoothing(0.2f).build(), x, LabelTensor.of(yv, 2, 5, 10));
        float[] g = v[1].grad().toArray();
        for (int b = 0; b < 2; b++) {
            for (int ch = 0; ch < 3; ch++) {
                for (int j = 0; j < 50; j++) {
                    if (yv[b * 50 + j] == IGNORE) assertEquals(0f, g[(b * 3 + ch) * 50 + j]);
                }
            }
        }
    }

    /** An ignore index inside [0, C): those voxels are left out, the class stays in the softmax. */
    @Test
    void ignoreIndexInsideTheClassRange() {
        Random r = new Random(8);
        for (int i = 0; i < 6; i++) {
            Case k = randomCase(r, i);
            int[] yv = k.y().toArray();
            for (int j = 0; j < yv.length; j++) if (yv[j] == IGNORE) yv[j] = 0;
            LabelTensor y = LabelTensor.of(yv, k.y().shape().dims());
            CrossEntropyLoss.Builder b = CrossEntropyLoss.builder().ignoreIndex(0).labelSmoothing(k.smoothing());
            if (k.weight() != null) b.weight(k.weight());
            Var[] fused = valueAndGrad(b.build(), k.x(), y);
            Var[] composed = valueAndGrad(b.build(), k.x(), y.oneHot(k.c(), 0));
            float mc = composed[0].item();
            assertEquals(mc, fused[0].item(), 1e-5f * Math.max(1f, Math.abs(mc)), k.toString());
            float[] gf = fused[1].grad().toArray(), gc = composed[1].grad().toArray();
            float scale = 0f;
            for (float g : gc) scale = Math.max(scale, Math.abs(g));
            for (int j = 0; j < gf.length; j++) assertEquals(gc[j], gf[j], 1e-5f * Math.max(scale, Float.MIN_NORMAL), k + " at " + j);
        }
    }

    @Test
    void bitIdenticalForAnyThreadCount() {
        Random r = new Random(3);
        int before = Parallel.threads();
        try {
            for (int i = 0; i < 6; i++) {
                Case k = randomCase(r, 2 + i % 2);   // the cases with more than one chunk per sample
                double ref = 0;
                float[] refGrad = null;
                for (int threads : new int[] {1, 2, 4}) {
                    Parallel.setThreads(threads);
                    double s = SoftmaxCrossEntropy.sum(k.x(), k.y(), k.ignore() ? IGNORE : Integer.MIN_VALUE, k.weight(), k.smoothing());
                    float[] g = SoftmaxCrossEntropy.sumBackward(k.x(), k.y(), k.ignore() ? IGNORE : Integer.MIN_VALUE, k.weight(),
                            k.smoothing(), 0.37f).toArray();
                    if (refGrad == null) {
                        ref = s;
                        refGrad = g;
                    } else {
                        assertEquals(ref, s, 0.0, threads + " threads " + k);
                        assertArrayEquals(refGrad, g, 0f, threads + " threads " + k);
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /**
     * The one-pass weighted cross-entropy with weights from the predicted volumes
     * ({@link SoftmaxCrossEntropy#pickedSums}): the loss and its gradient do not depend on the
     * thread count, the class sums are the weighted sum's parts, and wrong-sized outputs are rejected.
     */
    @Test
    void pickedSumsAreThreadCountFreeAndAddUpToTheSum() {
        Random r = new Random(31);
        int before = Parallel.threads();
        try {
            for (int i = 0; i < 6; i++) {
                Case k = randomCase(r, 2 + i % 2);
                int ignore = k.ignore() ? IGNORE : SegmentationLoss.NO_IGNORE;
                WeightedCrossEntropyLoss.Builder b = WeightedCrossEntropyLoss.builder()
                        .weightSource(WeightedCrossEntropyLoss.WeightSource.PREDICTION);
                if (k.ignore()) b.ignoreIndex(IGNORE);
                WeightedCrossEntropyLoss loss = b.build();
                float ref = 0;
                float[] refGrad = null;
                for (int threads : new int[] {1, 2, 3}) {
                    Parallel.setThreads(threads);
                    Var[] vg = valueAndGrad(loss, k.x(), k.y());
                    if (refGrad == null) {
                        ref = vg[0].item();
                        refGrad = vg[1].grad().toArray();
                    } else {
                        assertEquals(Float.floatToIntBits(ref), Float.floatToIntBits(vg[0].item()), threads + " threads " + k);
                        assertArrayEquals(refGrad, vg[1].grad().toArray(), 0f, threads + " threads " + k);
                    }
                }
                double[] picked = new double[k.c()], volume = new double[k.c()];
                SoftmaxCrossEntropy.pickedSums(k.x(), k.y(), ignore, null, null, picked, volume, null);
                float[] w = k.weight() != null ? k.weight() : new float[] {1f, 1f, 1f, 1f, 1f, 1f};
                double weighted = 0, counted = 0;
                for (int c = 0; c < k.c(); c++) weighted -= w[c] * picked[c];
                double sum = SoftmaxCrossEntropy.sum(k.x(), k.y(), ignore, java.util.Arrays.copyOf(w, k.c()), 0f);
                assertEquals(sum, weighted, 1e-6 * Math.abs(sum), "the parts of the sum " + k);
                for (double v : volume) counted += v;   // Σ_c Σ_n p_c = the counted voxels
                float[] counts = k.y().classCounts(k.c(), ignore).toArray();
                double n = 0;
                for (float q : counts) n += q;
                assertEquals(n, counted, 1e-4 * n, "Σ of the predicted volumes " + k);
            }
        } finally {
            Parallel.setThreads(before);
        }
        Tensor x = Tensor.zeros(1, 3, 4);
        LabelTensor y = LabelTensor.zeros(1, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.pickedSums(x, y, IGNORE, null, null, new double[2], null, null));
        assertTrue(e.getMessage().contains("picked must have C = 3 entries, got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.pickedSums(x, y, IGNORE, null, null, new double[3], new double[4], null));
        assertTrue(e.getMessage().contains("predicted must have C = 3 entries, got 4"), e.getMessage());
    }

    /** The vector kernels and their scalar twins give the same values within float rounding. */
    @Test
    void scalarAndVectorKernelsAgree() {
        Random r = new Random(9);
        for (int i = 0; i < 10; i++) {
            Case k = randomCase(r, i);
            int ig = k.ignore() ? IGNORE : Integer.MIN_VALUE;
            double s;
            float[] g;
            try (Backend.Scope ignored = Backend.use(KernelProvider.scalar())) {
                s = SoftmaxCrossEntropy.sum(k.x(), k.y(), ig, k.weight(), k.smoothing());
                g = SoftmaxCrossEntropy.sumBackward(k.x(), k.y(), ig, k.weight(), k.smoothing(), 1f).toArray();
            }
            double sv = SoftmaxCrossEntropy.sum(k.x(), k.y(), ig, k.weight(), k.smoothing());
            float[] gv = SoftmaxCrossEntropy.sumBackward(k.x(), k.y(), ig, k.weight(), k.smoothing(), 1f).toArray();
            assertEquals(s, sv, 1e-5 * Math.max(1, Math.abs(s)), k.toString());
            for (int j = 0; j < g.length; j++) assertEquals(g[j], gv[j], 1e-5f, k + " at " + j);
        }
    }

    @Test
    void gradCheckWithWeightsIgnoreAndSmoothing() {
        Random r = new Random(21);
        for (int i = 0; i < 4; i++) {
            Case k = randomCase(r, 1);
            for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
                CrossEntropyLoss l = k.loss(red);
                GradCheck.Report rep = GradCheck.check(v -> l.forward(v[0], k.y()), k.x());
                assertTrue(rep.passed(), red + " " + k + ": " + rep);
            }
        }
    }

    @Test
    void badLabelsAndShapesAreRejected() {
        Tensor x = Tensor.zeros(1, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.sum(x, LabelTensor.of(new int[] {0, 1, 3, 2}, 1, 4), IGNORE, null, 0f));
        assertTrue(e.getMessage().contains("[0, 3)") && e.getMessage().contains("got 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.sum(x, LabelTensor.of(new int[] {0, 1, 2}, 1, 3), IGNORE, null, 0f));
        assertTrue(e.getMessage().contains("[1, 3, 4]") && e.getMessage().contains("[1, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.sumBackward(x, LabelTensor.of(new int[] {0, 1, 2, 2}, 1, 4), IGNORE, new float[2], 0f, 1f));
        assertTrue(e.getMessage().contains("C = 3") && e.getMessage().contains("got 2"), e.getMessage());
    }

    /**
     * The class counts the sum's pass returns are {@link LabelTensor#classCounts} (an ignore index
     * inside [0, C) counts for no class), and a wrong-sized array is rejected with both sizes.
     */
    @Test
    void classCountsOfThePassAreTheLabelsClassCounts() {
        Random r = new Random(41);
        for (int i = 0; i < 15; i++) {
            Case k = randomCase(r, i);
            int b = k.x().dim(0);
            for (int ignore : k.ignore() ? new int[] {IGNORE} : new int[] {SegmentationLoss.NO_IGNORE, 1}) {
                for (float eps : new float[] {0f, 0.1f}) {
                    long[] counts = new long[b * k.c()];
                    java.util.Arrays.fill(counts, -5);   // stale contents must not matter
                    SoftmaxCrossEntropy.sum(k.x(), k.y(), ignore, k.weight(), eps, null, null, counts);
                    float[] expected = k.y().classCounts(k.c(), ignore).toArray();
                    for (int q = 0; q < counts.length; q++) assertEquals(expected[q], counts[q], 0f, k + " ignore " + ignore + " at " + q);
                }
            }
        }
        Tensor x = Tensor.zeros(2, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.sum(x, LabelTensor.zeros(2, 4), IGNORE, null, 0f, null, null, new long[3]));
        assertTrue(e.getMessage().contains("classCounts") && e.getMessage().contains("B * C = 6") && e.getMessage().contains("got 3"),
                e.getMessage());
    }

    /**
     * Without a finiteness check, a NaN or infinite logit gives the sum it always gave (the bad
     * logit is read, not rejected): -∞ at a class no voxel is labelled with leaves a finite sum, a
     * NaN makes it NaN, and +∞ at a labelled class too (its softmax is NaN).
     */
    @Test
    void unCheckedNonFiniteLogitsGiveTheSumAsBefore() {
        int n = 37;
        float[] xv = new float[3 * n];
        Random r = new Random(3);
        for (int i = 0; i < xv.length; i++) xv[i] = (float) r.nextGaussian();
        int[] yv = new int[n];
        for (int i = 0; i < n; i++) yv[i] = i % 2;   // classes 0 and 1 only
        LabelTensor y = LabelTensor.of(yv, 1, n);
        double clean = SoftmaxCrossEntropy.sum(Tensor.of(xv, 1, 3, n), y, IGNORE, null, 0f);
        float[] minusInf = xv.clone();
        minusInf[2 * n + 20] = Float.NEGATIVE_INFINITY;   // class 2 at voxel 20: p_2 = 0 there, nothing picked
        double withMinusInf = SoftmaxCrossEntropy.sum(Tensor.of(minusInf, 1, 3, n), y, IGNORE, null, 0f);
        assertTrue(Double.isFinite(withMinusInf) && withMinusInf < clean, clean + " vs " + withMinusInf);
        // the pass that writes the gradient (one crossEntropyChunk call per chunk, which reports a
        // bad logit by NaN picks for every class) gives the same sum and the recomputing backward's
        // gradient, bit for bit, also at a length with vector blocks and a tail
        for (int len : new int[] {n, 2053}) {
            float[] xl = new float[3 * len];
            for (int i = 0; i < xl.length; i++) xl[i] = (float) r.nextGaussian();
            xl[2 * len + 20] = Float.NEGATIVE_INFINITY;
            int[] yl = new int[len];
            for (int i = 0; i < len; i++) yl[i] = i % 2;
            Tensor xt = Tensor.of(xl, 1, 3, len);
            LabelTensor yt = LabelTensor.of(yl, 1, len);
            Tensor g = Tensor.zeros(1, 3, len);
            double written = SoftmaxCrossEntropy.sumWithGradient(xt, yt, IGNORE, null, null, g, 0.5f, null);
            double recomputed = SoftmaxCrossEntropy.sum(xt, yt, IGNORE, null, 0f);
            assertTrue(Double.isFinite(written), "len " + len + ": " + written);
            assertEquals(recomputed, written, 0.0, "len " + len + " sum");
            assertArrayEquals(SoftmaxCrossEntropy.sumBackward(xt, yt, IGNORE, null, 0f, 0.5f).toArray(), g.toArray(), "len " + len + " gradient");
        }
        float[] nan = xv.clone();
        nan[5] = Float.NaN;
        assertTrue(Double.isNaN(SoftmaxCrossEntropy.sum(Tensor.of(nan, 1, 3, n), y, IGNORE, null, 0f)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.sum(Tensor.of(minusInf, 1, 3, n), y, IGNORE, null, 0f, "cross-entropy"));
        assertTrue(e.getMessage().contains("cross-entropy: input contains NaN or infinity"), e.getMessage());
    }

    /**
     * The gradient written by the forward pass ({@link SoftmaxCrossEntropy#sumWithGradient}) is the
     * recomputing {@code sumBackward} at that scale, bit for bit, and the sum is {@code sum}'s
     * (weights, ignored voxels inside and outside [0, C), a one-voxel chunk tail); scaling it by 1
     * changes nothing; the loss's value and gradient through this path are the bits of the sum
     * divided in the graph; bad arguments are named.
     */
    @Test
    void gradientWrittenByTheForwardPassIsTheRecomputedOne() {
        Random r = new Random(51);
        for (int i = 0; i < 15; i++) {
            Case k = randomCase(r, i);
            for (int ignore : k.ignore() ? new int[] {IGNORE} : new int[] {SegmentationLoss.NO_IGNORE, 1}) {
                String what = k + " ignore " + ignore;
                float scale = 1f / 37f;
                Tensor g = Tensor.full(Float.NaN, k.x().shape().dims());   // stale contents must not matter
                double sum = SoftmaxCrossEntropy.sumWithGradient(k.x(), k.y(), ignore, k.weight(), null, g, scale, null);
                assertEquals(SoftmaxCrossEntropy.sum(k.x(), k.y(), ignore, k.weight(), 0f), sum, 0.0, what + " sum");
                float[] expected = SoftmaxCrossEntropy.sumBackward(k.x(), k.y(), ignore, k.weight(), 0f, scale).toArray();
                assertArrayEquals(expected, g.toArray(), what + " gradient");
                assertTrue(g.muli(1f) == g);
                assertArrayEquals(expected, g.toArray(), what + " scaled by 1");
            }
            // the loss (MEAN and SUM, no smoothing) against the sum op divided in the graph: the same bits
            for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
                CrossEntropyLoss l = new Case(k.x(), k.y(), k.c(), k.weight(), 0f, k.ignore()).loss(red);
                Var[] got = valueAndGrad(l, k.x(), k.y());
                int ignore = k.ignore() ? IGNORE : SegmentationLoss.NO_IGNORE;
                long[] counts = new long[k.x().dim(0) * k.c()];
                Var in = Var.param(k.x());
                Var total = FusedCrossEntropy.sum(in, k.y(), ignore, k.weight(), 0f);
                SoftmaxCrossEntropy.sum(k.x(), k.y(), ignore, k.weight(), 0f, null, null, counts);
                double wsum = 0;
                for (int q = 0; q < counts.length; q++) wsum += (k.weight() == null ? 1.0 : k.weight()[q % k.c()]) * counts[q];
                if (wsum == 0) continue;
                Var v = red == Reduction.SUM ? total : total.div((float) wsum);
                v.backward();
                assertEquals(Float.floatToIntBits(v.item()), Float.floatToIntBits(got[0].item()), red + " value " + k);
                assertArrayEquals(in.grad().toArray(), got[1].grad().toArray(), red + " gradient " + k);
            }
        }
        Tensor x = Tensor.zeros(1, 3, 4);
        LabelTensor y = LabelTensor.zeros(1, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.sumWithGradient(x, y, IGNORE, null, null, Tensor.zeros(1, 3, 4), Float.NaN, null));
        assertTrue(e.getMessage().contains("gradientScale must be finite, got NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.sumWithGradient(x, y, IGNORE, null, null, Tensor.zeros(1, 4, 3), 1f, null));
        assertTrue(e.getMessage().contains("SoftmaxCrossEntropy.sumWithGradient: out must have the logits' shape [1, 3, 4], got [1, 4, 3]"),
                e.getMessage());
    }

    static float[] gauss(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * 2);
        return v;
    }

    /**
     * The kept-softmax path (forward writes p from its log-softmax's exponentials, backward turns
     * it into the gradient in place) gives the bits of the recomputing path: the sum and the
     * gradient, with weights, smoothing and ignored voxels, at a one-voxel chunk tail and C = 17.
     */
    @Test
    void keptSoftmaxGivesTheBitsOfTheRecomputedOne() {
        Random r = new Random(23);
        java.util.List<Case> cases = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) cases.add(randomCase(r, i));
        int n = 2 * 2049;
        float[] xv = new float[17 * n];
        for (int k = 0; k < xv.length; k++) xv[k] = (float) (r.nextGaussian() * 4);
        int[] yv = new int[n];
        for (int k = 0; k < n; k++) yv[k] = r.nextInt(6) == 0 ? IGNORE : r.nextInt(17);
        cases.add(new Case(Tensor.of(xv, 2, 17, 1, 1, 2049), LabelTensor.of(yv, 2, 1, 1, 2049), 17, null, 0.1f, true));
        for (Case k : cases) {
            int ignore = k.ignore() ? IGNORE : SegmentationLoss.NO_IGNORE;
            double recomputed = SoftmaxCrossEntropy.sum(k.x(), k.y(), ignore, k.weight(), k.smoothing());
            Tensor p = Tensor.full(Float.NaN, k.x().shape().dims());   // stale contents must not matter
            double kept = SoftmaxCrossEntropy.sum(k.x(), k.y(), ignore, k.weight(), k.smoothing(), null, p);
            assertEquals(recomputed, kept, 0.0, "sum " + k);
            float[] expected = SoftmaxCrossEntropy.sumBackward(k.x(), k.y(), ignore, k.weight(), k.smoothing(), 0.37f).toArray();
            Tensor g = SoftmaxCrossEntropy.sumBackwardFromSoftmax(p, k.y(), ignore, k.weight(), k.smoothing(), 0.37f);
            assertTrue(g == p, "the gradient is written over the kept softmax");
            assertArrayEquals(expected, g.toArray(), "gradient " + k);
        }
    }
}
