package org.segloss.loss;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * {@link LossPropertiesBase} for {@link HausdorffDTLoss} with random options. Its weights d_p come
 * from the prediction thresholded at 0.5, so:
 * <ul>
 *   <li>inputs are redrawn until every probability lies at least 0.02 from 0.5, so no
 *       finite-difference step moves a voxel across the threshold (d_p would jump);</li>
 *   <li>range: [0, ∞) — (p − g)² ≤ 1 but the distances grow with the image (< 8 voxels here, so
 *       the value stays below 2·8² = 128);</li>
 *   <li>voxel permutation: not an invariance (the fields depend on where voxels are); restated as
 *       invariance to a mirror of both spatial axes, which preserves every distance;</li>
 *   <li>ignore: not supported.</li>
 * </ul>
 */
class HausdorffDTLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? Activation.NONE : Activation.SOFTMAX;
    }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        return HausdorffDTLoss.builder().activation(o.activation()).includeBackground(r.nextBoolean())
                .batch(r.nextBoolean()).build();
    }

    @Override
    protected Tensor input(SplittableRandom r, Activation a, int[] shape) {
        for (int attempt = 0; ; attempt++) {
            Tensor x = super.input(r, a, shape);
            Tensor p = a == Activation.NONE ? x : x.softmax(1);
            boolean clear = true;
            for (int i = 0; i < p.size() && clear; i++) clear = Math.abs(p.at(i) - 0.5f) >= 0.02f;
            if (clear || attempt > 1000) return x;
        }
    }

    @Override protected double upperBound() { return 128.0; }
    @Override protected boolean supportsIgnore() { return false; }

    @Override
    @Property(tries = 40)
    void invariantToAPermutationOfTheVoxels(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 2, c = 2 + r.nextInt(2), h = 2 + r.nextInt(4), w = 2 + r.nextInt(4);
        Loss l = loss(r, new Options(c, false, Activation.SOFTMAX));
        Tensor x = Tensor.randn(r.nextLong(), b, c, h, w);
        LabelTensor y = LabelTensor.randomLabels(r.nextLong(), c, b, h, w);
        float[] xv = x.toArray(), xm = new float[xv.length];
        int[] yv = y.toArray(), ym = new int[yv.length];
        for (int k = 0; k < b * c; k++) {
            for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) xm[(k * h + i) * w + j] = xv[(k * h + h - 1 - i) * w + w - 1 - j];
        }
        for (int k = 0; k < b; k++) {
            for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) ym[(k * h + i) * w + j] = yv[(k * h + h - 1 - i) * w + w - 1 - j];
        }
        close(value(l, x, y), value(l, Tensor.wrap(xm, b, c, h, w), LabelTensor.of(ym, b, h, w)), "HausdorffDTLoss after a mirror");
    }
}
