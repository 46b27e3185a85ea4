package org.segloss.loss;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.segloss.autograd.GradCheck;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * {@link LossPropertiesBase} for {@link HausdorffDTLoss} with random options. Its weights d_p come
 * from the prediction thresholded at 0.5, so:
 * <ul>
 *   <li>inputs are redrawn until every probability lies at least {@value #CLEARANCE} from 0.5,
 *       and the gradient check takes steps of {@value #STEP}·max(1, |x|) (Richardson's largest):
 *       a step moves a probability by at most that for NONE and by at most twice the largest
 *       logit step for SOFTMAX (|Δp_k| ≤ p_k·(|Δx_k| + Σ_j p_j |Δx_j|)), below the clearance
 *       while |x| < 10, which {@link #input} checks, so no step moves a voxel across the
 *       threshold (d_p would jump). The default step, 1e-2, can cross it with large logits;</li>
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

    /** How far every probability stays from the threshold 0.5. */
    static final float CLEARANCE = 0.02f;
    /** The gradient check's relative step (both modes), small enough for {@link #CLEARANCE}. */
    static final double STEP = 1e-3;

    @Override
    protected GradCheck.Options gradOptions() { return GradCheck.DEFAULTS.withEps(STEP, STEP); }

    /**
     * The base class's input with every voxel whose probabilities come near 0.5 redrawn (that
     * voxel's C values only, from the same distribution: 1.5·N(0, 1) logits, for NONE mapped to
     * probabilities as the base class does), so that the whole input is clear however large.
     */
    @Override
    protected Tensor input(SplittableRandom r, Activation a, int[] shape) {
        float[] x = super.input(r, a, shape).toArray();
        int c = shape[1], n = x.length / (shape[0] * c);
        for (int bi = 0; bi < shape[0]; bi++) {
            for (int i = 0; i < n; i++) {
                int first = bi * c * n + i;
                for (int attempt = 0; !clear(x, first, n, c, a); attempt++) {
                    if (attempt == 10_000) throw new AssertionError("no voxel of " + c + " classes clear of 0.5 in 10,000 draws");
                    double[] logits = new double[c];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int k = 0; k < c; k++) max = Math.max(max, logits[k] = 1.5 * r.nextGaussian());
                    for (int k = 0; k < c; k++) sum += Math.exp(logits[k] - max);
                    for (int k = 0; k < c; k++) {
                        x[first + k * n] = a == Activation.NONE
                                ? (float) (0.8 * Math.exp(logits[k] - max) / sum + 0.2 / c) : (float) logits[k];
                    }
                }
            }
        }
        return Tensor.wrap(x, shape);
    }

    /** Whether the voxel's C probabilities (stride n from first) all keep CLEARANCE from 0.5, logits below 10. */
    private static boolean clear(float[] x, int first, int n, int c, Activation a) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int k = 0; k < c; k++) {
            if (Math.abs(x[first + k * n]) >= 10f) return false;
            max = Math.max(max, x[first + k * n]);
        }
        for (int k = 0; k < c; k++) sum += Math.exp(x[first + k * n] - max);
        for (int k = 0; k < c; k++) {
            double p = a == Activation.NONE ? x[first + k * n] : Math.exp(x[first + k * n] - max) / sum;
            if (Math.abs(p - 0.5) < CLEARANCE) return false;
        }
        return true;
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
