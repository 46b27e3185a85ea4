package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.Backend;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.SoftmaxSums;
import org.segloss.tensor.SoftmaxSums.Terms;
import org.segloss.tensor.SoftmaxSums.Total;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * The fused softmax region statistics ({@link RegionStatistics.FusedSums}, {@link SoftmaxSums#classSums})
 * against the composed graph they replace: the op itself by GradCheck and by comparison with
 * softmax, mask and sums; the losses that use it (SOFTMAX, hard labels) against the same loss
 * built on {@code Activation.NONE} over {@code x.softmax(1)}, which runs the old composed path.
 */
class RegionStatisticsTest {
    static final int IGNORE = 255;

    /** Random logits, labels with some ignored voxels (or none), and shapes that cross chunk borders. */
    record Case(Tensor x, LabelTensor labels, int c) {}

    static List<Case> cases() {
        SplittableRandom r = new SplittableRandom(17);
        List<Case> out = new ArrayList<>();
        int[][] shapes = {{1, 2, 5, 7}, {2, 3, 4, 5, 6}, {2, 4, 3, 40, 41}, {3, 5, 70, 33}, {1, 3, 2049, 1}};
        for (int[] s : shapes) {
            for (boolean ignore : new boolean[] {false, true}) {
                int b = s[0], c = s[1];
                int[] sp = java.util.Arrays.copyOfRange(s, 2, s.length);
                int n = b;
                for (int v : sp) n *= v;
                int[] lab = new int[n];
                for (int i = 0; i < n; i++) lab[i] = ignore && r.nextInt(5) == 0 ? IGNORE : r.nextInt(c);
                int[] ld = new int[sp.length + 1];
                ld[0] = b;
                System.arraycopy(sp, 0, ld, 1, sp.length);
                out.add(new Case(Tensor.randn(r.nextLong(), s).mul(2f), LabelTensor.of(lab, ld), c));
            }
        }
        return out;
    }

    /** The same loss on the composed path: activation NONE on the graph's own softmax. */
    static Var composed(SegmentationLoss loss, Var x, Case k, boolean onehot) {
        Var probs = x.softmax(1);
        return onehot ? loss.forward(probs, k.labels.oneHot(k.c, IGNORE)) : loss.forward(probs, k.labels);
    }

    static Var fused(SegmentationLoss loss, Var x, Case k, boolean onehot) {
        return onehot ? loss.forward(x, k.labels.oneHot(k.c, IGNORE)) : loss.forward(x, k.labels);
    }

    /**
     * The relative tolerance of a region sum. Each chunk of 2,048 voxels is summed in float
     * accumulators of 2048 / lanes terms each (16 lanes: 128 terms; the scalar twin: one
     * accumulator of 2,048), whose rounding errors random-walk, about eps · √terms; so the
     * tolerance is 1e-6 at 16 lanes (the AVX-512 kernels of CI) and grows as √(16 / lanes):
     * 1.4e-6 at 8 lanes, 4e-6 for the scalar twin, which measured up to 2e-6 off.
     */
    static final double SUM_REL = 1e-6 * Math.sqrt(16.0 / Backend.kernels().lanes());

    /** Values within SUM_REL relative, gradients within SUM_REL max|g|. */
    static void assertSame(Function<Activation, SegmentationLoss> make, String what) {
        for (Case k : cases()) {
            for (boolean onehot : new boolean[] {false, true}) {
                Var xa = Var.param(k.x.copy()), xb = Var.param(k.x.copy());
                Var a = fused(make.apply(Activation.SOFTMAX), xa, k, onehot);
                Var b = composed(make.apply(Activation.NONE), xb, k, onehot);
                float[] va = a.value().toArray(), vb = b.value().toArray();
                String ctx = what + " " + k.x.shape() + " onehot=" + onehot + " ignore=" + (k.labels.eq(IGNORE).toFloat().sum().item() > 0);
                assertEquals(vb.length, va.length, ctx);
                for (int i = 0; i < va.length; i++) {
                    assertEquals(vb[i], va[i], SUM_REL * Math.max(1e-3, Math.abs(vb[i])), ctx + " value " + i);
                }
                a.sum().backward();
                b.sum().backward();
                float[] ga = xa.grad().toArray(), gb = xb.grad().toArray();
                double max = 0;
                for (float v : gb) max = Math.max(max, Math.abs(v));
                for (int i = 0; i < ga.length; i++) assertEquals(gb[i], ga[i], SUM_REL * max + 1e-12, ctx + " grad " + i);
            }
        }
    }

    @Test
    void statisticsMatchComposedSoftmaxAndSums() {
        for (Case k : cases()) {
            Tensor g = k.labels.oneHot(k.c, IGNORE);
            Tensor valid = k.labels.ne(IGNORE).toFloat().reshape(k.labels.shape().insert(1, 1));
            int[] sp = new int[k.x.rank() - 2];
            for (int i = 0; i < sp.length; i++) sp[i] = i + 2;
            Var[] st = RegionStatistics.FusedSums.of(Var.constant(k.x), Terms.weightedBy(g).masked(valid).plus(Total.PROBABILITIES, Total.SQUARES));
            Tensor p = k.x.softmax(1).mul(valid);
            Tensor[] want = {p.mul(g).sum(sp, false), p.sum(sp, false), p.square().sum(sp, false)};
            for (int q = 0; q < 3; q++) {
                float[] a = st[q].value().toArray(), b = want[q].toArray();
                for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], SUM_REL * Math.max(1, Math.abs(b[i])), "stat " + q);
            }
        }
    }

    @Test
    void gradCheckAllOutputsWithAndWithoutMask() {
        Tensor x = Tensor.randn(3, 2, 3, 4, 5);
        LabelTensor lab = LabelTensor.randomLabels(4, 3, 2, 4, 5);
        Tensor g = lab.oneHot(3);
        float[] m = Tensor.rand(5, 2, 1, 4, 5).toArray();
        for (int i = 0; i < m.length; i++) m[i] = m[i] < 0.3f ? 0f : 1f;
        Tensor mask = Tensor.wrap(m, 2, 1, 4, 5);
        Tensor w0 = Tensor.uniform(6, -1f, 1f, 2, 3), w1 = Tensor.uniform(7, -1f, 1f, 2, 3), w2 = Tensor.uniform(8, -1f, 1f, 2, 3);
        for (Tensor mk : new Tensor[] {null, mask}) {
            GradCheck.Report r = GradCheck.check(v -> {
                Var[] s = RegionStatistics.FusedSums.of(v[0], Terms.weightedBy(g).masked(mk).plus(Total.PROBABILITIES, Total.SQUARES));
                return s[0].mul(w0).add(s[1].mul(w1)).add(s[2].mul(w2));
            }, x);
            assertTrue(r.passed(), r.toString());
            GradCheck.Report rl = GradCheck.check(v -> {
                Var[] s = RegionStatistics.FusedSums.of(v[0], Terms.labels(lab, 2).masked(mk).plus(Total.PROBABILITIES, Total.SQUARES));   // label 2 ignored
                return s[0].mul(w0).add(s[1].mul(w1)).add(s[2].mul(w2));
            }, x);
            assertTrue(rl.passed(), rl.toString());
            GradCheck.Report r1 = GradCheck.check(v -> RegionStatistics.FusedSums.of(v[0], Terms.weightedBy(g).masked(mk).plus(Total.SQUARES))[1], x);
            assertTrue(r1.passed(), r1.toString());
        }
    }

    @Test
    void bitIdenticalForAnyThreadCount() {
        Case k = cases().get(5);
        Tensor g = k.labels.oneHot(k.c, IGNORE);
        Terms terms = Terms.weightedBy(g).plus(Total.PROBABILITIES, Total.SQUARES);
        int saved = Parallel.threads();
        try {
            Parallel.setThreads(1);
            Tensor f1 = SoftmaxSums.classSums(k.x, terms);
            Tensor b1 = SoftmaxSums.classSumsBackward(k.x, terms, Tensor.randn(9, f1.shape().dims()));
            Parallel.setThreads(4);
            Tensor f4 = SoftmaxSums.classSums(k.x, terms);
            Tensor b4 = SoftmaxSums.classSumsBackward(k.x, terms, Tensor.randn(9, f1.shape().dims()));
            assertArrayEquals(f1.toArray(), f4.toArray());
            assertArrayEquals(b1.toArray(), b4.toArray());
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void diceMatchesComposedPath() {
        for (boolean bg : new boolean[] {true, false}) {
            for (boolean batch : new boolean[] {false, true}) {
                for (boolean sq : new boolean[] {false, true}) {
                    for (boolean jac : new boolean[] {false, true}) {
                        assertSame(a -> DiceLoss.builder().activation(a).includeBackground(bg).batch(batch).squaredPred(sq)
                                .jaccard(jac).ignoreIndex(IGNORE).reduction(Reduction.NONE).build(),
                                "dice bg=" + bg + " batch=" + batch + " sq=" + sq + " jac=" + jac);
                    }
                }
            }
        }
        assertSame(a -> DiceLoss.builder().activation(a).ignoreIndex(IGNORE).build(), "dice mean");
    }

    @Test
    void weightedDiceMatchesComposedPath() {
        for (Case k : cases()) {
            float[] w = new float[k.c - 1];
            for (int i = 0; i < w.length; i++) w[i] = 0.5f + i;
            Var xa = Var.param(k.x.copy()), xb = Var.param(k.x.copy());
            Var a = fused(DiceLoss.builder().includeBackground(false).weight(w).ignoreIndex(IGNORE).reduction(Reduction.SUM).build(), xa, k, false);
            Var b = composed(DiceLoss.builder().activation(Activation.NONE).includeBackground(false).weight(w).ignoreIndex(IGNORE)
                    .reduction(Reduction.SUM).build(), xb, k, false);
            assertEquals(b.item(), a.item(), SUM_REL * Math.abs(b.item()));
        }
    }

    @Test
    void jaccardTverskyAndGeneralizedDiceMatchComposedPath() {
        for (boolean bg : new boolean[] {true, false}) {
            for (boolean batch : new boolean[] {false, true}) {
                assertSame(a -> JaccardLoss.builder().activation(a).includeBackground(bg).batch(batch).ignoreIndex(IGNORE)
                        .reduction(Reduction.NONE).build(), "jaccard bg=" + bg + " batch=" + batch);
                assertSame(a -> TverskyLoss.builder().activation(a).alpha(0.3f).beta(0.7f).includeBackground(bg).batch(batch)
                        .ignoreIndex(IGNORE).reduction(Reduction.NONE).build(), "tversky bg=" + bg + " batch=" + batch);
                for (GeneralizedDiceLoss.WeightType t : GeneralizedDiceLoss.WeightType.values()) {
                    assertSame(a -> GeneralizedDiceLoss.builder().activation(a).weightType(t).includeBackground(bg).batch(batch)
                            .ignoreIndex(IGNORE).reduction(Reduction.NONE).build(), "gdl " + t + " bg=" + bg + " batch=" + batch);
                }
            }
        }
    }

    @Test
    void boundaryMatchesComposedPath() {
        for (Case k : cases()) {
            Tensor phi = Tensor.randn(k.x.shape().size() + 1L, k.x.shape().dims()).mul(3f);
            int[][] idcs = k.c >= 3 ? new int[][] {null, {2, 0}, {1, 2}} : new int[][] {null, {0}};
            for (int[] idc : idcs) {
                for (Reduction red : Reduction.values()) {
                    BoundaryLoss.Builder fb = BoundaryLoss.builder().reduction(red);
                    BoundaryLoss.Builder cb = BoundaryLoss.builder().activation(Activation.NONE).reduction(red);
                    if (idc != null) {
                        fb.idc(idc);
                        cb.idc(idc);
                    }
                    Var xa = Var.param(k.x.copy()), xb = Var.param(k.x.copy());
                    Var a = fb.build().forwardWithMaps(xa, phi), b = cb.build().forwardWithMaps(xb.softmax(1), phi);
                    float[] va = a.value().toArray(), vb = b.value().toArray();
                    // Σ φ p cancels (φ is signed): relative to the scale of the terms, not of the result
                    double scale = phi.abs().mean().item() * k.x.dim(0) * k.c;
                    for (int i = 0; i < va.length; i++) assertEquals(vb[i], va[i], SUM_REL * Math.max(scale, Math.abs(vb[i])), "boundary value");
                    a.sum().backward();
                    b.sum().backward();
                    float[] ga = xa.grad().toArray(), gb = xb.grad().toArray();
                    double max = 0;
                    for (float v : gb) max = Math.max(max, Math.abs(v));
                    for (int i = 0; i < ga.length; i++) assertEquals(gb[i], ga[i], SUM_REL * max + 1e-12, "boundary grad " + i);
                }
            }
        }
    }

    @Test
    void ignoreIndexInsideTheClassRange() {
        // ignoreIndex = 1 is a real class value: the label path must drop those voxels like oneHot(c, 1)
        for (Case k : cases()) {
            if (k.labels.eq(IGNORE).toFloat().sum().item() > 0) continue;
            for (boolean bg : new boolean[] {true, false}) {
                for (boolean onehot : new boolean[] {false, true}) {
                    Var xa = Var.param(k.x.copy()), xb = Var.param(k.x.copy());
                    Var a = onehot
                            ? DiceLoss.builder().includeBackground(bg).ignoreIndex(1).reduction(Reduction.NONE).build().forward(xa, k.labels.oneHot(k.c, 1))
                            : DiceLoss.builder().includeBackground(bg).ignoreIndex(1).reduction(Reduction.NONE).build().forward(xa, k.labels);
                    DiceLoss nb = DiceLoss.builder().activation(Activation.NONE).includeBackground(bg).ignoreIndex(1)
                            .reduction(Reduction.NONE).build();
                    Var b = onehot ? nb.forward(xb.softmax(1), k.labels.oneHot(k.c, 1)) : nb.forward(xb.softmax(1), k.labels);
                    float[] va = a.value().toArray(), vb = b.value().toArray();
                    for (int i = 0; i < va.length; i++) assertEquals(vb[i], va[i], SUM_REL * Math.max(1e-3, Math.abs(vb[i])), "value " + i);
                    a.sum().backward();
                    b.sum().backward();
                    float[] ga = xa.grad().toArray(), gb = xb.grad().toArray();
                    double max = 0;
                    for (float v : gb) max = Math.max(max, Math.abs(v));
                    for (int i = 0; i < ga.length; i++) assertEquals(gb[i], ga[i], SUM_REL * max + 1e-12, "grad " + i);
                }
            }
        }
    }

    @Test
    void classCountsEqualOneHotSums() {
        for (Case k : cases()) {
            int[] sp = new int[k.x.rank() - 2];
            for (int i = 0; i < sp.length; i++) sp[i] = i + 2;
            assertArrayEquals(k.labels.oneHot(k.c, IGNORE).sum(sp, false).toArray(), k.labels.classCounts(k.c, IGNORE).toArray());
        }
    }

    /** A random 0/1 mask [B, 1, *spatial] for the labels of k, about a quarter zeros. */
    static Tensor randomMask(Case k, long seed) {
        float[] m = Tensor.rand(seed, k.labels.shape().dims()).toArray();
        for (int i = 0; i < m.length; i++) m[i] = m[i] < 0.25f ? 0f : 1f;
        return Tensor.wrap(m, k.labels.shape().insert(1, 1).dims());
    }

    /**
     * The label-map terms (labels compared inside the kernels, class counts in the same pass)
     * against the same sums over the one-hot tensor: the ignore value outside and inside [0, C),
     * no mask, the labels' own ignore mask and an unrelated random mask; forward and backward.
     */
    @Test
    void labelTermsMatchOneHotMaps() {
        for (Case k : cases()) {
            int b = k.x.dim(0), c = k.c, sp = k.labels.size() / b;
            for (int ignore : new int[] {IGNORE, 1, SegmentationLoss.NO_IGNORE}) {
                // for ignore 1 (a class value) or none, the 255s become ordinary labels first
                int[] raw = k.labels.toArray();
                for (int i = 0; i < raw.length; i++) if (ignore != IGNORE && raw[i] == IGNORE) raw[i] = 1 % c;
                LabelTensor lab = LabelTensor.of(raw, k.labels.shape().dims());
                Tensor own = lab.ne(ignore).toFloat().reshape(k.labels.shape().insert(1, 1));
                for (Tensor mask : new Tensor[] {null, own, randomMask(k, 31 + ignore)}) {
                    String ctx = k.x.shape() + " ignore=" + ignore + " mask=" + (mask == null ? "none" : mask == own ? "own" : "random");
                    Terms fused = Terms.labels(lab, ignore).masked(mask).plus(Total.PROBABILITIES, Total.SQUARES, Total.LABEL_COUNTS);
                    Terms ref = Terms.weightedBy(lab.oneHot(c, ignore)).masked(mask).plus(Total.PROBABILITIES, Total.SQUARES);
                    Tensor f = SoftmaxSums.classSums(k.x, fused), r = SoftmaxSums.classSums(k.x, ref);
                    assertEquals(List.of(4, b, c), java.util.Arrays.stream(f.shape().dims()).boxed().toList(), ctx);
                    float[] fa = f.toArray(), ra = r.toArray();
                    for (int i = 0; i < ra.length; i++) assertEquals(ra[i], fa[i], SUM_REL * Math.max(1, Math.abs(ra[i])), ctx + " stat " + i);
                    // G: the masked class counts, exactly
                    for (int bi = 0; bi < b; bi++) {
                        long[] want = new long[c];
                        for (int j = 0; j < sp; j++) {
                            int v = raw[bi * sp + j];
                            if (v != ignore && v >= 0 && v < c && (mask == null || mask.at(bi * sp + j) != 0f)) want[v]++;
                        }
                        for (int ch = 0; ch < c; ch++) assertEquals((float) want[ch], fa[(3 * b + bi) * c + ch], ctx + " count " + bi + "," + ch);
                    }
                    // backward: the first three slabs' gradients as the one-hot path; the counts' slab is ignored
                    Tensor g3 = Tensor.randn(k.x.size() + ignore, 3, b, c);
                    float[] g4 = new float[4 * b * c], g4b = new float[4 * b * c];
                    System.arraycopy(g3.toArray(), 0, g4, 0, 3 * b * c);
                    System.arraycopy(g3.toArray(), 0, g4b, 0, 3 * b * c);
                    for (int i = 3 * b * c; i < g4b.length; i++) g4b[i] = 1e6f;
                    float[] gf = SoftmaxSums.classSumsBackward(k.x, fused, Tensor.wrap(g4, 4, b, c)).toArray();
                    float[] gfb = SoftmaxSums.classSumsBackward(k.x, fused, Tensor.wrap(g4b, 4, b, c)).toArray();
                    float[] gr = SoftmaxSums.classSumsBackward(k.x, ref, g3).toArray();
                    assertArrayEquals(gf, gfb, ctx + ": the counts' gradient must be ignored");
                    double max = 0;
                    for (float v : gr) max = Math.max(max, Math.abs(v));
                    for (int i = 0; i < gr.length; i++) assertEquals(gr[i], gf[i], SUM_REL * max + 1e-12, ctx + " grad " + i);
                }
            }
        }
    }

    @Test
    void labelTermsBitIdenticalForAnyThreadCount() {
        for (Case k : List.of(cases().get(5), cases().get(7), cases().get(9))) {
            Terms terms = Terms.labels(k.labels, IGNORE).masked(randomMask(k, 3)).plus(Total.PROBABILITIES, Total.SQUARES, Total.LABEL_COUNTS);
            int saved = Parallel.threads();
            try {
                Tensor[] f = new Tensor[3], g = new Tensor[3];
                int[] threads = {1, 2, 3};
                for (int i = 0; i < threads.length; i++) {
                    Parallel.setThreads(threads[i]);
                    f[i] = SoftmaxSums.classSums(k.x, terms);
                    g[i] = SoftmaxSums.classSumsBackward(k.x, terms, Tensor.randn(9, f[0].shape().dims()));
                }
                for (int i = 1; i < threads.length; i++) {
                    assertArrayEquals(f[0].toArray(), f[i].toArray(), "forward, threads " + threads[i]);
                    assertArrayEquals(g[0].toArray(), g[i].toArray(), "backward, threads " + threads[i]);
                }
            } finally {
                Parallel.setThreads(saved);
            }
        }
    }

    /**
     * The kept-softmax path (forward writes p, backward turns it into the gradient in place) gives
     * the bits of the recomputing path, with and without a mask and maps, at chunk tails of one
     * voxel (sp = 2049) and with C = 17 (a single voxel's C logits then fill a vector).
     */
    @Test
    void keptSoftmaxGivesTheBitsOfTheRecomputedOne() {
        List<Case> all = new ArrayList<>(cases());
        SplittableRandom r = new SplittableRandom(5);
        int[] lab17 = new int[2 * 2049];
        for (int i = 0; i < lab17.length; i++) lab17[i] = r.nextInt(17);
        all.add(new Case(Tensor.randn(3, 2, 17, 2049).mul(3f), LabelTensor.of(lab17, 2, 2049), 17));
        for (Case k : all) {
            Tensor map = Tensor.rand(4, k.x.shape().dims());
            for (boolean masked : new boolean[] {false, true}) {
                Terms terms = Terms.labels(k.labels, IGNORE).plus(Total.PROBABILITIES, Total.SQUARES, Total.LABEL_SQUARED_ERROR,
                        Total.OFF_LABEL_SQUARES, Total.LABEL_COUNTS);
                terms = new Terms(List.of(map), k.labels, IGNORE, masked ? randomMask(k, 3) : null, terms.totals());
                Tensor recomputed = SoftmaxSums.classSums(k.x, terms);
                Tensor p = Tensor.full(Float.NaN, k.x.shape().dims());   // stale contents must not matter
                Tensor kept = SoftmaxSums.classSums(k.x, terms, p);
                String what = k.x.shape() + (masked ? " masked" : "");
                assertArrayEquals(recomputed.toArray(), kept.toArray(), "forward, " + what);
                // x.softmax(1) cuts the columns elsewhere (a tail column can take another kernel path): a few ulp
                assertArrayEquals(k.x.softmax(1).toArray(), p.toArray(), 1e-6f, "the kept softmax, " + what);
                Tensor grads = Tensor.randn(9, recomputed.shape().dims());
                float[] expected = SoftmaxSums.classSumsBackward(k.x, terms, grads).toArray();
                Tensor g = SoftmaxSums.classSumsBackwardFromSoftmax(p, terms, grads);
                assertTrue(g == p, "the gradient is written over the kept softmax");
                assertArrayEquals(expected, g.toArray(), "backward, " + what);
            }
        }
    }

    /** The label cases plus C = 17 classes (a voxel's logits fill a vector) at sp = 2049 (a one-voxel tail chunk). */
    static List<Case> labelCases() {
        List<Case> all = new ArrayList<>(cases());
        SplittableRandom r = new SplittableRandom(5);
        int[] lab17 = new int[2 * 2049];
        for (int i = 0; i < lab17.length; i++) lab17[i] = r.nextInt(17);
        all.add(new Case(Tensor.randn(3, 2, 17, 2049).mul(3f), LabelTensor.of(lab17, 2, 2049), 17));
        return all;
    }

    /** Every label total, and the sets the region losses ask for (Dice: P and G; V-Net: Q and G; sensitivity-specificity). */
    static final List<Total[]> LABEL_TOTALS = List.of(
            Total.values(),
            new Total[] {Total.PROBABILITIES, Total.LABEL_COUNTS},
            new Total[] {Total.SQUARES, Total.LABEL_COUNTS},
            new Total[] {Total.LABEL_SQUARED_ERROR, Total.OFF_LABEL_SQUARES, Total.LABEL_COUNTS},
            new Total[] {});

    /**
     * A label map without maps or mask takes the one-pass kernels (softmaxLabelSums and its
     * backward); the same terms over an all-ones mask take the general per-class passes. Both give
     * the same statistics and gradients within float rounding, for an ignore value outside [0, C)
     * (its voxels and the out-of-range labels count for no class) and for none.
     */
    @Test
    void oneLabelPassMatchesTheGeneralPath() {
        for (Case k : labelCases()) {
            int b = k.x.dim(0), c = k.c;
            Tensor ones = Tensor.full(1f, k.labels.shape().insert(1, 1).dims());
            for (int ignore : new int[] {IGNORE, SegmentationLoss.NO_IGNORE}) {
                for (Total[] totals : LABEL_TOTALS) {
                    Terms one = Terms.labels(k.labels, ignore).plus(totals);
                    Terms general = one.masked(ones);
                    String ctx = k.x.shape() + " ignore=" + ignore + " totals=" + List.of(totals);
                    float[] f = SoftmaxSums.classSums(k.x, one).toArray(), r = SoftmaxSums.classSums(k.x, general).toArray();
                    for (int i = 0; i < r.length; i++) assertEquals(r[i], f[i], SUM_REL * Math.max(1, Math.abs(r[i])), ctx + " stat " + i);
                    Tensor grads = Tensor.randn(k.x.size() + totals.length, one.count(), b, c);
                    float[] gf = SoftmaxSums.classSumsBackward(k.x, one, grads).toArray();
                    float[] gr = SoftmaxSums.classSumsBackward(k.x, general, grads).toArray();
                    double max = 0;
                    for (float v : gr) max = Math.max(max, Math.abs(v));
                    for (int i = 0; i < gr.length; i++) assertEquals(gr[i], gf[i], SUM_REL * max + 1e-12, ctx + " grad " + i);
                }
            }
        }
    }

    /** The one-pass path: the kept softmax gives the recomputing path's bits, forward and backward, at every thread count. */
    @Test
    void oneLabelPassKeptAndRecomputedBitIdenticalForAnyThreadCount() {
        int saved = Parallel.threads();
        try {
            for (Case k : labelCases()) {
                for (Total[] totals : LABEL_TOTALS) {
                    Terms terms = Terms.labels(k.labels, IGNORE).plus(totals);
                    String what = k.x.shape() + " totals=" + List.of(totals);
                    Tensor grads = Tensor.randn(9, terms.count(), k.x.dim(0), k.c);
                    Parallel.setThreads(1);
                    Tensor recomputed = SoftmaxSums.classSums(k.x, terms);
                    float[] expected = SoftmaxSums.classSumsBackward(k.x, terms, grads).toArray();
                    for (int threads : new int[] {1, 2, 3}) {
                        Parallel.setThreads(threads);
                        assertArrayEquals(recomputed.toArray(), SoftmaxSums.classSums(k.x, terms).toArray(), "forward, threads " + threads + ", " + what);
                        Tensor p = Tensor.full(Float.NaN, k.x.shape().dims());   // stale contents must not matter
                        Tensor kept = SoftmaxSums.classSums(k.x, terms, p);
                        assertArrayEquals(recomputed.toArray(), kept.toArray(), "kept forward, threads " + threads + ", " + what);
                        assertArrayEquals(k.x.softmax(1).toArray(), p.toArray(), 1e-6f, "the kept softmax, " + what);
                        assertArrayEquals(expected, SoftmaxSums.classSumsBackward(k.x, terms, grads).toArray(), "backward, threads " + threads + ", " + what);
                        Tensor g = SoftmaxSums.classSumsBackwardFromSoftmax(p, terms, grads);
                        assertTrue(g == p, "the gradient is written over the kept softmax");
                        assertArrayEquals(expected, g.toArray(), "kept backward, threads " + threads + ", " + what);
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** The one-pass path rejects NaN and infinite logits wherever they sit: a vector block, a chunk's tail, a one-voxel chunk. */
    @Test
    void oneLabelPassRejectsNonFiniteLogits() {
        Case k = labelCases().get(labelCases().size() - 1);   // [2, 17, 2049]: chunks of 2048 voxels and of one
        int sp = 2049, c = 17;
        Terms terms = Terms.labels(k.labels, IGNORE).plus(Total.PROBABILITIES, Total.LABEL_COUNTS).rejectingNonFinite("DiceLoss");
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int at : new int[] {0, 5 * sp + 7, (c - 1) * sp + 2047, c * sp + 2048, 2 * c * sp - 1}) {
                float[] xs = k.x.toArray();
                xs[at] = bad;
                Tensor x = Tensor.wrap(xs, k.x.shape().dims());
                for (boolean keep : new boolean[] {false, true}) {
                    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                            () -> SoftmaxSums.classSums(x, terms, keep ? Tensor.zeros(x.shape().dims()) : null), bad + " at " + at);
                    assertEquals("DiceLoss: input contains NaN or infinity (shape " + x.shape() + ")", e.getMessage());
                }
            }
        }
        // finite logits pass the check, with the bits of the unchecked sums
        Terms unchecked = Terms.labels(k.labels, IGNORE).plus(Total.PROBABILITIES, Total.LABEL_COUNTS);
        assertArrayEquals(SoftmaxSums.classSums(k.x, unchecked).toArray(), SoftmaxSums.classSums(k.x, terms).toArray());
    }

    /** A signed map of x's shape with an all-zero class row in sample 0 (an absent class: -0 products where dS < 0). */
    static Tensor signedMap(Tensor x, long seed) {
        float[] m = Tensor.randn(seed, x.shape().dims()).mul(5f).toArray();
        int sp = x.size() / (x.dim(0) * x.dim(1));
        java.util.Arrays.fill(m, sp, 2 * sp, 0f);
        return Tensor.wrap(m, x.shape().dims());
    }

    /**
     * One weight map and nothing else (the boundary loss's Σ p φ) takes the one-pass kernels
     * (softmaxWeightedSums and its backward); the same map over an all-ones mask takes the general
     * per-class passes (softmax, one dot per class; gp = 0 + dS w, then the softmax backward). They
     * give the same bits, forward and backward, kept and recomputed, at 1, 2 and 3 threads, with
     * one-voxel chunk tails (sp = 2049) and C = 17.
     */
    @Test
    void oneMapPassGivesTheGeneralPathsBitsForAnyThreadCount() {
        int saved = Parallel.threads();
        try {
            for (Case k : labelCases()) {
                int b = k.x.dim(0), c = k.c;
                Tensor map = signedMap(k.x, k.x.size() + 7L);
                Tensor ones = Tensor.full(1f, k.labels.shape().insert(1, 1).dims());
                Terms one = Terms.weightedBy(map), general = one.masked(ones);
                Tensor grads = Tensor.randn(11, 1, b, c);
                String what = k.x.shape().toString();
                Parallel.setThreads(1);
                float[] sums = SoftmaxSums.classSums(k.x, general).toArray();
                float[] grad = SoftmaxSums.classSumsBackward(k.x, general, grads).toArray();
                Tensor pGeneral = Tensor.full(Float.NaN, k.x.shape().dims());
                assertArrayEquals(sums, SoftmaxSums.classSums(k.x, general, pGeneral).toArray(), "general kept forward, " + what);
                for (int threads : new int[] {1, 2, 3}) {
                    Parallel.setThreads(threads);
                    String ctx = "threads " + threads + ", " + what;
                    assertArrayEquals(sums, SoftmaxSums.classSums(k.x, one).toArray(), "forward, " + ctx);
                    assertArrayEquals(grad, SoftmaxSums.classSumsBackward(k.x, one, grads).toArray(), "backward, " + ctx);
                    Tensor p = Tensor.full(Float.NaN, k.x.shape().dims());   // stale contents must not matter
                    assertArrayEquals(sums, SoftmaxSums.classSums(k.x, one, p).toArray(), "kept forward, " + ctx);
                    assertArrayEquals(pGeneral.toArray(), p.toArray(), "the kept softmax, " + ctx);
                    Tensor g = SoftmaxSums.classSumsBackwardFromSoftmax(p, one, grads);
                    assertTrue(g == p, "the gradient is written over the kept softmax");
                    assertArrayEquals(grad, g.toArray(), "kept backward, " + ctx);
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** The one-map pass rejects NaN and infinite logits wherever they sit: a vector block, a chunk's tail, a one-voxel chunk. */
    @Test
    void oneMapPassRejectsNonFiniteLogits() {
        Case k = labelCases().get(labelCases().size() - 1);   // [2, 17, 2049]: chunks of 2048 voxels and of one
        int sp = 2049, c = 17;
        Tensor map = signedMap(k.x, 3);
        Terms terms = Terms.weightedBy(map).rejectingNonFinite("BoundaryLoss");
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int at : new int[] {0, 5 * sp + 7, (c - 1) * sp + 2047, c * sp + 2048, 2 * c * sp - 1}) {
                float[] xs = k.x.toArray();
                xs[at] = bad;
                Tensor x = Tensor.wrap(xs, k.x.shape().dims());
                for (boolean keep : new boolean[] {false, true}) {
                    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                            () -> SoftmaxSums.classSums(x, terms, keep ? Tensor.zeros(x.shape().dims()) : null), bad + " at " + at);
                    assertEquals("BoundaryLoss: input contains NaN or infinity (shape " + x.shape() + ")", e.getMessage());
                }
            }
        }
        // finite logits pass the check, with the bits of the unchecked sums
        assertArrayEquals(SoftmaxSums.classSums(k.x, Terms.weightedBy(map)).toArray(), SoftmaxSums.classSums(k.x, terms).toArray());
    }

    @Test
    void keepMustHaveTheLogitsShapeAndItsOwnArray() {
        Case k = cases().get(2);
        Terms terms = Terms.labels(k.labels, IGNORE).plus(Total.PROBABILITIES);
        IllegalArgumentException shape = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SoftmaxSums.classSums(k.x, terms, Tensor.zeros(k.x.size())));
        assertTrue(shape.getMessage().contains("out must have the logits' shape " + k.x.shape()), shape.getMessage());
        IllegalArgumentException shared = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SoftmaxSums.classSums(k.x, terms, k.x));
        assertTrue(shared.getMessage().contains("must not share its array with the logits"), shared.getMessage());
    }

    @Test
    void labelCountsWithoutLabelsIsAnError() {
        Case k = cases().get(0);
        Tensor g = k.labels.oneHot(k.c, IGNORE);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SoftmaxSums.classSums(k.x, Terms.weightedBy(g).plus(Total.LABEL_COUNTS)));
        assertTrue(e.getMessage().contains("LABEL_COUNTS needs labels"), e.getMessage());
    }

    /** E = Σ_{y=c} (1 - m p)² and F = Σ_{y≠c} (m p)² against double loops over the softmax, with and without masks. */
    @Test
    void squaredErrorTermsMatchDirectSums() {
        for (Case k : cases()) {
            int b = k.x.dim(0), c = k.c, sp = k.labels.size() / b;
            float[] p = k.x.softmax(1).toArray();
            int[] y = k.labels.toArray();
            Tensor own = k.labels.ne(IGNORE).toFloat().reshape(k.labels.shape().insert(1, 1));
            for (Tensor mask : new Tensor[] {null, own, randomMask(k, 5)}) {
                Tensor st = SoftmaxSums.classSums(k.x, Terms.labels(k.labels, IGNORE).masked(mask)
                        .plus(Total.OFF_LABEL_SQUARES, Total.LABEL_SQUARED_ERROR));
                float[] a = st.toArray();
                for (int bi = 0; bi < b; bi++) {
                    for (int ch = 0; ch < c; ch++) {
                        double e = 0, f = 0;
                        for (int j = 0; j < sp; j++) {
                            double mp = (mask == null ? 1 : mask.at(bi * sp + j)) * p[(bi * c + ch) * sp + j];
                            if (y[bi * sp + j] == ch) e += (1 - mp) * (1 - mp);
                            else f += mp * mp;
                        }
                        String ctx = k.x.shape() + " " + bi + "," + ch + " mask=" + (mask != null);
                        assertEquals(e, a[(b + bi) * c + ch], SUM_REL * Math.max(1, e), ctx + " E");
                        assertEquals(f, a[(2 * b + bi) * c + ch], SUM_REL * Math.max(1, f), ctx + " F");
                    }
                }
            }
        }
    }

    @Test
    void gradCheckSquaredErrorTerms() {
        Tensor x = Tensor.randn(3, 2, 3, 4, 5);
        LabelTensor lab = LabelTensor.randomLabels(4, 3, 2, 4, 5);
        Tensor mask = randomMask(new Case(x, lab, 3), 8);
        Tensor w0 = Tensor.uniform(6, -1f, 1f, 2, 3), w1 = Tensor.uniform(7, -1f, 1f, 2, 3), w2 = Tensor.uniform(8, -1f, 1f, 2, 3);
        for (Tensor mk : new Tensor[] {null, mask}) {
            for (int ignore : new int[] {2, SegmentationLoss.NO_IGNORE}) {
                GradCheck.Report r = GradCheck.check(v -> {
                    Var[] s = RegionStatistics.FusedSums.of(v[0], Terms.labels(lab, ignore).masked(mk)
                            .plus(Total.SQUARES, Total.LABEL_SQUARED_ERROR, Total.OFF_LABEL_SQUARES));
                    return s[1].mul(w0).add(s[2].mul(w1)).add(s[3].mul(w2));
                }, x);
                assertTrue(r.passed(), "ignore=" + ignore + " mask=" + (mk != null) + ": " + r);
                GradCheck.Report r1 = GradCheck.check(v -> RegionStatistics.FusedSums.of(v[0], Terms.labels(lab, ignore).masked(mk)
                        .plus(Total.OFF_LABEL_SQUARES))[1], x);
                assertTrue(r1.passed(), r1.toString());
                GradCheck.Report r2 = GradCheck.check(v -> RegionStatistics.FusedSums.of(v[0], Terms.labels(lab, ignore).masked(mk)
                        .plus(Total.LABEL_SQUARED_ERROR, Total.LABEL_COUNTS))[1], x);
                assertTrue(r2.passed(), r2.toString());
            }
        }
    }

    @Test
    void sensitivitySpecificityMatchesComposedPath() {
        for (boolean bg : new boolean[] {true, false}) {
            for (boolean batch : new boolean[] {false, true}) {
                for (SensitivitySpecificityLoss.Form form : SensitivitySpecificityLoss.Form.values()) {
                    assertSame(a -> SensitivitySpecificityLoss.builder().activation(a).includeBackground(bg).batch(batch).form(form)
                            .ignoreIndex(IGNORE).reduction(Reduction.NONE).build(), "ss bg=" + bg + " batch=" + batch + " " + form);
                    assertSame(a -> SensitivitySpecificityLoss.builder().activation(a).includeBackground(bg).batch(batch).form(form)
                            .lambda(0.3f).epsilon(1f).ignoreIndex(IGNORE).build(), "ss mean bg=" + bg + " batch=" + batch + " " + form);
                }
            }
        }
    }
}
