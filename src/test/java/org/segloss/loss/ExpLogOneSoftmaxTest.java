package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.SoftmaxDiceExpLog;
import org.segloss.tensor.SoftmaxSums.Terms;
import org.segloss.tensor.SoftmaxSums.Total;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * The exp-log loss's one-softmax op ({@link FusedDiceExpLog} over {@link SoftmaxDiceExpLog}) against
 * the two ops it replaces, written out here: {@link RegionStatistics.FusedSums} for the Dice sums
 * and {@link FusedExpLog} for the cross-entropy sum on the same logits, whose two gradients the
 * autograd adds. Values and gradients must be the same bits: at the op (random slab and scale
 * gradients, every total), and at the loss ({@link ExpLogLoss}, PAPER, against its formula built on
 * the two ops), for batch on and off, background kept and dropped, γ below, at and above 1,
 * 1 to 3 threads, odd class counts and spatial sizes with a one-voxel chunk (2049 = 2048 + 1).
 */
class ExpLogOneSoftmaxTest {
    /** Shapes [B, C, *spatial]: odd C, a one-voxel last chunk (2049), one voxel, vector tails. */
    static final int[][] SHAPES = {{1, 2, 5, 7}, {2, 3, 2049, 1}, {2, 5, 3, 11}, {1, 4, 1, 1}, {3, 3, 17, 1}, {1, 3, 4097, 1}};

    /** The op's shapes: SHAPES and one class (the loss rejects SOFTMAX on one channel; the op takes it, p = 1). */
    static final int[][] OP_SHAPES = java.util.stream.Stream.concat(java.util.Arrays.stream(SHAPES), java.util.stream.Stream.of(
            new int[] {2, 1, 9, 1})).toArray(int[][]::new);

    static Tensor logits(int[] shape, long seed) {
        return Tensor.randn(seed, shape).mul(3f);
    }

    static LabelTensor labels(int[] shape, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = shape[0], c = shape[1], s = 1;
        for (int i = 2; i < shape.length; i++) s *= shape[i];
        int[] y = new int[b * s];
        for (int i = 0; i < y.length; i++) y[i] = r.nextInt(c);
        int[] dims = new int[shape.length - 1];
        dims[0] = b;
        System.arraycopy(shape, 2, dims, 1, shape.length - 2);
        return LabelTensor.of(y, dims);
    }

    static void assertBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                throw new AssertionError(what + " at " + i + ": two ops " + want[i] + ", one softmax " + got[i]);
            }
        }
    }

    @Test
    void theOpIsTheTwoOpsBitForBit() {
        int saved = Parallel.threads();
        try {
            Total[][] totals = {{Total.PROBABILITIES, Total.LABEL_COUNTS},
                    {Total.PROBABILITIES, Total.SQUARES, Total.LABEL_SQUARED_ERROR, Total.OFF_LABEL_SQUARES, Total.LABEL_COUNTS}};
            for (int[] shape : OP_SHAPES) {
                int c = shape[1];
                Tensor x = logits(shape, shape.length * 31L + c);
                LabelTensor y = labels(shape, c * 7L + shape[0]);
                float[] coef = new float[c];
                for (int k = 0; k < c; k++) coef[k] = 0.5f + 0.75f * k;
                for (Total[] tot : totals) {
                    Terms terms = Terms.labels(y, SegmentationLoss.NO_IGNORE).plus(tot);
                    for (float gamma : new float[] {0.3f, 1f, 2f}) {
                        for (int threads : new int[] {1, 2, 3}) {
                            Parallel.setThreads(threads);
                            String what = x.shape() + " totals=" + tot.length + " gamma=" + gamma + " threads=" + threads;
                            // two ops on one leaf, as ExpLogLoss made them before
                            Var xa = Var.param(x.copy());
                            Var[] sa = RegionStatistics.FusedSums.of(xa, terms);
                            Var ca = FusedExpLog.sum(xa, y, SegmentationLoss.NO_IGNORE, coef, gamma, ExpLogLoss.MIN_LOG);
                            // one op
                            Var xb = Var.param(x.copy());
                            Var[] sb = FusedDiceExpLog.of(xb, terms, coef, gamma, ExpLogLoss.MIN_LOG);
                            assertEquals(sa.length + 1, sb.length, what + ": the slabs, then the sum");
                            for (int q = 0; q < sa.length; q++) assertBits(sa[q].value().toArray(), sb[q].value().toArray(), what + " slab " + q);
                            assertBits(new float[] {ca.item()}, new float[] {sb[sa.length].item()}, what + " cross sum");
                            Var la = downstream(sa, ca, x.shape().dim(0), c), lb = downstream(java.util.Arrays.copyOf(sb, sa.length), sb[sa.length], x.shape().dim(0), c);
                            assertBits(new float[] {la.item()}, new float[] {lb.item()}, what + " value");
                            la.backward();
                            lb.backward();
                            assertBits(xa.grad().toArray(), xb.grad().toArray(), what + " gradient");
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** A scalar of the slabs (fixed random weights per entry; the label counts, constant, too) and the cross sum. */
    static Var downstream(Var[] slabs, Var cross, int b, int c) {
        SplittableRandom r = new SplittableRandom(3);
        Var total = cross.mul(0.37f);
        for (Var s : slabs) {
            float[] w = new float[b * c];
            for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextDouble() * 2 - 1);
            total = total.add(s.mul(Tensor.wrap(w, b, c)).sum());
        }
        return total;
    }

    /** max(-ln x, MIN_LOG)^γ, as ExpLogLoss. */
    static Var negLogPow(Var x, float gamma) {
        Var nl = x.log().neg().clamp(ExpLogLoss.MIN_LOG, Float.POSITIVE_INFINITY);
        return gamma == 1f ? nl : nl.pow(gamma);
    }

    /**
     * ExpLogLoss PAPER (SOFTMAX, a label map, no voxel ignored, frequency weights, ε = 1) written
     * out on the two ops: L = w_Dice · mean max(-ln D, MIN_LOG)^γ + w_Cross · Σ w_y max(-ln p_y, MIN_LOG)^γ / N.
     */
    static Var twoOpLoss(Var x, LabelTensor y, int c, boolean batch, boolean background, float gamma) {
        Terms terms = Terms.labels(y, SegmentationLoss.NO_IGNORE).rejectingNonFinite("ExpLogLoss")
                .plus(Total.PROBABILITIES, Total.LABEL_COUNTS);
        Var[] s = RegionStatistics.FusedSums.of(x, terms);
        int off = background ? 0 : 1;
        for (int i = 0; i < s.length; i++) {
            if (off != 0) s[i] = s[i].slice(1, off, c);
            if (batch) s[i] = s[i].sum(0);
        }
        Var d = s[0].mul(2f).add(1f).div(s[1].add(s[2].value()).add(1f));
        Var dice = negLogPow(d, gamma).mean();
        long[] counts = new long[c];
        for (int i = 0; i < y.size(); i++) counts[y.at(i)]++;
        long valid = y.size();
        float[] w = new float[c];
        for (int k = 0; k < c; k++) w[k] = counts[k] == 0 ? 0f : (float) Math.sqrt((double) valid / counts[k]);
        Var cross = FusedExpLog.sum(x, y, SegmentationLoss.NO_IGNORE, w, gamma, ExpLogLoss.MIN_LOG).div((float) valid);
        return dice.mul(0.8f).add(cross.mul(0.2f));
    }

    @Test
    void theLossIsTheTwoOpPathBitForBit() {
        int saved = Parallel.threads();
        try {
            for (int[] shape : SHAPES) {
                int c = shape[1];
                Tensor x = logits(shape, 101L + c);
                LabelTensor y = labels(shape, 5L + c + shape[0]);
                for (boolean batch : new boolean[] {true, false}) {
                    for (boolean bg : new boolean[] {true, false}) {
                        for (float gamma : new float[] {0.3f, 1f, 1.7f}) {
                            for (int threads : new int[] {1, 2, 3}) {
                                Parallel.setThreads(threads);
                                String what = x.shape() + " batch=" + batch + " bg=" + bg + " gamma=" + gamma + " threads=" + threads;
                                Var xa = Var.param(x.copy()), xb = Var.param(x.copy());
                                Var la = twoOpLoss(xa, y, c, batch, bg, gamma);
                                Var lb = ExpLogLoss.builder().batch(batch).includeBackground(bg).gamma(gamma).build().forward(xb, y);
                                assertBits(new float[] {la.item()}, new float[] {lb.item()}, what + " value");
                                la.backward();
                                lb.backward();
                                assertBits(xa.grad().toArray(), xb.grad().toArray(), what + " gradient");
                            }
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** Without a gradient nothing is kept (the compact copies of the chunks): the value has the same bits. */
    @Test
    void theValueWithoutAGradientIsTheSame() {
        for (int[] shape : SHAPES) {
            Tensor x = logits(shape, 77L + shape[1]);
            LabelTensor y = labels(shape, 78L + shape[1]);
            for (float gamma : new float[] {0.3f, 2f}) {
                ExpLogLoss loss = ExpLogLoss.builder().gamma(gamma).batch(false).build();
                float withGrad = loss.forward(Var.param(x.copy()), y).item();
                float without = loss.forward(Var.constant(x.copy()), y).item();
                assertBits(new float[] {withGrad}, new float[] {without}, x.shape() + " gamma=" + gamma);
            }
        }
    }

    @Test
    void oneGradientArrayFromTheFirstStep() {
        int[] shape = {2, 3, 5, 7, 61};   // a full chunk and a tail
        Tensor x = logits(shape, 9);
        LabelTensor y = labels(shape, 4);
        ExpLogLoss loss = ExpLogLoss.create();
        Var fresh = Var.param(x);
        loss.forward(fresh, y).backward();
        Var reused = Var.param(x);
        reused.mul(Tensor.full(1e6f, shape)).sum().backward();   // stale values
        Tensor first = reused.grad();
        for (int step = 0; step < 3; step++) {
            reused.recycleGrad();
            loss.forward(reused, y).backward();
            // one op: the gradient is written into the array let go, from the first step (two ops took a second)
            assertSame(first, reused.grad(), "step " + step + ": the recycled array");
            assertBits(fresh.grad().toArray(), reused.grad().toArray(), "step " + step);
        }
    }

    @Test
    void gradCheck() {
        int[] shape = {2, 3, 3, 5};
        Tensor x = logits(shape, 21).mul(0.3f);
        LabelTensor y = labels(shape, 22);
        Terms terms = Terms.labels(y, SegmentationLoss.NO_IGNORE).plus(Total.PROBABILITIES, Total.SQUARES, Total.LABEL_COUNTS);
        float[] coef = {0.5f, 1f, 2f};
        GradCheck.Report r = GradCheck.check(v -> {
            Var[] s = FusedDiceExpLog.of(v[0], terms, coef, 1.5f, ExpLogLoss.MIN_LOG);
            return downstream(java.util.Arrays.copyOf(s, s.length - 1), s[s.length - 1], 2, 3);
        }, x);
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void onlyTheOnePassTermsTakeTheOp() {
        LabelTensor y = labels(new int[] {1, 3, 4, 1}, 1);
        Terms labelsOnly = Terms.labels(y, SegmentationLoss.NO_IGNORE).plus(Total.PROBABILITIES);
        assertTrue(SoftmaxDiceExpLog.applies(labelsOnly, 3));
        assertFalse(SoftmaxDiceExpLog.applies(Terms.labels(y, 1), 3), "an ignore value that is a class");
        assertFalse(SoftmaxDiceExpLog.applies(labelsOnly.masked(Tensor.ones(1, 1, 4)), 3), "a mask");
        assertFalse(SoftmaxDiceExpLog.applies(Terms.weightedBy(Tensor.ones(1, 3, 4)), 3), "weight maps");
    }

    @Test
    void badArguments() {
        int[] shape = {1, 3, 4};
        Tensor x = logits(shape, 1);
        LabelTensor y = labels(shape, 2);
        Terms terms = Terms.labels(y, SegmentationLoss.NO_IGNORE).plus(Total.PROBABILITIES);
        float[] coef = {1f, 1f, 1f};
        List<Runnable> bad = new ArrayList<>();
        List<String> words = new ArrayList<>();
        bad.add(() -> SoftmaxDiceExpLog.applies(null, 3));
        words.add("terms must not be null");
        bad.add(() -> SoftmaxDiceExpLog.applies(terms, 0));
        words.add("classes must be >= 1, got 0");
        bad.add(() -> SoftmaxDiceExpLog.sums(x, terms.masked(Tensor.ones(1, 1, 4)), coef, 1f, 1e-7f, null, null));
        words.add("terms must be labels without weight maps or mask");
        bad.add(() -> SoftmaxDiceExpLog.sums(x, Terms.weightedBy(Tensor.ones(1, 3, 4)), coef, 1f, 1e-7f, null, null));
        words.add("terms must have labels");
        bad.add(() -> SoftmaxDiceExpLog.sums(x, terms, new float[2], 1f, 1e-7f, null, null));
        words.add("coef must have C = 3 entries, got 2");
        bad.add(() -> SoftmaxDiceExpLog.sums(x, terms, coef, 0f, 1e-7f, null, null));
        words.add("gamma must be finite and > 0, got 0.0");
        bad.add(() -> SoftmaxDiceExpLog.sums(x, terms, coef, 1f, 1e-7f, Tensor.zeros(1, 3, 4), null));
        words.add("keep and slope must both be given or both be null");
        bad.add(() -> SoftmaxDiceExpLog.sums(x, terms, coef, 1f, 1e-7f, Tensor.zeros(1, 3, 4), new float[3]));
        words.add("slope must have B * S = 4 entries, got 3");
        bad.add(() -> SoftmaxDiceExpLog.sums(x, terms, coef, 1f, 1e-7f, Tensor.zeros(1, 3, 5), new float[4]));
        words.add("out must have the logits' shape [1, 3, 4], got [1, 3, 5]");
        bad.add(() -> SoftmaxDiceExpLog.sums(x, Terms.labels(labels(new int[] {1, 3, 5}, 2), -1), coef, 1f, 1e-7f, null, null));
        words.add("labels must be [B, *spatial] (4 elements)");
        bad.add(() -> SoftmaxDiceExpLog.backwardFromSoftmax(Tensor.zeros(1, 3, 4), terms, Tensor.zeros(3, 1, 3), new float[4], 1f));
        words.add("grads must be [2, 1, 3] (one [B, C] slab per statistic), got [3, 1, 3]");
        bad.add(() -> SoftmaxDiceExpLog.backwardFromSoftmax(Tensor.zeros(1, 3, 4), terms, Tensor.zeros(2, 1, 3), new float[5], 1f));
        words.add("slope must have B * S = 4 entries, got 5");
        bad.add(() -> SoftmaxDiceExpLog.backwardFromSoftmax(Tensor.zeros(1, 3, 4), terms, Tensor.zeros(2, 1, 3), new float[4], Float.NaN));
        words.add("scale must be finite, got NaN");
        bad.add(() -> SoftmaxDiceExpLog.backwardFromSoftmax(Tensor.zeros(1, 3, 4), Terms.labels(y, 1), Tensor.zeros(2, 1, 3),
                new float[4], 1f));
        words.add("ignore value 1");
        for (int i = 0; i < bad.size(); i++) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad.get(i)::run, words.get(i));
            assertTrue(e.getMessage().contains(words.get(i)), "message '" + e.getMessage() + "' should contain '" + words.get(i) + "'");
        }
    }

    @Test
    void nonFiniteLogitsAreRejectedByTheOnePass() {
        int[] shape = {1, 3, 2049, 1};
        Tensor x = logits(shape, 5);
        LabelTensor y = labels(shape, 6);
        for (int at : new int[] {0, 2048}) {   // in the first chunk and in the one-voxel chunk
            float[] z = x.toArray();
            z[2 * 2049 + at] = Float.NaN;
            Var v = Var.param(Tensor.wrap(z, shape));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExpLogLoss.create().forward(v, y));
            assertTrue(e.getMessage().contains("ExpLogLoss: input contains NaN or infinity"), e.getMessage());
        }
    }
}
