package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Random-input properties of {@link LovaszHingeLoss} (the hinge has one logit per voxel, so the
 * softmax-oriented {@link LossPropertiesBase} does not apply): the gradient agrees with the checker
 * away from sort ties and the relu kink, the value is >= 0, and it is invariant to a permutation of
 * the voxels of each image.
 */
class LovaszHingeLossProperties {

    /**
     * Logits whose hinge errors 1 - x(2t - 1) are all distinct by 0.1 and >= 0.025 away from
     * 0: a shuffled grid of errors, turned back into logits.
     */
    static Tensor separatedLogits(SplittableRandom r, LabelTensor y) {
        int n = y.size();
        float[] e = new float[n];
        for (int i = 0; i < n; i++) e[i] = -1.525f + 0.1f * i;   // grid with spacing 0.1, no value within 0.025 of 0
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = e[i];
            e[i] = e[j];
            e[j] = t;
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (1f - e[i]) * (2 * y.at(i) - 1);   // e = 1 - x σ  =>  x = (1 - e) σ
        int[] d = y.shape().dims();
        return Tensor.wrap(x, d[0], 1, d[1], d[2]);
    }

    static LabelTensor labels(SplittableRandom r, int b, int h, int w) {
        return LabelTensor.randomLabels(r.nextLong(), 2, b, h, w);
    }

    @Property(tries = 40)
    void gradientAgreesWithTheChecker(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        LabelTensor y = labels(r, 1 + r.nextInt(2), 2 + r.nextInt(3), 2 + r.nextInt(3));
        Tensor x = separatedLogits(r, y);
        LovaszHingeLoss l = LovaszHingeLoss.builder().perImage(r.nextBoolean()).build();
        // full-mode steps are 1e-3·max(1, |x|) <= 5e-3: far below the 0.1 gaps
        GradCheck.Report rep = GradCheck.check(v -> l.forward(v[0], y), x);
        assertTrue(rep.passed(), x.shape() + ": " + rep);
    }

    @Property(tries = 40)
    void nonNegativeAndInvariantToAVoxelPermutation(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 1 + r.nextInt(2), h = 2 + r.nextInt(4), w = 2 + r.nextInt(4), n = h * w;
        LabelTensor y = labels(r, b, h, w);
        Tensor x = Tensor.randn(r.nextLong(), b, 1, h, w);
        LovaszHingeLoss l = LovaszHingeLoss.builder().perImage(r.nextBoolean()).build();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        float[] xp = new float[b * n];
        int[] yp = new int[b * n];
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < n; i++) {
                xp[bi * n + i] = x.at(bi * n + perm[i]);
                yp[bi * n + i] = y.at(bi * n + perm[i]);
            }
        }
        float v = l.forward(Var.constant(x), y).item();
        float vp = l.forward(Var.constant(Tensor.wrap(xp, b, 1, h, w)), LabelTensor.of(yp, b, h, w)).item();
        assertTrue(v >= 0f, "value " + v);
        assertEquals(v, vp, 1e-5f * Math.max(1f, Math.abs(v)));
    }
}
