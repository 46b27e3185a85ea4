package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.distance.SignedDistanceMaps;
import org.segloss.distance.SignedDistanceMaps.Convention;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** Known values, gradient, edge cases and bad arguments of {@link BoundaryLoss}. */
class BoundaryLossTest {

    /** spec/reference-values.md D8: a 6×6 binary ground truth, object rows 1–3 × cols 2–4. */
    static LabelTensor d8() {
        int[] y = new int[36];
        for (int r = 1; r <= 3; r++) for (int c = 2; c <= 4; c++) y[r * 6 + c] = 1;
        return LabelTensor.of(y, 1, 6, 6);
    }

    /** Two-class probabilities [1, 2, 6, 6] with foreground probability fg[i]. */
    static Tensor probs(float[] fg) {
        float[] v = new float[72];
        for (int i = 0; i < 36; i++) {
            v[i] = 1f - fg[i];
            v[36 + i] = fg[i];
        }
        return Tensor.wrap(v, 1, 2, 6, 6);
    }

    static float[] filled(float x) {
        float[] f = new float[36];
        java.util.Arrays.fill(f, x);
        return f;
    }

    static float[] indicator(LabelTensor y) {
        float[] f = new float[36];
        for (int i = 0; i < 36; i++) f[i] = y.at(i);
        return f;
    }

    static BoundaryLoss.Builder probsLoss() {
        return BoundaryLoss.builder().activation(Activation.NONE);
    }

    @Test
    void d8MapAndD9ValuesInTheLiviaetsConvention() {
        // spec/reference-values.md D8: mean φ = 1.123043, Σφ = 40.429553; D9: p_fg ≡ 0.5 → 0.561522, p_fg = GT → −0.027778
        Tensor maps = SignedDistanceMaps.fromLabels(d8(), 2, null, Convention.LIVIAETS);
        assertEquals(40.429553, maps.slice(1, 1, 2).sumDouble(), 1e-5);
        BoundaryLoss l = probsLoss().convention(Convention.LIVIAETS).build();
        assertEquals(0.561522f, l.forward(Var.constant(probs(filled(0.5f))), d8()).item(), 1e-6f);
        assertEquals(-0.027778f, l.forward(Var.constant(probs(indicator(d8()))), d8()).item(), 1e-6f);
        assertEquals(0.561522f, l.forwardWithMaps(Var.constant(probs(filled(0.5f))), maps).item(), 1e-6f);
    }

    @Test
    void d9ValuesInTheDefaultVoxelBoundaryConvention() {
        // the same case with φ = ±(distance from the voxel centre to the voxelised surface), by brute force in
        // NumPy: mean φ = 0.577064; p_fg ≡ 0.5 → 0.288532; p_fg = GT → −0.152778 (= −(8·0.5 + 1.5)/36)
        BoundaryLoss l = probsLoss().build();
        assertEquals(0.288532f, l.forward(Var.constant(probs(filled(0.5f))), d8()).item(), 1e-6f);
        assertEquals(-0.152778f, l.forward(Var.constant(probs(indicator(d8()))), d8()).item(), 1e-6f);
    }

    @Test
    void theMinimumIsNegativeAndNotClamped() {
        BoundaryLoss l = probsLoss().build();
        float perfect = l.forward(Var.constant(probs(indicator(d8()))), d8()).item();
        float half = l.forward(Var.constant(probs(filled(0.5f))), d8()).item();
        float[] inv = indicator(d8());
        for (int i = 0; i < 36; i++) inv[i] = 1f - inv[i];
        float inverted = l.forward(Var.constant(probs(inv)), d8()).item();
        assertTrue(perfect < 0f && perfect < half && half < inverted, perfect + " < " + half + " < " + inverted);
    }

    @Test
    void liviaetsMapsBreakTheMinimumBelowUnitSpacing() {
        // spacing 0.5: LIVIAETS gives 1 − 0.5 = +0.5 on the object's border (issue #45), so switching the border
        // off lowers the loss below the perfect prediction's; the default convention keeps the perfect one minimal
        LabelTensor y = d8();
        float[] eroded = indicator(y);
        for (int i = 0; i < 36; i++) if (i != 2 * 6 + 3) eroded[i] = 0f;   // keep only the centre voxel
        for (Convention c : Convention.values()) {
            BoundaryLoss l = probsLoss().spacing(0.5, 0.5).convention(c).build();
            float perfect = l.forward(Var.constant(probs(indicator(y))), y).item();
            float centreOnly = l.forward(Var.constant(probs(eroded)), y).item();
            if (c == Convention.LIVIAETS) assertTrue(centreOnly < perfect, c + ": " + centreOnly + " < " + perfect);
            else assertTrue(perfect < centreOnly, c + ": " + perfect + " < " + centreOnly);
        }
    }

    @Test
    void gradientIsTheMapOverTheItemCount() {   // spec/losses/boundary.md#gradient: ∂L/∂p = φ / (B·|idc|·|Ω|)
        LabelTensor y = LabelTensor.randomLabels(3, 3, 2, 4, 5);
        Tensor p = Tensor.rand(4, 2, 3, 4, 5).add(0.1f);
        p = p.div(p.sum(new int[] {1}, true));
        BoundaryLoss l = probsLoss().idc(0, 2).build();
        Var x = Var.param(p);
        l.forward(x, y).backward();
        Tensor maps = SignedDistanceMaps.fromLabels(y, 3, null, Convention.VOXEL_BOUNDARY);
        float scale = 1f / (2 * 2 * 20);
        for (int b = 0; b < 2; b++) {
            for (int k = 0; k < 3; k++) {
                for (int i = 0; i < 20; i++) {
                    int at = (b * 3 + k) * 20 + i;
                    float want = k == 1 ? 0f : maps.at(at) * scale;
                    assertEquals(want, x.grad().at(at), 1e-7f, "b " + b + " k " + k + " i " + i);
                }
            }
        }
    }

    @Test
    void gradCheckThroughSoftmaxAndSigmoid() {
        LabelTensor y = LabelTensor.randomLabels(5, 3, 2, 3, 4);
        Tensor x = Tensor.randn(6, 2, 3, 3, 4).mul(1.5f);
        for (int[] idc : new int[][] {null, {0, 2}, {2, 0, 1}}) {
            BoundaryLoss.Builder b = BoundaryLoss.builder().spacing(1.5, 0.7);
            if (idc != null) b.idc(idc);
            BoundaryLoss l = b.build();
            GradCheck.Report r = GradCheck.check(v -> l.forward(v[0], y), x);
            assertTrue(r.passed(), r.toString());
        }
        BoundaryLoss sig = BoundaryLoss.builder().activation(Activation.SIGMOID).idc(0).build();
        Tensor one = Tensor.randn(7, 2, 1, 3, 4);
        LabelTensor bin = LabelTensor.randomLabels(8, 2, 2, 3, 4).reshape(2, 1, 3, 4);
        Tensor maps = SignedDistanceMaps.fromLabels(bin.reshape(2, 3, 4), 2, null, Convention.VOXEL_BOUNDARY).slice(1, 1, 2);
        GradCheck.Report r = GradCheck.check(v -> sig.forwardWithMaps(v[0], maps), one);
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void threeWaysToCallAgree() {
        LabelTensor y = LabelTensor.randomLabels(9, 4, 2, 3, 5, 4);
        Tensor x = Tensor.randn(10, 2, 4, 3, 5, 4);
        double[] spacing = {2.5, 1.0, 0.8};
        for (Convention c : Convention.values()) {
            BoundaryLoss l = BoundaryLoss.builder().spacing(spacing).convention(c).build();
            float fromLabels = l.forward(Var.constant(x), y).item();
            Tensor maps = l.distanceMaps(y, 4);
            assertEquals(fromLabels, l.forwardWithMaps(Var.constant(x), maps).item(), 0f);
            assertEquals(fromLabels, l.forward(Var.constant(x), y.oneHot(4)).item(), 0f);
            assertEquals(fromLabels, l.forward(Var.constant(x), y.reshape(2, 1, 3, 5, 4)).item(), 0f);
            // and equal to the maps of SignedDistanceMaps with that spacing
            Tensor direct = SignedDistanceMaps.fromLabels(y, 4, spacing, c);
            assertEquals(0f, maps.maxAbsDiff(direct), 0f);
        }
    }

    @Test
    void spacingScalesDistancesAlongItsAxisOnly() {   // spec/contract.md edge case 12
        // a single object column in a 1×5 image: distances run along W only, so spacing on H changes nothing
        LabelTensor y = LabelTensor.of(new int[] {0, 0, 1, 0, 0}, 1, 1, 5);
        Tensor p = probs5();
        float unit = probsLoss().build().forward(Var.constant(p), y).item();
        float alongH = probsLoss().spacing(3.0, 1.0).build().forward(Var.constant(p), y).item();
        float alongW = probsLoss().spacing(1.0, 2.0).build().forward(Var.constant(p), y).item();
        assertEquals(unit, alongH, 0f);
        assertEquals(2 * unit, alongW, 1e-6f);
    }

    static Tensor probs5() {
        float[] fg = {0.1f, 0.3f, 0.6f, 0.2f, 0.4f};
        float[] v = new float[10];
        for (int i = 0; i < 5; i++) {
            v[i] = 1 - fg[i];
            v[5 + i] = fg[i];
        }
        return Tensor.wrap(v, 1, 2, 1, 5);
    }

    @Test
    void emptyAndFullClassesContributeNothing() {   // spec/contract.md edge case 12
        LabelTensor allBackground = LabelTensor.zeros(2, 4, 4);
        Tensor x = Tensor.randn(11, 2, 2, 4, 4);
        Var v = Var.param(x);
        Var loss = BoundaryLoss.create().forward(v, allBackground);          // idc {1}: class 1 empty
        assertEquals(0f, loss.item(), 0f);
        loss.backward();
        for (float g : v.grad().toArray()) assertEquals(0f, g, 0f);
        BoundaryLoss withBackground = BoundaryLoss.builder().idc(0).build();  // class 0 full
        assertEquals(0f, withBackground.forward(Var.constant(x), allBackground).item(), 0f);
        // a sample without the class adds 0 but still counts in the mean: B = 2, one empty sample halves the value
        LabelTensor one = d8();
        float single = probsLoss().build().forward(Var.constant(probs(filled(0.5f))), one).item();
        int[] two = new int[72];
        System.arraycopy(one.toArray(), 0, two, 0, 36);
        Tensor p2 = Tensor.concat(0, probs(filled(0.5f)), probs(filled(0.5f)));
        assertEquals(single / 2, probsLoss().build().forward(Var.constant(p2), LabelTensor.of(two, 2, 6, 6)).item(), 1e-6f);
    }

    @Test
    void reductions() {
        LabelTensor y = LabelTensor.randomLabels(12, 3, 2, 4, 4);
        Tensor x = Tensor.randn(13, 2, 3, 4, 4);
        Var none = BoundaryLoss.builder().reduction(Reduction.NONE).build().forward(Var.constant(x), y);
        assertEquals(Shape.of(2, 2), none.shape());
        float mean = BoundaryLoss.create().forward(Var.constant(x), y).item();
        float sum = BoundaryLoss.builder().reduction(Reduction.SUM).build().forward(Var.constant(x), y).item();
        float[] items = none.value().toArray();
        assertEquals((items[0] + items[1] + items[2] + items[3]) / 4, mean, 1e-6f);
        assertEquals(items[0] + items[1] + items[2] + items[3], sum, 1e-6f);
        Var sel = BoundaryLoss.builder().idc(2).reduction(Reduction.NONE).build().forward(Var.constant(x), y);
        assertArrayEquals(new float[] {items[1], items[3]}, sel.value().toArray(), 0f);
    }

    @Test
    void badArgumentsAreRejected() {   // spec/contract.md bad inputs 12 and 13
        LabelTensor y = LabelTensor.randomLabels(14, 3, 1, 4, 4);
        Var x = Var.constant(Tensor.randn(15, 1, 3, 4, 4));
        assertMessage(() -> BoundaryLoss.create().forwardWithMaps(x, Tensor.zeros(1, 2, 4, 4)), "distanceMaps must have the input's shape",
                "[1, 2, 4, 4]");
        assertMessage(() -> BoundaryLoss.create().forwardWithMaps(x, Tensor.full(Float.NaN, 1, 3, 4, 4)), "NaN");
        assertMessage(() -> BoundaryLoss.builder().spacing(1, 1, 1).build().forward(x, y), "spacing", "2", "got 3");
        assertMessage(() -> BoundaryLoss.builder().spacing(1, 0), "spacing", "> 0", "got 0.0");
        assertMessage(() -> BoundaryLoss.builder().spacing(1, Double.NaN), "spacing", "NaN");
        assertMessage(() -> BoundaryLoss.builder().idc(1, 3).build().forward(x, y), "idc", "< C = 3", "got 3");
        assertMessage(() -> BoundaryLoss.builder().idc(-1), "idc", ">= 0");
        assertMessage(() -> BoundaryLoss.builder().idc(1, 1), "idc", "repeat");
        assertMessage(() -> BoundaryLoss.builder().idc(), "idc", "at least one");
        assertMessage(() -> probsLoss().build().forward(x, y), "probabilities", "logits?");
        Tensor unnormalised = Tensor.full(0.6f, 1, 3, 4, 4);
        assertMessage(() -> probsLoss().build().forward(Var.constant(unnormalised), y), "summing to 1", "logits?");
        assertMessage(() -> BoundaryLoss.create().forward(Var.constant(Tensor.zeros(1, 3, 4)), y), "[B, C, H, W]");
        assertMessage(() -> BoundaryLoss.create().forward(x, LabelTensor.of(new int[16], 1, 4, 4).reshape(1, 16)), "label-map target");
        assertMessage(() -> BoundaryLoss.create().forward(x, LabelTensor.of(new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255}, 1, 4, 4)),
                "labels must be in [0, 3)", "got 255");
        assertMessage(() -> BoundaryLoss.create().forward(x, Tensor.full(0.5f, 1, 3, 4, 4)), "only 0 and 1", "forwardWithMaps");
        assertMessage(() -> BoundaryLoss.create().forward(Var.constant(Tensor.zeros(1, 1, 4, 4)), LabelTensor.zeros(1, 4, 4)), "SOFTMAX");
    }

    /**
     * SOFTMAX with precomputed maps: one fused pass per chunk (SoftmaxSums' one-map kernels) gives
     * the loss and gradient bits of the general per-class passes it replaced (the same op over an
     * all-ones mask, which keeps them), and the same bits at 1, 2 and 3 threads; sp = 2049 has a
     * one-voxel chunk tail.
     */
    @Test
    void fusedPassGivesTheGeneralPathsBitsForAnyThreadCount() {
        Tensor x = Tensor.randn(21, 2, 3, 1, 2049).mul(2f);
        Tensor phi = Tensor.randn(22, 2, 3, 1, 2049).mul(10f);
        Tensor ones = Tensor.full(1f, 2, 1, 1, 2049);
        // the general path: the same sums over an all-ones mask, then what compute() does with them
        Var xg = Var.param(x.copy());
        Var sums = RegionStatistics.FusedSums.of(xg, org.segloss.tensor.SoftmaxSums.Terms.weightedBy(phi).masked(ones))[0];
        Var general = sums.slice(1, 1, 3).mul(1f / 2049).mean();
        general.backward();
        float[] loss = general.value().toArray();
        Tensor grads = xg.grad();
        int saved = org.segloss.tensor.kernel.Parallel.threads();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                org.segloss.tensor.kernel.Parallel.setThreads(threads);
                Var xf = Var.param(x.copy());
                Var fused = BoundaryLoss.create().forwardWithMaps(xf, phi);
                fused.backward();
                assertArrayEquals(loss, fused.value().toArray(), "loss, threads " + threads);
                assertArrayEquals(grads.toArray(), xf.grad().toArray(), "gradient, threads " + threads);
                // without a gradient (no kept softmax): the same value
                assertArrayEquals(loss, BoundaryLoss.create().forwardWithMaps(Var.constant(x), phi).value().toArray(), "constant input, threads " + threads);
            }
        } finally {
            org.segloss.tensor.kernel.Parallel.setThreads(saved);
        }
    }

    /**
     * Non-finite maps (spec/contract.md bad input 15): the fused SOFTMAX pass finds them through its sums and then
     * gives the scan's exact error, wherever they sit (first voxel, inside a chunk, the one-voxel
     * chunk tail), also where p underflows to 0 (0 · ∞ is NaN), for a leaf and a constant; the
     * other activations scan first, with the same message. Huge finite maps whose sums overflow
     * are not an error (their loss is infinite), with any activation.
     */
    @Test
    void nonFiniteMapsAreRejectedOnEveryPath() {
        int[] shape = {2, 3, 1, 2049};
        String message = "BoundaryLoss: distanceMaps contain NaN or infinity (shape [2, 3, 1, 2049])";
        int[][] where = {{0, 0, 0, 0}, {1, 2, 0, 777}, {1, 1, 0, 2048}, {0, 0, 0, 2048}};
        Tensor x = Tensor.randn(31, shape);
        Tensor probs = x.softmax(1);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int[] at : where) {
                for (boolean underflow : new boolean[] {false, true}) {
                    Tensor xs = x.copy();
                    if (underflow) xs.set(-200f, at);   // the other logits are within a few units of 0: p = 0 exactly there
                    if (underflow) {
                        int flat = (at[0] * 3 + at[1]) * 2049 + at[3];
                        assertEquals(0f, xs.softmax(1).at(flat), "p underflows to 0 at " + java.util.Arrays.toString(at));
                    }
                    Tensor phi = Tensor.randn(32, shape);
                    phi.set(bad, at);
                    String ctx = bad + " at " + java.util.Arrays.toString(at) + (underflow ? ", p = 0" : "");
                    for (boolean leaf : new boolean[] {true, false}) {
                        Var in = leaf ? Var.param(xs) : Var.constant(xs);
                        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                () -> BoundaryLoss.create().forwardWithMaps(in, phi), ctx);
                        assertEquals(message, e.getMessage(), ctx);
                        // idc never hides a map: all C classes are summed (the softmax needs them all)
                        e = assertThrows(IllegalArgumentException.class, () -> BoundaryLoss.builder().idc(2).build().forwardWithMaps(in, phi), ctx);
                        assertEquals(message, e.getMessage(), ctx);
                    }
                    e(() -> probsLoss().build().forwardWithMaps(Var.constant(probs), phi), message, ctx + ", NONE");
                    e(() -> BoundaryLoss.builder().activation(Activation.SIGMOID).build().forwardWithMaps(Var.param(xs), phi), message, ctx + ", SIGMOID");
                }
            }
        }
        // huge but finite: every sum overflows to +inf, the scan finds the maps finite, the loss is +inf
        Tensor huge = Tensor.full(3e38f, shape);
        for (Var in : new Var[] {Var.param(x.copy()), Var.constant(x)}) {
            float v = org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> BoundaryLoss.create().forwardWithMaps(in, huge).item());
            assertEquals(Float.POSITIVE_INFINITY, v, "huge finite maps");
        }
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> probsLoss().build().forwardWithMaps(Var.constant(probs), huge));
        // NaN logits and NaN maps: the input's error comes first, as before
        Tensor nanX = x.copy(), nanPhi = Tensor.randn(33, shape);
        nanX.set(Float.NaN, 1, 2, 0, 5);
        nanPhi.set(Float.NaN, 0, 1, 0, 9);
        e(() -> BoundaryLoss.create().forwardWithMaps(Var.param(nanX), nanPhi), "BoundaryLoss: input contains NaN or infinity (shape [2, 3, 1, 2049])",
                "NaN logits and maps");
        // checkFinite(false): NaN logits give NaN sums, the scan finds the maps finite, no error
        float unchecked = BoundaryLoss.builder().checkFinite(false).build().forwardWithMaps(Var.param(nanX), Tensor.randn(34, shape)).item();
        assertTrue(Float.isNaN(unchecked), "unchecked NaN logits: NaN loss, got " + unchecked);
        e(() -> BoundaryLoss.builder().checkFinite(false).build().forwardWithMaps(Var.param(x.copy()), nanPhi), message, "unchecked input, NaN maps");
    }

    /** NaN and infinite logits (spec/contract.md bad input 15): rejected in the fused pass with the scan's message, on every entry point; not with checkFinite(false). */
    @Test
    void nonFiniteLogitsAreRejectedInThePass() {
        int[] shape = {2, 3, 1, 2049};
        String message = "BoundaryLoss: input contains NaN or infinity (shape [2, 3, 1, 2049])";
        LabelTensor labels = LabelTensor.randomLabels(41, 3, 2, 1, 2049);
        Tensor phi = BoundaryLoss.create().distanceMaps(labels, 3);
        int[][] where = {{0, 0, 0, 0}, {1, 2, 0, 777}, {1, 1, 0, 2048}};
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int[] at : where) {
                Tensor x = Tensor.randn(42, shape);
                x.set(bad, at);
                String ctx = bad + " at " + java.util.Arrays.toString(at);
                for (boolean leaf : new boolean[] {true, false}) {
                    Var in = leaf ? Var.param(x) : Var.constant(x);
                    e(() -> BoundaryLoss.create().forwardWithMaps(in, phi), message, ctx);
                    e(() -> BoundaryLoss.create().forward(in, labels), message, ctx + ", labels");
                    e(() -> BoundaryLoss.create().forward(in, labels.oneHot(3, -1)), message, ctx + ", one-hot");
                    e(() -> BoundaryLoss.builder().activation(Activation.SIGMOID).build().forwardWithMaps(in, phi), message, ctx + ", SIGMOID");
                }
                if (bad == Float.NEGATIVE_INFINITY) {
                    // a -inf logit is a class ruled out (p = 0): the unchecked loss stays finite
                    float v = BoundaryLoss.builder().checkFinite(false).build().forwardWithMaps(Var.param(x), phi).item();
                    assertTrue(Float.isFinite(v), ctx + ": unchecked, got " + v);
                }
            }
        }
    }

    static void e(org.junit.jupiter.api.function.Executable call, String message, String ctx) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call, ctx).getMessage(), ctx);
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable e, String... parts) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().startsWith("BoundaryLoss"), ex.getMessage());
        for (String p : parts) assertTrue(ex.getMessage().contains(p), "'" + p + "' in: " + ex.getMessage());
    }
}
