package org.segloss.loss;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.segloss.autograd.Var;
import org.segloss.distance.SignedDistanceMaps.Convention;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * {@link LossPropertiesBase} for {@link BoundaryLoss} with random options (activation SOFTMAX or
 * NONE, default or explicit idc, either convention, random spacing). Overrides:
 * <ul>
 *   <li>range: not [0, 1] — the loss is a mean of φ·p with |φ| at most the image diagonal
 *       (under 8 voxels × spacing 1.5 for the generated shapes), negative at its minimum;</li>
 *   <li>perfect value: image-specific and negative (NaN here: only "no worse than random" is
 *       checked, which holds since each class's term is minimised by p = 1 exactly inside it);</li>
 *   <li>ignore: not supported;</li>
 *   <li>voxel permutation: the maps depend on where voxels are, so the property is restated for
 *       precomputed maps permuted with the input (the loss itself is then permutation
 *       invariant).</li>
 * </ul>
 */
class BoundaryLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? Activation.NONE : Activation.SOFTMAX;
    }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        boolean liviaets = r.nextBoolean();
        BoundaryLoss.Builder b = BoundaryLoss.builder().activation(o.activation())
                .convention(liviaets ? Convention.LIVIAETS : Convention.VOXEL_BOUNDARY);
        if (r.nextBoolean()) b.idc(r.nextInt(o.classes()));
        // LIVIAETS maps only at unit spacing: below 1 its unscaled −1 shift makes φ positive on the object's
        // border (spec/distance-maps.md, "Convention.LIVIAETS"; boundary-loss issue #45), and a perfect prediction is then no longer the minimum
        // (BoundaryLossTest.liviaetsMapsBreakTheMinimumBelowUnitSpacing)
        double sy = liviaets ? 1.0 : 0.5 + r.nextDouble(), sx = liviaets ? 1.0 : 0.5 + r.nextDouble();
        return new SpacingAware(b, sy, sx);
    }

    /** A boundary loss whose spacing follows the input's rank (2-D: random, 3-D: depth 1.0 in front). */
    private record SpacingAware(BoundaryLoss.Builder b, double sy, double sx) implements Loss {
        BoundaryLoss of(Var input) {
            return input.shape().rank() == 4 ? b.spacing(sy, sx).build() : b.spacing(1.0, sy, sx).build();
        }
        @Override public Var forward(Var input, LabelTensor target) { return of(input).forward(input, target); }
        @Override public Var forward(Var input, Tensor target) { return of(input).forward(input, target); }
        @Override public String name() { return "BoundaryLoss"; }
    }

    @Override protected double lowerBound() { return -12.0; }
    @Override protected double upperBound() { return 12.0; }
    @Override protected double perfectValue() { return Double.NaN; }
    @Override protected boolean supportsIgnore() { return false; }

    @Override
    @Property(tries = 40)
    void invariantToAPermutationOfTheVoxels(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 2, c = 2 + r.nextInt(2), h = 2 + r.nextInt(4), w = 2 + r.nextInt(4), n = h * w;
        BoundaryLoss l = BoundaryLoss.builder().idc(r.nextInt(c)).build();
        Tensor x = Tensor.randn(r.nextLong(), b, c, h, w);
        LabelTensor y = LabelTensor.randomLabels(r.nextLong(), c, b, h, w);
        Tensor maps = l.distanceMaps(y, c);
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        float[] xv = x.toArray(), mv = maps.toArray(), xp = new float[xv.length], mp = new float[mv.length];
        for (int k = 0; k < b * c; k++) {
            for (int i = 0; i < n; i++) {
                xp[k * n + i] = xv[k * n + perm[i]];
                mp[k * n + i] = mv[k * n + perm[i]];
            }
        }
        close(l.forwardWithMaps(Var.constant(x), maps).item(),
                l.forwardWithMaps(Var.constant(Tensor.wrap(xp, b, c, h, w)), Tensor.wrap(mp, b, c, h, w)).item(),
                "BoundaryLoss with permuted input and maps");
    }
}
